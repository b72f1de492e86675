#!/usr/bin/env bash
# Before/after round 3 in one invocation: W2 2 ranks weak scaling over shared memory with the
# binary of main f4f02cf's MLP and MPI code (built at c1bb8c7, same sources) and with the build
# that gives half-bucket parameters a bucket of their own (no copies), alternating, ROUNDS (default 4) rounds,
# each against the after build's 1-process run.
# Run under `flock /tmp/bench.lock`.   bash bench/recorded/2026-12-06-round3-ab.sh BEFORE AFTER
set -euo pipefail
before=$1; after=$2
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs 5 --seed 0 --threads 1 --json --batch-size 128)
shm=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core --mca btl self,vader)
c() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
probe=/tmp/core_to_core.$$; cc -O3 -march=native -pthread "$(dirname "$0")/../core_to_core.c" -o "$probe"
echo "# start $(date -u) git $(git rev-parse --short HEAD); $(uptime)"
for r in $(seq "${ROUNDS:-4}"); do
  echo "# probe round=$r $("$probe")"
  echo "one_b128 round=$r $("$after" "${w2[@]}" | c)"
  echo "before round=$r $("${shm[@]}" "$before" "${w2[@]}" --distributed | c)"
  echo "after round=$r $("${shm[@]}" "$after" "${w2[@]}" --distributed | c)"
done
echo "# probe end $("$probe")"; rm -f "$probe"
echo "# end $(date -u); $(uptime)"
