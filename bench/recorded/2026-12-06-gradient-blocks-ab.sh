#!/usr/bin/env bash
# A/B of the first-layer gradient in row blocks (issue 13, step "overlap the first layer"):
# /tmp/bp-before-mpi = release binary of branch mpi before the change (04ef9ec code, built 02:41),
# /tmp/bp-blocks = this commit's release binary, run with --gradient-blocks 4 (default) and 1.
# W2 rows as bench/recorded/2026-12-06-scaling-rounds-ring.sh: samples/s from the mean of the
# fastest and slowest of epochs 2-3; alternating, 3 rounds, one invocation.
set -u
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs 3 --seed 0 --threads 1 --json)
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core)
j() { python3 -c 'import json,sys; d=json.load(sys.stdin); e=sorted(d["epoch_seconds"][1:]); print(round(60000/((e[0]+e[-1])/2)), round(d.get("exposed_communication_seconds", 0), 3), round(sum(d["epoch_seconds"]), 3), d.get("mpi_wait", "-"), d.get("weights_digest", "-"))'; }
echo "# $(date -u) $(git rev-parse --short HEAD); $(uptime)"
for round in 1 2 3; do
  for arm in before blocks4 blocks1; do
    case $arm in
      before) bin=/tmp/bp-before-mpi; extra=() ;;
      blocks4) bin=/tmp/bp-blocks; extra=(--gradient-blocks 4) ;;
      blocks1) bin=/tmp/bp-blocks; extra=(--gradient-blocks 1) ;;
    esac
    [ $arm != blocks1 ] && echo "r$round $arm 1x128 $($bin "${w2[@]}" --batch-size 128 | j)"
    echo "r$round $arm strong_tcp $("${mpi[@]}" --mca btl self,tcp $bin "${w2[@]}" --batch-size 64 --distributed "${extra[@]}" | j)"
    echo "r$round $arm weak_vader $("${mpi[@]}" --mca btl self,vader $bin "${w2[@]}" --batch-size 128 --distributed "${extra[@]}" | j)"
  done
done
echo "# end $(date -u); $(uptime)"
