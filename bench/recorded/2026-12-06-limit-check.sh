#!/usr/bin/env bash
# Step 3 of issue 13's 2026-12-06 round: W2 with `--limit 6000` (epochs of 6,000 images) against
# full 60,000-image epochs, 5 epochs each, 1 process (batch 128) and 2 ranks weak scaling over
# shared memory, alternating, 2 rounds. Run under `flock /tmp/bench.lock`.
set -euo pipefail
bin=${1:-.build/release/backprop}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs 5 --seed 0 --threads 1 --json --batch-size 128)
shm=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core --mca btl self,vader)
c() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
echo "# start $(date -u) git $(git rev-parse --short HEAD); $(uptime)"
for r in 1 2; do
  for limit in 6000 full; do
    extra=(); [ "$limit" = full ] || extra=(--limit "$limit")
    echo "one limit=$limit round=$r $("$bin" "${w2[@]}" "${extra[@]}" | c)"
    echo "ranks2 limit=$limit round=$r $("${shm[@]}" "$bin" "${w2[@]}" "${extra[@]}" --distributed | c)"
  done
done
echo "# end $(date -u); $(uptime)"
