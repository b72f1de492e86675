#!/usr/bin/env bash
# How ranks wait for each other (BACKPROP_MPI_WAIT): W2 with 2 ranks × 1 thread, --distributed,
# per-rank batch 64, with the waits forced to spin, forced to sleep, and chosen automatically;
# the three modes alternate for --rounds rounds so that they share the machine's state, and the
# median samples/s of each is printed (epochs after the first, as W2).
#
#   bench/mpi_wait.sh [--rounds 3] [--epochs 3] [--backprop-bin .build/release/backprop] [--out FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds=3
epochs=3
bin="$here/../.build/release/backprop"
out="$here/results/mpi-wait-$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --backprop-bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "mpi_wait.sh: unknown option $1" >&2; exit 64 ;;
  esac
done
[ -x "$bin" ] || { echo "mpi_wait.sh: $bin not built (swift build -c release --product backprop)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi_wait.sh: mpirun not found (apt-get install openmpi-bin libopenmpi3)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core --mca btl self,tcp)
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs "$epochs" --seed 0 --threads 1
    --batch-size 64 --distributed --json)
{
  echo "# $(date -u) $(nproc) cores; $(uptime)"
  for round in $(seq "$rounds"); do
    for mode in spin sleep auto; do
      echo "$mode $round $(BACKPROP_MPI_WAIT=$mode "${mpi[@]}" -x BACKPROP_MPI_WAIT "$bin" "${w2[@]}" \
        | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))')"
    done
  done
  echo "# end $(date -u); $(uptime)"
} | tee "$out.jsonl"
python3 - "$out.jsonl" <<'PY' | tee "$out.md"
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    mode, _, rest = line.split(" ", 2)
    r = json.loads(rest)
    timed = sorted(r["epoch_seconds"][1:] or r["epoch_seconds"])
    runs.setdefault(mode, []).append((60000 / timed[len(timed) // 2], r.get("mpi_wait"), r.get("exposed_communication_seconds", 0) / sum(r["epoch_seconds"])))
print("| BACKPROP_MPI_WAIT | mode used | samples/s per run | median | vs spin | exposed wait share (median) |")
print("|---|---|---|---|---|---|")
spin = statistics.median(v[0] for v in runs["spin"])
for mode, values in runs.items():
    m = statistics.median(v[0] for v in values)
    used = ", ".join(sorted({v[1] for v in values}))
    print(f"| {mode} | {used} | {', '.join(f'{v[0]:,.0f}' for v in values)} | {m:,.0f} | {m / spin:.2f}× | "
          f"{100 * statistics.median(v[2] for v in values):.0f}% |")
PY
