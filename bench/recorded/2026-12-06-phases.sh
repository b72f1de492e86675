#!/usr/bin/env bash
# W2 (full 60,000-sample epochs, 3 epochs, 1 thread per process), three alternating rounds of:
# 1 process batch 128; two independent batch-128 processes at once, one per core (the weak-scaling
# ceiling); 2 ranks weak scaling over shared memory (per-rank batch 128). Every run's JSON
# carries rank_phases (per-rank phase seconds). Run under `flock /tmp/bench.lock`.
#   bash bench/recorded/2026-12-06-phases.sh [bin] [rounds] [extra train args...]
set -euo pipefail
bin=${1:-.build/release/backprop}; rounds=${2:-3}; shift 2 || true
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs 3 --seed 0 --threads 1 --json "$@")
shm=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core --mca btl self,vader)
c() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
echo "# start $(date -u) git $(git rev-parse --short HEAD); $(uptime)"
for r in $(seq "$rounds"); do
  echo "one_b128 round=$r $("$bin" "${w2[@]}" --batch-size 128 | c)"
  taskset -c 0 "$bin" "${w2[@]}" --batch-size 128 | c > /tmp/phases.pair0.$$ &
  taskset -c 1 "$bin" "${w2[@]}" --batch-size 128 | c > /tmp/phases.pair1.$$
  wait
  echo "pair0_b128 round=$r $(cat /tmp/phases.pair0.$$)"; echo "pair1_b128 round=$r $(cat /tmp/phases.pair1.$$)"
  echo "ranks2_weak_vader round=$r $("${shm[@]}" "$bin" "${w2[@]}" --batch-size 128 --distributed | c)"
done
rm -f /tmp/phases.pair0.$$ /tmp/phases.pair1.$$
echo "# end $(date -u); $(uptime)"
