#!/usr/bin/env python3
"""Reads bench/scaling.sh's output and prints BENCHMARKS.md's scaling table and projection.

Model (ring allreduce, Thakur et al. 2005; what Open MPI and NCCL use for large messages): an
allreduce of n bytes on p ranks takes 2(p-1)·α + 2(p-1)/p · n/B, with α (latency per message)
and B (bandwidth) fitted from the 2-rank D1 measurements: for p = 2 the time is 2α + n/B, so
α = t(4 B)/2 and B = n/(t(n) - 2α) at the largest size. A step of per-rank batch b takes
t_c = b / (1-process samples/s) of compute, plus the allreduce time not hidden by backward.
Backprop's buckets are ~256 KiB, so a model of P floats pays ceil(4P / 256 KiB) latencies.
"""
import json
import math
import sys

rows, allreduce, allreduce64k = {}, {}, {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    key, _, rest = line.partition(" ")
    obj = json.loads(rest)
    if key == "allreduce":
        allreduce.setdefault(int(obj["bytes"]), []).append(obj["value"] * 1e-6)
    elif key == "allreduce_eager64k":
        allreduce64k.setdefault(int(obj["bytes"]), []).append(obj["value"] * 1e-6)
    else:
        rows[key] = obj
# D1 may run several times (alternating eager limits): the median of the runs' medians per size.
allreduce = {k: sorted(v)[len(v) // 2] for k, v in allreduce.items()}
allreduce64k = {k: sorted(v)[len(v) // 2] for k, v in allreduce64k.items()}

def median_epoch(r):
    timed = sorted(r["epoch_seconds"][1:] or r["epoch_seconds"])   # first epoch is warm-up, as W2
    return timed[len(timed) // 2]

def sps(key, samples=60000):
    r = rows[key]
    if "epoch_seconds" in r and key.startswith(("backprop", "round_")):
        return samples / median_epoch(r)
    return r["samples_per_second"]

b1, b2, p1, p2 = sps("backprop_1x1"), sps("backprop_2x1"), sps("pytorch_1x1"), sps("pytorch_ddp_2x1")
# Older logs (before 2026-12-06) have only the strong-scaling TCP rows.
table = [("Backprop, 1 process (the reference)", "—", "—", 128, 128, "backprop_1x1")]
if "backprop_1x1_b64" in rows:
    table.append(("Backprop, 1 process of batch 64 (a rank's share)", "—", "—", 64, 64, "backprop_1x1_b64"))
if "backprop_pair0_b64" in rows:
    table.append(("2 independent processes of batch 64 at once, summed (no communication)", "ceiling, strong", "none", 64, "—", "pair"))
if "backprop_pair0_b128" in rows:
    table.append(("2 independent processes of batch 128 at once, summed (no communication)", "ceiling, weak", "none", 128, "—", "pair128"))
for key, label, definition, per_rank, global_batch in [
        ("backprop_2x1_summed", "Backprop, 2 ranks (mpirun, --distributed)", "strong", 64, 128),
        ("backprop_2x1_weak_summed", "Backprop, 2 ranks", "weak", 128, 256)]:
    if key in rows:
        blocks = rows[key].get("gradient_blocks", "?")
        transport = f"one host: gradients summed in shared memory (`--gradient-blocks` {blocks})"
        if rows[key].get("sharded_update"):
            transport += ", optimizer step sharded"
        table.append((label, definition, transport, per_rank, global_batch, key))
table.append(("Backprop, 2 ranks (mpirun, --distributed)", "strong", "TCP (`self,tcp`)", 64, 128, "backprop_2x1"))
for key, label, definition, transport, per_rank, global_batch in [
        ("backprop_2x1_vader", "Backprop, 2 ranks", "strong", "shared memory (`self,vader`)", 64, 128),
        ("backprop_2x1_weak", "Backprop, 2 ranks", "weak", "TCP (`self,tcp`)", 128, 256),
        ("backprop_2x1_weak_vader", "Backprop, 2 ranks", "weak", "shared memory (`self,vader`)", 128, 256)]:
    if key in rows:
        table.append((label, definition, transport, per_rank, global_batch, key))
table.append(("PyTorch, 1 process", "—", "—", 128, 128, "pytorch_1x1"))
table.append(("PyTorch DDP (gloo), 2 processes", "strong", "TCP (gloo)", 64, 128, "pytorch_ddp_2x1"))
if "pytorch_ddp_2x1_weak" in rows:
    table.append(("PyTorch DDP (gloo), 2 processes", "weak", "TCP (gloo)", 128, 256, "pytorch_ddp_2x1_weak"))
value = {}
print("| run (W2, 1 thread per process) | scaling | transport | per-rank batch | global batch | samples/s | vs Backprop 1 process (batch 128) | goal ≥ 1.8× |")
print("|---|---|---|---|---|---|---|---|")
for label, definition, transport, per_rank, global_batch, key in table:
    if key in ("pair", "pair128"):
        size = "b64" if key == "pair" else "b128"
        v = sps(f"backprop_pair0_{size}") + sps(f"backprop_pair1_{size}")
    else:
        v = sps(key)
    value[key] = v
    goal = ""
    if key in rows and rows[key].get("reduction") and "summed" not in transport:
        transport += f", {rows[key]['reduction']}"
    if key.startswith("backprop_2x1"):
        goal = "**met**" if v / b1 >= 1.8 else "not met"
    print(f"| {label} | {definition} | {transport} | {per_rank} | {global_batch} | {v:,.0f} | **{v / b1:.2f}×** | {goal} |")
print()
rounds = sorted(int(k.rsplit("_", 1)[1]) for k in rows if k.startswith("round_1x1_") and f"round_weak_summed_{k.rsplit('_', 1)[1]}" in rows)
if rounds:
    ratios = [sps(f"round_weak_summed_{r}") / sps(f"round_1x1_{r}") for r in rounds]
    middle = sorted(ratios)[len(ratios) // 2] if len(ratios) % 2 else sum(sorted(ratios)[len(ratios) // 2 - 1:len(ratios) // 2 + 1]) / 2
    print(f"W2 weak, 2 ranks summed in shared memory, against 1 process in {len(ratios)} alternating rounds after the table's runs: "
          + ", ".join(f"{x:.2f}×" for x in ratios) + f"; median **{middle:.2f}×** (goal ≥ 1.8×: {'met' if middle >= 1.8 else 'not met'}), "
          f"{sum(x >= 1.8 for x in ratios)} of {len(ratios)} rounds at 1.8× or more.")
    print()
print(f"Backprop 2 ranks (strong, TCP) / PyTorch DDP 2 processes (strong): **{b2 / p2:.2f}×**; PyTorch DDP's own scaling: "
      f"{p2 / p1:.2f}× strong" + (f", {value['pytorch_ddp_2x1_weak'] / p1:.2f}× weak" if "pytorch_ddp_2x1_weak" in value else "")
      + (f"; Backprop weak TCP / DDP weak: **{value['backprop_2x1_weak'] / value['pytorch_ddp_2x1_weak']:.2f}×**"
         if "backprop_2x1_weak" in value and "pytorch_ddp_2x1_weak" in value else "") + ".")
if "backprop_2x1_summed" in value:
    print(f"Backprop 2 ranks (strong, one host, summed in shared memory) / PyTorch DDP 2 processes (strong): "
          f"**{value['backprop_2x1_summed'] / p2:.2f}×**.")
def share(key):
    d = rows[key]
    train_seconds = sum(d["epoch_seconds"])
    exposed = d.get("exposed_communication_seconds", float("nan"))
    print(f"{key}: waiting for gradient allreduces after backward, and exchanging the weights of sharded steps (rank 0, all epochs) {exposed:.3f} s of {train_seconds:.3f} s "
          f"training = **{100 * exposed / train_seconds:.1f}%** of the step; {100 * d.get('buckets_started_during_backward', float('nan')):.0f}% "
          f"of the {d.get('buckets')} buckets started while backward still ran ({d.get('buckets_reduced_in_place', 0)} reduced in place "
          f"in their gradient); ranks waited by `{d.get('mpi_wait')}`; reduction: {d.get('reduction', 'MPI_Iallreduce')}.")

for key in ("backprop_2x1_summed", "backprop_2x1_weak_summed", "backprop_2x1", "backprop_2x1_vader", "backprop_2x1_weak",
            "backprop_2x1_weak_vader"):
    if key in rows:
        share(key)
print()

PHASES = ["data", "forward", "backward", "allreduceWait", "optimizer", "other"]
def phase_rows(key):
    """Each rank's µs per step in each phase, over the timed epochs (all but the first)."""
    out = []
    for rp in rows[key].get("rank_phases", []):
        epochs = rp["epochs"][1:] or rp["epochs"]
        steps = sum(e["steps"] for e in epochs)
        out.append((rp["rank"], [sum(e[k] for e in epochs) / steps * 1e6 for k in PHASES], rp.get("runqueue_wait_seconds")))
    return out

if any("rank_phases" in rows.get(k, {}) for k in rows):
    print("Where a step goes, µs per step of each rank (timed epochs; phases of `Trainer.phaseSeconds`):")
    print()
    print("| run | rank | data | forward | backward | allreduce wait | optimizer | other | step | run-queue wait (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in ("backprop_1x1", "backprop_pair0_b128", "backprop_pair1_b128", "backprop_1x1_b64", "backprop_2x1_summed",
                "backprop_2x1_weak_summed", "backprop_2x1", "backprop_2x1_vader",
                "backprop_2x1_weak", "backprop_2x1_weak_vader", "backprop_cnn_1x1", "backprop_cnn_2x1"):
        if key in rows:
            for rank, v, rq in phase_rows(key):
                wait = "" if rq is None else f"{rq:.3f}"
                print(f"| {key} | {rank} | " + " | ".join(f"{x:,.1f}" for x in v) + f" | {sum(v):,.1f} | {wait} |")
    print()
for key in ["probe_start"] + [k for k in rows if k.startswith("probe_after_")] + ["probe_end"]:
    if key in rows:
        r = rows[key]
        print(f"{key}: cache-line round trip between the cores {r['round_trip_ns']:.1f} ns (p10–p90 {r['round_trip_ns_p10']:.1f}–"
              f"{r['round_trip_ns_p90']:.1f}), 512 KiB hand-over {r['handover_gbps']:.1f} GB/s (own cache {r['own_cache_gbps']:.1f}).")
print()

def cpu(key):
    d = rows[key]
    if "runqueue_wait_seconds" not in d:
        return
    print(f"{key}: rank 0 on a core {d['cpu_seconds']:.2f} s, runnable but waiting for a core {d['runqueue_wait_seconds']:.2f} s "
          f"(schedstat, from the start of training to the end of the last epoch, evaluation included).")

for key in ("backprop_1x1", "backprop_2x1_summed", "backprop_2x1_weak_summed", "backprop_2x1", "backprop_2x1_vader", "backprop_2x1_weak", "backprop_2x1_weak_vader",
            "backprop_cnn_1x1", "backprop_cnn_2x1"):
    if key in rows:
        cpu(key)
print()
if "backprop_cnn_1x1" in rows and "backprop_cnn_2x1" in rows:
    n = round(rows["backprop_cnn_1x1"]["samples_per_second"] * sum(rows["backprop_cnn_1x1"]["epoch_seconds"]) / len(rows["backprop_cnn_1x1"]["epoch_seconds"]))
    c1, c2 = sps("backprop_cnn_1x1", n), sps("backprop_cnn_2x1", n)
    print(f"| run (W6 CNN on {n:,} images, global batch 128, 1 thread per process) | samples/s | vs 1 process |")
    print("|---|---|---|")
    print(f"| Backprop, 1 process | {c1:,.0f} | 1.00× |")
    print(f"| Backprop, 2 ranks (mpirun, --distributed) | {c2:,.0f} | **{c2 / c1:.2f}×** |")
    print()
    share("backprop_cnn_2x1")
    print()
sizes = sorted(allreduce)
alpha = allreduce[sizes[0]] / 2
# Bandwidth from the size that reached the highest rate (on a loaded machine the largest
# messages can be slower per byte: TCP's buffers and the scheduler, not the wire).
n = max(sizes, key=lambda s: s / allreduce[s])
bandwidth = n / max(allreduce[n] - 2 * alpha, 1e-12)
print("| allreduce size | µs (2 ranks) | GB/s |")
print("|---|---|---|")
for s in sizes:
    print(f"| {s:,} B | {allreduce[s] * 1e6:,.1f} | {s / allreduce[s] / 1e9:.3f} |")
print()
print(f"Fitted: α = {alpha * 1e6:.1f} µs per message, B = {bandwidth / 1e9:.2f} GB/s at {n:,} B (loopback TCP between two processes).")
if allreduce64k:
    print()
    print("TCP eager limit: Backprop's 4 MiB (set before MPI_Init unless the user chose one) against Open MPI's default 64 KiB "
          "(`--mca btl_tcp_eager_limit 65536`), same invocation, runs alternating, median of the runs; sizes below 64 KiB are "
          "sent eagerly either way (the control):")
    print()
    print("| allreduce size | µs, 4 MiB eager | µs, 64 KiB eager | speed-up |")
    print("|---|---|---|---|")
    for s in sizes:
        if s in allreduce64k and s >= 4096:
            print(f"| {s:,} B | {allreduce[s] * 1e6:,.1f} | {allreduce64k[s] * 1e6:,.1f} | {allreduce64k[s] / allreduce[s]:.2f}× |")
print()

def project(params, per_sample_seconds, b, p, a, bw):
    nbytes = 4 * params
    buckets = math.ceil(nbytes / (256 << 10))
    t_ar = 2 * (p - 1) * a * buckets + 2 * (p - 1) / p * nbytes / bw
    t_c = b * per_sample_seconds
    hidden = (2 / 3) * t_c  # at best, the allreduce runs under backward (≈ 2/3 of a step's compute)
    worst = t_c + t_ar
    best = t_c + max(0.0, t_ar - hidden)
    return t_ar, p * t_c / worst, p * t_c / best

w2_params = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
per_sample = 1 / b1
print("Projection, per-rank batch 64 (weak scaling), speed-up over one process = p·t_c / (t_c + exposed allreduce); "
      "range: no overlap … allreduce fully hidden under backward:")
print()
print("| model | network | ranks | allreduce per step | speed-up | efficiency |")
print("|---|---|---|---|---|---|")
for label, params, cost in [("W2 (235k parameters)", w2_params, per_sample), ("10× W2 (2.35M)", 10 * w2_params, 10 * per_sample)]:
    for net, a, bw in [("measured loopback", alpha, bandwidth), ("10 GbE (assumed α 25 µs, 1.1 GB/s)", 25e-6, 1.1e9)]:
        for p in (2, 8, 64):
            t_ar, worst, best = project(params, cost, 64, p, a, bw)
            print(f"| {label} | {net} | {p} | {t_ar * 1e3:.2f} ms | {worst:.1f}–{best:.1f}× | {100 * worst / p:.0f}–{100 * best / p:.0f}% |")
