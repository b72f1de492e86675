#!/usr/bin/env bash
# Alternating A/B of W2 2-rank weak scaling over shared memory (3 full epochs, per-rank batch 128,
# 1 thread per rank), plus one 1-process batch-128 run per round as the reference. Each arm is
# "label|extra mpirun args|extra train args". Run under `flock /tmp/bench.lock`.
#   bash bench/recorded/2026-12-06-mpi-ab.sh BIN ROUNDS 'blocks4||' 'blocks1||--gradient-blocks 1' …
set -euo pipefail
bin=$1; rounds=$2; shift 2
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs ${EPOCHS:-3} --seed 0 --threads 1 --json)
probe=/tmp/core_to_core.$$
cc -O3 -march=native -pthread "$(dirname "$0")/../core_to_core.c" -o "$probe"
c() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
echo "# start $(date -u) git $(git rev-parse --short HEAD); $(uptime)"
for r in $(seq "$rounds"); do
  echo "# probe round=$r $("$probe")"
  echo "one_b128 round=$r $("$bin" "${w2[@]}" --batch-size 128 | c)"
  for arm in "$@"; do
    IFS='|' read -r label mpiargs trainargs <<< "$arm"
    # shellcheck disable=SC2086
    echo "$label round=$r $(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core --mca btl self,vader $mpiargs "$bin" "${w2[@]}" --batch-size 128 --distributed $trainargs | c)"
  done
done
rm -f "$probe"
echo "# end $(date -u); $(uptime)"
