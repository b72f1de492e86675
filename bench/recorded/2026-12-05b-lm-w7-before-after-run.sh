#!/bin/bash
# Before/after of this round's kernels, W7 at 1 thread, alternating binaries in one lock hold.
cd /work/wt-lm
O=bench/recorded/2026-12-05b-lm-w7-before-after.log
unset OPENBLAS_CORETYPE
flock /tmp/bench.lock bash -c "
echo \"## \$(date -u +%FT%TZ) uptime before: \$(uptime)\" > $O
for r in 1 2; do
  for b in d9755bd ef9b109 683d6a9 d77261a; do
    echo \"--- \$b run \$r\" >> $O
    /tmp/lm-acc/backprop-\$b bench --workload W7 --threads 1 2>&1 | grep -E 'W7 ' >> $O
  done
done
echo \"## uptime after: \$(uptime)\" >> $O"
