#!/usr/bin/env python3
"""Prints a Markdown table from JSON Lines written by `backprop bench --json` and bench/ref_*.py.

    python3 bench/table.py results.jsonl [more.jsonl ...]

One table row per (workload, case, threads, metric[, Backprop variant]); one column per
framework (variants such as jax[jit] / jax[eager], micrograd[gc off], backprop[openblas] are
columns of their own); then, for each reference, the ratio Backprop / reference and whether that
makes Backprop faster or slower — for a time (lower_is_better) a ratio below 1 is faster, for a
rate (GFLOP/s, samples/s) a ratio above 1 is. When the same key appears more than once, the last
row wins. Standard library only.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import OrderedDict

REF_ORDER = ["pytorch", "jax", "numpy", "micrograd"]
EXTRA_COLUMNS = {  # extra fields worth a line under the table: (field, label)
    "W2": [("test_accuracy", "test accuracy"), ("peak_rss_mib", "peak RSS MiB")],
    "W3": [("forward_s", "forward s"), ("backward_s", "backward s"), ("bytes_per_node", "bytes/node"),
           ("peak_rss_mib", "peak RSS MiB"), ("gc_collect_s", "gc.collect s"), ("nodes", "nodes")],
    "W5": [("compile_ms", "compile ms")],
}


def parse_lines(paths):
    rows, metas = [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    # Swift may print nan/inf, which JSON has not.
                    fixed = re.sub(r'(:\s*)(-?nan|-?inf(inity)?)\b', r'\1null', line, flags=re.I)
                    try:
                        obj = json.loads(fixed)
                    except json.JSONDecodeError as e:
                        print(f"table.py: {path}:{lineno}: not JSON ({e}); skipped", file=sys.stderr)
                        continue
                if "meta" in obj:
                    metas.append(obj)
                elif "framework" in obj and "workload" in obj:
                    rows.append(obj)
    return rows, metas


def normalise(row):
    """Returns (column label, metric) for a row: variants become columns, metric aliases join."""
    fw = str(row["framework"])
    metric = str(row.get("metric", ""))
    variant = row.get("variant")
    if variant is None and "jit" in row and fw != "backprop":
        variant = "jit" if row["jit"] in (True, "true", "True") else "eager"
    if metric.endswith("_gc_disabled"):
        metric = metric[: -len("_gc_disabled")]
        variant = "gc off"
    if fw == "backprop" and variant is None and row.get("backend"):
        variant = str(row["backend"])
    # JAX W2/W5 are always jit: keep one "jax" column there, split only where both exist (W4).
    if fw == "jax" and variant == "jit" and row.get("workload") != "W4":
        variant = None
    label = f"{fw}[{variant}]" if variant else fw
    return label, metric


def to_float(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.3g}" if a < 10 else f"{v:.1f}"
    return f"{v:.3g}"


def lower_better(row):
    v = row.get("lower_is_better", True)
    return v in (True, "true", "True", 1)


def ratio_cell(bp, ref, lower_is_better):
    """Backprop/reference, and the verdict."""
    if bp is None or ref is None or ref == 0 or bp == 0:
        return "—"
    r = bp / ref
    speedup = (ref / bp) if lower_is_better else (bp / ref)
    if abs(speedup - 1) < 0.005:
        verdict = "same"
    elif speedup > 1:
        verdict = f"{speedup:.3g}× faster"
    else:
        verdict = f"{1 / speedup:.3g}× slower"
    return f"{r:.3g} ({verdict})"


def label_order(labels):
    def key(lab):
        base = lab.split("[", 1)[0]
        if base == "backprop":
            return (-1, lab)
        return (REF_ORDER.index(base) if base in REF_ORDER else len(REF_ORDER), lab)
    return sorted(labels, key=key)


def build(rows):
    # (workload, case, threads, metric) -> {label: row}
    table: "OrderedDict[tuple, dict]" = OrderedDict()
    units = {}
    failures = []
    for row in rows:
        if row.get("error") and row.get("case") == "*":
            failures.append(row)
            continue
        label, metric = normalise(row)
        try:
            threads = int(row.get("threads", 0))
        except (TypeError, ValueError):
            threads = 0
        key = (str(row["workload"]), str(row.get("case", "")), threads, metric)
        table.setdefault(key, {})[label] = row
        units.setdefault(key, row.get("unit", ""))
    return table, units, failures


def sort_keys(keys):
    def case_key(c):
        m = re.match(r"n=(\d+)$", c)
        return (0, int(m.group(1)), "") if m else (1, 0, c)
    return sorted(keys, key=lambda k: (k[0], case_key(k[1]), k[3], k[2]))


def render(rows, metas):
    out = []
    table, units, failures = build(rows)
    start = next((m for m in metas if m.get("meta") == "start"), None)
    end = next((m for m in metas if m.get("meta") == "end"), None)
    out.append("## Backprop vs. reference frameworks")
    out.append("")
    if start:
        line = f"Run {start.get('time', '')}"
        if start.get("cpu"):
            line += f" on {start['cpu']} ({start.get('cores', '?')} cores)"
        if start.get("git"):
            line += f", git {start['git']}"
        load = f"load average at start {' '.join(start.get('loadavg', []))}"
        if end:
            load += f", at end {' '.join(end.get('loadavg', []))} ({end.get('time', '')})"
        out.append(line + "; " + load + ".")
        out.append("")
    out.append("Ratio = Backprop / reference: for times (s, ms, µs) below 1 is faster; for rates "
               "(GFLOP/s, samples/s) above 1 is faster. '—' = no figure; 'skipped' = see the notes.")
    out.append("")

    keys = sort_keys(table.keys())
    for workload in sorted({k[0] for k in keys}):
        wkeys = [k for k in keys if k[0] == workload]
        labels = label_order({lab for k in wkeys for lab in table[k]})
        bp_labels = [lab for lab in labels if lab.split("[", 1)[0] == "backprop"]
        ref_labels = [lab for lab in labels if lab not in bp_labels]
        header = ["workload", "case", "threads", "metric"] + labels
        if bp_labels:
            header += [f"{bp} / {ref}" if len(bp_labels) > 1 else f"Backprop / {ref}"
                       for bp in bp_labels for ref in ref_labels]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---"] * 4 + ["---:"] * (len(header) - 4)) + "|")
        for k in wkeys:
            cells = table[k]
            unit = units.get(k, "")
            line = [k[0], k[1], str(k[2]), f"{k[3]} ({unit})" if unit else k[3]]
            for lab in labels:
                r = cells.get(lab)
                if r is None:
                    line.append("—")
                elif r.get("skipped"):
                    line.append("skipped")
                elif r.get("error") and to_float(r.get("value")) is None:
                    line.append("error")
                else:
                    line.append(fmt(to_float(r.get("value"))))
            for bp in bp_labels:
                for ref in ref_labels:
                    b, r = cells.get(bp), cells.get(ref)
                    if b is None or r is None:
                        line.append("—")
                        continue
                    line.append(ratio_cell(to_float(b.get("value")), to_float(r.get("value")), lower_better(b)))
            out.append("| " + " | ".join(line) + " |")
        out.append("")

        # Extra fields that matter for the targets (accuracy, memory, compile time).
        extras = EXTRA_COLUMNS.get(workload, [])
        notes = []
        for k in wkeys:
            for lab in labels:
                r = table[k].get(lab)
                if not r:
                    continue
                got = [f"{name} {r[field]}" for field, name in extras if field in r]
                if got and k[3] in ("epoch_seconds", "seconds", "step_seconds", "milliseconds", "gflops"):
                    notes.append(f"- {k[1]}, {k[2]} thread(s), {lab}: " + ", ".join(got))
        if notes:
            out.append(f"{workload} details:")
            out.append("")
            out.extend(dict.fromkeys(notes))  # de-duplicate, keep order
            out.append("")

    skipped = [(lab, k, r) for k in keys for lab, r in table[k].items() if r.get("skipped") or r.get("error")]
    if skipped or failures:
        out.append("Notes:")
        out.append("")
        seen = set()
        for lab, k, r in skipped:
            text = r.get("skipped") or r.get("error")
            tag = (lab, k[0], k[1], text)
            if tag in seen:
                continue
            seen.add(tag)
            out.append(f"- {lab} {k[0]} {k[1]}: {text}")
        for r in failures:
            out.append(f"- {r['framework']} {r['workload']} threads={r.get('threads')}: FAILED: {r.get('error')}")
        out.append("")
    return "\n".join(out)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows, metas = parse_lines(argv[1:])
    if not rows:
        print("table.py: no result rows found", file=sys.stderr)
        return 1
    print(render(rows, metas))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
