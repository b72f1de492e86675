#!/usr/bin/env bash
# Compares two Backprop binaries on W1–W5 (1 thread) in one invocation: the runs alternate
# (before, after, before, after …) so that drift on a shared machine hits both alike, and the
# table gives each figure's median and the after/before ratio.
#
#   bench/before-after.sh BEFORE_BIN AFTER_BIN [ROUNDS] [WORKLOADS]
#   bench/before-after.sh /tmp/old/backprop .build/release/backprop 3 "W1 W3 W4 W5"
#
# A cost ratio above 1.05 means the "after" binary is more than 5% slower on that figure
# (for rates such as GFLOP/s the ratio is inverted, so > 1 always means slower).
set -euo pipefail
before="$1"; after="$2"; rounds="${3:-3}"; workloads="${4:-W1 W2 W3 W4 W5}"
out="$(mktemp -d)/before-after.jsonl"
for r in $(seq 1 "$rounds"); do
  for w in $workloads; do
    for side in before after; do
      bin="$before"; [ "$side" = after ] && bin="$after"
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bin" bench --json --workload "$w" --threads 1 2>/dev/null \
        | sed "s/^{/{\"side\": \"$side\", \"round\": $r, /" >> "$out"
    done
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    key = (o["workload"], o["case"], o.get("variant", ""), o["metric"], o.get("unit", ""), o.get("lower_is_better", True))
    rows.setdefault(key, {"before": [], "after": []})[o["side"]].append(o["value"])
print("| workload | case | variant | unit | before (median) | after (median) | cost after/before (>1 = slower) |")
print("|---|---|---|---|---|---|---|")
for (w, c, v, m, u, lower), sides in sorted(rows.items()):
    if not sides["before"] or not sides["after"]: continue
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    cost = a / b if lower else b / a
    print(f"| {w} | {c} | {v} | {u or m} | {b:.4g} | {a:.4g} | {cost:.3f} |")
PY
echo "raw: $out" >&2
