#!/bin/bash
# The rest of the accuracy runs in two lock holds (each under ~10 min), same binary (d9755bd).
cd /work/wt-lm
B=/tmp/lm-acc/backprop
LOG=bench/recorded/2026-12-05b-lm-accuracy.log
unset OPENBLAS_CORETYPE
R="--corpus words --layers 4 --heads 4 --embed 64 --context 16 --batch-size 64 --lr 5e-4 --schedule constant --steps 2000 --eval-every 500 --threads 1"
run() {
  local name=$1; shift
  echo "=== $name: $* ($(date -u +%FT%TZ))" >> $LOG
  echo "load before: $(uptime)" >> $LOG
  nice -n 10 "$@" > /tmp/lm-acc/$name.out 2>> $LOG
  echo "rc $? load after: $(uptime)" >> $LOG
  cat /tmp/lm-acc/$name.out >> $LOG
}
evalrun() {
  run $1-eval $B lm eval --model /tmp/lm-acc/$1.safetensors --threads 1 --json
  echo "--- samples $1 (lm sample --count 20 --temperature 0.8 --seed 1)" >> $LOG
  $B lm sample --model /tmp/lm-acc/$1.safetensors --count 20 --temperature 0.8 --seed 1 >> $LOG
}
export -f run evalrun; export B LOG R
flock /tmp/bench.lock bash -c '
  echo "### lock hold 1 $(date -u +%FT%TZ)" >> $LOG
  run bp-transformer-nanogpt $B lm train $R --arch transformer --save /tmp/lm-acc/bp-transformer-nanogpt.safetensors --json --quiet
  evalrun bp-transformer-nanogpt
  run pt-transformer-nanogpt python3 bench/lm_pytorch.py --steps 2000 --threads 1 --nanogpt'
flock /tmp/bench.lock bash -c '
  echo "### lock hold 2 $(date -u +%FT%TZ)" >> $LOG
  run bp-bigram $B lm train --corpus words --arch bigram --steps 1000 --batch-size 64 --lr 0.1 --eval-every 250 --threads 1 --save /tmp/lm-acc/bp-bigram.safetensors --json --quiet
  evalrun bp-bigram
  for s in 0 1 2; do
    run bp-lstm-s$s $B lm train ${R/--layers 4/--layers 1} --arch lstm --seed $s --save /tmp/lm-acc/bp-lstm-s$s.safetensors --json --quiet
    evalrun bp-lstm-s$s
    run pt-lstm-s$s python3 bench/lm_pytorch.py --arch lstm --layers 1 --steps 2000 --threads 1 --seed $((42+s))
  done'
echo "=== all done $(date -u +%FT%TZ)" >> $LOG
