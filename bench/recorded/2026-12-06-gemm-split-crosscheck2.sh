#!/usr/bin/env bash
old=/work/wt-old/.build/release/backprop; new=/work/main/.build/release/backprop
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
echo "# $(date -u) old=28c5387 new=7eaab7e; $(uptime)"
for round in 1 2 3; do for v in old new; do b=${!v}
  echo "$v t=2 W2 $(BACKPROP_THREADS=2 $b bench --workload W2 --threads 2 --runs 3 --json | tr '\n' ' ')"
  echo "$v t=2 W6 $(BACKPROP_THREADS=2 $b bench --workload W6 --threads 2 --runs 1 --limit 6000 --json | tr '\n' ' ')"
done; done
echo "# end $(date -u); $(uptime)"
