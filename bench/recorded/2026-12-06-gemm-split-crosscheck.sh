#!/usr/bin/env bash
# Old (28c5387: OpenBLAS threads itself) vs new (main: OpenBLAS on one thread, products split on Backprop's pool), alternating.
old=/work/wt-old/.build/release/backprop; new=/work/main/.build/release/backprop
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
echo "# $(date -u) old=28c5387 new=$(git -C /work/main rev-parse --short HEAD); $(uptime)"
for round in 1 2; do
  for t in 1 2; do
    for v in old new; do
      b=${!v}
      for w in W1 W2; do echo "$v t=$t $w $(BACKPROP_THREADS=$t $b bench --workload $w --threads $t --runs 3 --json | tr '\n' ' ')"; done
      echo "$v t=$t W6 $(BACKPROP_THREADS=$t $b bench --workload W6 --threads $t --runs 1 --limit 6000 --json | tr '\n' ' ')"
      echo "$v t=$t W7 $(BACKPROP_THREADS=$t $b bench --workload W7 --threads $t --runs 5 --json | tr '\n' ' ')"
    done
  done
done
echo "# end $(date -u); $(uptime)"
