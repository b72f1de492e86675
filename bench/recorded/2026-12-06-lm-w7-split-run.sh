#!/bin/bash
# W7 after the GEMM split (a1dbafe): one compare.sh invocation at 1 and 2 threads, then main
# (517a0ac) and a1dbafe alternated three times at 2 threads and twice at 1; one exclusive hold.
cd /work/wt-lm
O=bench/recorded/2026-12-06-lm-w7-split
BASE=/tmp/lm/bin/backprop-main-517a0ac
NEW=/tmp/lm/bin/backprop-a1dbafe
flock /tmp/bench.lock bash -c "
  echo \"## \$(date -u +%FT%TZ) binary a1dbafe, uptime before: \$(uptime)\" > $O.log
  bench/compare.sh --workloads W7 --threads '1 2' --backprop-bin $NEW --out $O.jsonl >> $O.log 2>&1
  echo \"rc \$? uptime after compare: \$(uptime)\" >> $O.log
  echo \"## before/after \$(date -u +%FT%TZ), uptime: \$(uptime)\" > $O-before-after.log
  for t in 2 1 2 1 2; do
    for b in $BASE $NEW; do
      echo \"### threads \$t \$b\" >> $O-before-after.log
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE BACKPROP_THREADS=\$t \$b bench --workload W7 --threads \$t --runs 40 >> $O-before-after.log 2>&1
    done
  done
  echo \"## done \$(date -u +%FT%TZ), uptime after: \$(uptime)\" >> $O-before-after.log
"
