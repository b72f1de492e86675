#!/bin/bash
# W7 after this round: one compare.sh invocation at 1 and 2 threads (Backprop binary of 1dc67ce,
# PyTorch eager, JAX jit), then the before (main at 718a649) and after binaries alternated twice
# at 1 and 2 threads; all in one exclusive hold of the lock, uptime logged before and after.
cd /work/wt-lm
O=bench/recorded/2026-12-06-lm-w7
BASE=/tmp/lm/bin/backprop-base-718a649
NEW=/tmp/lm/bin/backprop-1dc67ce
flock /tmp/bench.lock bash -c "
  echo \"## \$(date -u +%FT%TZ) binary 1dc67ce, uptime before: \$(uptime)\" > $O.log
  bench/compare.sh --workloads W7 --threads '1 2' --backprop-bin $NEW --out $O.jsonl >> $O.log 2>&1
  echo \"rc \$? uptime after compare: \$(uptime)\" >> $O.log
  echo \"## before/after \$(date -u +%FT%TZ), uptime: \$(uptime)\" > $O-before-after.log
  for round in 1 2; do
    for t in 1 2; do
      for b in $BASE $NEW; do
        echo \"### round \$round threads \$t \$b\" >> $O-before-after.log
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE BACKPROP_THREADS=\$t \$b bench --workload W7 --threads \$t --runs 20 >> $O-before-after.log 2>&1
      done
    done
  done
  echo \"## done \$(date -u +%FT%TZ), uptime after: \$(uptime)\" >> $O-before-after.log
"
