#!/bin/bash
# W7 after the LSTM gate kernels (lstm.c), time-major recurrent LM and row-split gates: one compare.sh invocation at 1 and 2 threads
# (Backprop release binary of e2ddeca, PyTorch eager, JAX jit), in one exclusive hold of the lock,
# uptime logged before and after.
cd /work/wt-lm
O=bench/recorded/2026-12-06-lm-w7-lstm150-kernels
NEW=/tmp/lm/bin/backprop-e2ddeca
flock /tmp/bench.lock bash -c "
  echo \"## \$(date -u +%FT%TZ) binary e2ddeca, uptime before: \$(uptime)\" > $O.log
  bench/compare.sh --workloads W7 --threads '1 2' --backprop-bin $NEW --out $O.jsonl >> $O.log 2>&1
  echo \"rc \$? uptime after compare: \$(uptime)\" >> $O.log
"
