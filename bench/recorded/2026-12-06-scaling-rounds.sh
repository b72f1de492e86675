#!/usr/bin/env bash
# W2 scaling rows of bench/scaling.sh repeated in alternating rounds (the same commands), to show
# the run-to-run spread on this 2-core host; prints samples/s from the median of epochs 2-3.
set -u
bin=.build/release/backprop
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs 3 --seed 0 --threads 1 --json)
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core)
j() { python3 -c 'import json,sys; d=json.load(sys.stdin); e=sorted(d["epoch_seconds"][1:]); print(round(60000/((e[0]+e[-1])/2)), round(d.get("exposed_communication_seconds", 0), 3), d.get("mpi_wait", "-"))'; }
echo "# $(date -u) $(git rev-parse --short HEAD); $(uptime)"
for round in 1 2 3; do
  echo "r$round 1x128 $($bin "${w2[@]}" --batch-size 128 | j)"
  echo "r$round strong_tcp $("${mpi[@]}" --mca btl self,tcp $bin "${w2[@]}" --batch-size 64 --distributed | j)"
  echo "r$round strong_vader $("${mpi[@]}" --mca btl self,vader $bin "${w2[@]}" --batch-size 64 --distributed | j)"
  echo "r$round weak_tcp $("${mpi[@]}" --mca btl self,tcp $bin "${w2[@]}" --batch-size 128 --distributed | j)"
  echo "r$round weak_vader $("${mpi[@]}" --mca btl self,vader $bin "${w2[@]}" --batch-size 128 --distributed | j)"
done
echo "# end $(date -u); $(uptime)"
