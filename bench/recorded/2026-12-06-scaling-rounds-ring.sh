#!/usr/bin/env bash
# W2 scaling rows of bench/scaling.sh in alternating rounds, with Backprop's default
# non-blocking allreduce (ring, set before MPI_Init) and with Open MPI's own choice
# (--mca coll_libnbc_iallreduce_algorithm 0), same invocation; samples/s from the mean of epochs 2-3.
set -u
bin=.build/release/backprop
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
w2=(train --dataset fashion-mnist --layers 784,256,128,10 --optimizer sgd --lr 0.1 --epochs 3 --seed 0 --threads 1 --json)
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to core)
j() { python3 -c 'import json,sys; d=json.load(sys.stdin); e=sorted(d["epoch_seconds"][1:]); print(round(60000/((e[0]+e[-1])/2)), round(d.get("exposed_communication_seconds", 0), 3), round(sum(d["epoch_seconds"]), 3), d.get("mpi_wait", "-"))'; }
echo "# $(date -u) $(git rev-parse --short HEAD) + ring default (uncommitted mpi_loader.c); $(uptime)"
for round in 1 2 3; do
  echo "r$round 1x128 $($bin "${w2[@]}" --batch-size 128 | j)"
  for btl in tcp vader; do
    echo "r$round strong_$btl $("${mpi[@]}" --mca btl self,$btl $bin "${w2[@]}" --batch-size 64 --distributed | j)"
    echo "r$round strong_${btl}_ompi $("${mpi[@]}" --mca btl self,$btl --mca coll_libnbc_iallreduce_algorithm 0 $bin "${w2[@]}" --batch-size 64 --distributed | j)"
    echo "r$round weak_$btl $("${mpi[@]}" --mca btl self,$btl $bin "${w2[@]}" --batch-size 128 --distributed | j)"
    echo "r$round weak_${btl}_ompi $("${mpi[@]}" --mca btl self,$btl --mca coll_libnbc_iallreduce_algorithm 0 $bin "${w2[@]}" --batch-size 128 --distributed | j)"
  done
done
echo "# end $(date -u); $(uptime)"
