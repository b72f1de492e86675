#!/usr/bin/env bash
# arms: "label|binary|mpirun options|extra train args"; reference: first arm's binary, 1 process
set -uo pipefail
rounds=$1; shift
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer ${OPT:-sgd} --lr 0.1 --epochs ${EPOCHS:-3} --seed 0 --threads 1 --json)
c() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
IFS='|' read -r _ bin0 _ _ <<< "$1"
for r in $(seq "$rounds"); do
  echo "one_b128 round=$r $("$bin0" "${w2[@]}" --batch-size 128 | c)"
  for arm in "$@"; do
    IFS='|' read -r label bin mpiargs trainargs <<< "$arm"
    echo "$label round=$r $(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core --mca btl self,vader $mpiargs "$bin" "${w2[@]}" --batch-size 128 --distributed $trainargs | c)"
  done
done
