#!/bin/bash
# Accuracy runs for issue 12, one at a time under the shared lock.
cd /work/wt-lm
B=/tmp/lm-acc/backprop
OUT=bench/recorded/2026-12-05b-lm-accuracy
LOG=$OUT.log; J=$OUT.jsonl
: > $LOG; : > $J
unset OPENBLAS_CORETYPE
R="--corpus words --layers 4 --heads 4 --embed 64 --context 16 --batch-size 64 --lr 5e-4 --schedule constant --steps 2000 --eval-every 500 --threads 1"
run() {  # name, command...
  local name=$1; shift
  echo "=== $name: $* ($(date -u +%FT%TZ))" >> $LOG
  echo "load before: $(uptime)" >> $LOG
  flock /tmp/bench.lock nice -n 10 "$@" > /tmp/lm-acc/$name.out 2>> $LOG
  echo "rc $? load after: $(uptime)" >> $LOG
  cat /tmp/lm-acc/$name.out >> $LOG
  tail -1 /tmp/lm-acc/$name.out | python3 -c "import sys,json; d=json.loads(sys.stdin.read()); d['run']='$name'; print(json.dumps(d))" >> $J 2>/dev/null
}
evalrun() {  # name
  run $1-eval $B lm eval --model /tmp/lm-acc/$1.safetensors --threads 1 --json
  echo "--- samples $1 (lm sample --count 20 --temperature 0.8 --seed 1)" >> $LOG
  $B lm sample --model /tmp/lm-acc/$1.safetensors --count 20 --temperature 0.8 --seed 1 >> $LOG
}
run bp-transformer-pytorch $B lm train $R --arch transformer --untied-head --init pytorch --save /tmp/lm-acc/bp-transformer-pytorch.safetensors --json --quiet
evalrun bp-transformer-pytorch
run pt-transformer python3 bench/lm_pytorch.py --steps 2000 --threads 1
run bp-transformer-nanogpt $B lm train $R --arch transformer --save /tmp/lm-acc/bp-transformer-nanogpt.safetensors --json --quiet
evalrun bp-transformer-nanogpt
run pt-transformer-nanogpt python3 bench/lm_pytorch.py --steps 2000 --threads 1 --nanogpt
run bp-bigram $B lm train --corpus words --arch bigram --steps 1000 --batch-size 64 --lr 0.1 --eval-every 250 --threads 1 --save /tmp/lm-acc/bp-bigram.safetensors --json --quiet
evalrun bp-bigram
for s in 0 1 2; do
  run bp-lstm-s$s $B lm train ${R/--layers 4/--layers 1} --arch lstm --seed $s --save /tmp/lm-acc/bp-lstm-s$s.safetensors --json --quiet
  evalrun bp-lstm-s$s
  run pt-lstm-s$s python3 bench/lm_pytorch.py --arch lstm --layers 1 --steps 2000 --threads 1 --seed $((42+s))
done
echo "=== all done $(date -u +%FT%TZ)" >> $LOG
