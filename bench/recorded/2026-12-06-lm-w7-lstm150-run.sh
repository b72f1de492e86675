#!/bin/bash
# W7 with the 1x150 LSTM on all three sides: one compare.sh invocation at 1 and 2 threads
# (Backprop release binary of 311a7b0, PyTorch eager, JAX jit), in one exclusive hold of the lock,
# uptime logged before and after.
cd /work/wt-lm
O=bench/recorded/2026-12-06-lm-w7-lstm150
NEW=/tmp/lm/bin/backprop-311a7b0
flock /tmp/bench.lock bash -c "
  echo \"## \$(date -u +%FT%TZ) binary 311a7b0, uptime before: \$(uptime)\" > $O.log
  bench/compare.sh --workloads W7 --threads '1 2' --backprop-bin $NEW --out $O.jsonl >> $O.log 2>&1
  echo \"rc \$? uptime after compare: \$(uptime)\" >> $O.log
"
