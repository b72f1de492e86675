#!/usr/bin/env bash
# Profiles every rank of an mpirun job at once: each rank runs under its own `perf record`,
# writing $PERF_DIR/rank<N>.data (N = OMPI_COMM_WORLD_RANK).
#   PERF_DIR=/tmp/p mpirun … -x PERF_DIR bash bench/perf-rank.sh .build/release/backprop train … --distributed
set -euo pipefail
dir=${PERF_DIR:-/tmp}
exec perf record -F ${PERF_FREQ:-2000} -g -q -o "$dir/rank${OMPI_COMM_WORLD_RANK:-0}.data" -- "$@"
