#!/bin/bash
# W6 on merged main (implicit-GEMM convolutions, LSTM/cnn/mpi work merged): one compare.sh
# invocation at 1 and 2 threads against PyTorch and JAX, full epochs, in one exclusive hold.
cd /work/main
O=bench/recorded/2026-12-06-w6-final
flock /tmp/bench.lock bash -c "uptime; bench/compare.sh --workloads W6 --threads '1 2' --frameworks 'pytorch jax' --backprop-bin /tmp/main-bin/backprop-f4f02cf --out $O.jsonl; uptime"
