#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/targets/ and runs them on their seed corpora.
#
#   scripts/fuzz.sh build                 # build every target into .build-fuzz/fuzzers/
#   scripts/fuzz.sh run [TARGET...]       # build, then run each target for $RUNS inputs
#   scripts/fuzz.sh smoke                 # build, then run each target over its seeds only
#   scripts/fuzz.sh list                  # the target names
#
# Targets: idx, idx-gzip, csv, safetensors, model, cli. Environment:
#   RUNS=1000000      inputs per target for `run` (libFuzzer's -runs)
#   CONFIG=release    SwiftPM configuration of the instrumented library (debug is ~3x slower)
#   JOBS=1            parallel libFuzzer processes per target (-fork is not used: plain -runs)
#   SANITIZE=fuzzer,address
#   FUZZ_ARGS=...     extra libFuzzer flags (e.g. -max_total_time=600)
#   NO_BUILD=1        `run` without building; LINK_ONLY=1 `build` relinks the targets without
#                     rebuilding the package (LINK_TARGETS="cli model" to relink some)
#   FUZZ_CLI_PARSE_ONLY=1  the cli target skips rendering error messages (~1.4x faster)
#
# How it works: SwiftPM builds the whole package (through the `backprop` CLI module) with
# `-sanitize=fuzzer,address`, which instruments every Swift module for coverage and ASan. The
# CLI's `@main` is compiled with `-entry-point-function-name backprop_main` by SwiftPM, so its
# objects link next to libFuzzer's own `main`. Each Fuzz/targets/<Name>.swift defines
# `LLVMFuzzerTestOneInput` and is linked with `swiftc -sanitize=fuzzer,address` against those
# objects. New CLI subcommands and new library files are picked up automatically.
#
# Results: a crash, a hang (-timeout=5 s per input), or memory over -rss_limit_mb=2048 stops
# the run with a non-zero status and a reproducer in .build-fuzz/artifacts/<target>/; thrown
# errors are fine. A run's log is .build-fuzz/logs/<target>.log; its last line is the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=${SCRATCH:-$ROOT/.build-fuzz}
CONFIG=${CONFIG:-release}
RUNS=${RUNS:-1000000}
JOBS=${JOBS:-1}
SANITIZE=${SANITIZE:-fuzzer,address}
FUZZ_ARGS=${FUZZ_ARGS:-}
OUTDIR=$SCRATCH/fuzzers

# target name -> source file (and corpus / dictionary name)
declare -A SOURCES=([idx]=FuzzIDX.swift [idx-gzip]=FuzzIDXGzip.swift [csv]=FuzzCSV.swift
  [safetensors]=FuzzSafeTensors.swift [model]=FuzzModelFile.swift [cli]=FuzzCLI.swift)
ALL_TARGETS=(idx idx-gzip csv safetensors model cli)

build() {
  echo "== building the instrumented package ($CONFIG, -sanitize=$SANITIZE) in $SCRATCH"
  local extra=()
  # @testable import of the CLI module (its command types are internal) needs -enable-testing,
  # which SwiftPM passes only in debug builds.
  [ "$CONFIG" = release ] && extra+=(-Xswiftc -enable-testing)
  # LINK_ONLY=1 relinks the targets against the objects already built (after editing a target).
  [ "${LINK_ONLY:-0}" = 1 ] ||
    swift build --scratch-path "$SCRATCH" -c "$CONFIG" -Xswiftc "-sanitize=$SANITIZE" "${extra[@]}" --target backprop
  local bin
  bin=$(swift build --scratch-path "$SCRATCH" -c "$CONFIG" --show-bin-path)

  # Every object of the modules the CLI is made of (not tests, plugins or their tools).
  local objects=()
  while IFS= read -r o; do objects+=("$o"); done < <(
    find "$bin" -path "$bin/Modules" -prune -o -name '*.o' -print |
      grep -Ev '/([^/]*Tests|_BackpropTestSupport|[^/]*-tool|generate_[^/]*)\.build/' | sort)
  # C modules (zlib, the kernels, swift-numerics' shims): their module maps and include folders.
  local cflags=()
  while IFS= read -r m; do cflags+=(-Xcc "-fmodule-map-file=$m"); done < <(
    ls "$ROOT"/Sources/*/module.modulemap "$bin"/*.build/module.modulemap \
      "$SCRATCH"/checkouts/*/Sources/*/include/module.modulemap 2>/dev/null || true)
  while IFS= read -r d; do cflags+=(-Xcc -I -Xcc "$d"); done < <(
    ls -d "$ROOT"/Sources/*/include "$SCRATCH"/checkouts/*/Sources/*/include 2>/dev/null || true)
  local opt=-Onone
  [ "$CONFIG" = release ] && opt=-O

  mkdir -p "$OUTDIR"
  for t in ${LINK_TARGETS:-${ALL_TARGETS[@]}}; do
    echo "== linking fuzz-$t"
    swiftc "-sanitize=$SANITIZE" -parse-as-library $opt -g -module-name "Fuzz_${t//-/_}" \
      -I "$bin/Modules" "${cflags[@]}" \
      "Fuzz/targets/${SOURCES[$t]}" "${objects[@]}" \
      -lz -ldl -lpthread \
      -o "$OUTDIR/fuzz-$t" 2> >(grep -v "Cannot export local symbol '__asan" >&2)
  done
}

run_target() {
  local t=$1 runs=$2
  local corpus=$SCRATCH/corpus/$t artifacts=$SCRATCH/artifacts/$t log=$SCRATCH/logs/$t.log
  # Work on a copy of the seeds, so the repository's corpus stays small (libFuzzer adds inputs).
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp Fuzz/corpus/"$t"/* "$corpus"/
  local dict=()
  [ -f "Fuzz/dict/$t.dict" ] && dict=(-dict="Fuzz/dict/$t.dict")
  # The CLI's dictionary is regenerated from Sources/backprop, so new subcommands are in it.
  if [ "$t" = cli ] && python3 Fuzz/make_corpus.py --cli-dict "$SCRATCH/cli.dict" 2>/dev/null; then
    dict=(-dict="$SCRATCH/cli.dict")
  fi
  local cmd=("$OUTDIR/fuzz-$t" -runs="$runs" -timeout=5 -rss_limit_mb=2048 -max_len=65536
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" $FUZZ_ARGS "$corpus")
  echo "== fuzz-$t: ${cmd[*]}"
  local start=$SECONDS status=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0} "${cmd[@]}" >"$log" 2>&1 || status=$?
  local execs
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  echo "   status $status, ${execs:-?} executions in $((SECONDS - start)) s; log $log"
  if [ $status -ne 0 ]; then tail -40 "$log"; return $status; fi
}

case "${1:-run}" in
  list) printf '%s\n' "${ALL_TARGETS[@]}" ;;
  build) build ;;
  smoke)
    build
    for t in "${ALL_TARGETS[@]}"; do run_target "$t" 0; done ;;
  run)
    shift || true
    targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
    [ "${NO_BUILD:-0}" = 1 ] || build
    failed=0
    for t in "${targets[@]}"; do run_target "$t" "$RUNS" || failed=1; done
    exit $failed ;;
  *) echo "usage: $0 [build|run [TARGET...]|smoke|list]" >&2; exit 2 ;;
esac
