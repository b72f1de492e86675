#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and ThreadSanitizer, each in its own scratch
# folder (.build-asan, .build-tsan), and writes each log to .build-<name>/sanitizer-<kind>.log.
#
#   scripts/sanitizers.sh            # address and thread
#   scripts/sanitizers.sh address    # one or more of: address, thread, leak
#
# `leak` reuses the AddressSanitizer build with LeakSanitizer on (detect_leaks=1), suppressing
# leaks whose stack passes through Foundation or XCTest (they leak small buffers of their own:
# Data(contentsOf:) of an empty file, Process, Bundle.allBundles); a leak in Backprop's code
# (a graph kept alive by a reference cycle, say) is reported.
#
# Environment: FILTER=regex passes --filter to swift test; SKIP=regex passes --skip.
#   ASAN_OPTIONS / TSAN_OPTIONS are honoured; by default the first ASan report stops the run and
#   TSan reports every race it sees (its exit status is then non-zero).
# Exit status: non-zero if either run fails or a sanitizer reports anything.
#
# Cost on the 2-core development machine (see docs/TESTING.md): each is a full debug build of
# the package and its tests with instrumentation, then the suite, which runs several times
# slower than without a sanitizer.
set -uo pipefail
cd "$(dirname "$0")/.."
sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)
extra=()
[ -n "${FILTER:-}" ] && extra+=(--filter "$FILTER")
[ -n "${SKIP:-}" ] && extra+=(--skip "$SKIP")
# Leak checking is off by default: LeakSanitizer needs Debian's libclang-rt-14-dev runtime
# and Swift's runtime keeps metadata caches alive on purpose. Set ASAN_OPTIONS to change.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
status=0
for s in "${sanitizers[@]}"; do
  case $s in
    address) dir=.build-asan ;;
    thread) dir=.build-tsan ;;
    leak) dir=.build-asan ;;
    *) echo "unknown sanitizer '$s' (address, thread or leak)" >&2; exit 2 ;;
  esac
  mkdir -p "$dir"
  log=$dir/sanitizer-$s.log
  flag=$s env=()
  if [ "$s" = leak ]; then
    flag=address
    printf 'leak:libFoundation.so\nleak:libFoundationEssentials.so\nleak:libXCTest.so\n' >"$dir/lsan.supp"
    env=(ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$PWD/$dir/lsan.supp:print_suppressions=1)
  fi
  echo "== swift test --sanitize=$flag --scratch-path $dir ${extra[*]} ${env[*]}  (log: $log)"
  start=$SECONDS
  swift build --build-tests --sanitize="$flag" --scratch-path "$dir" >"$log" 2>&1
  rc=$?
  built=$((SECONDS - start))
  if [ $rc -eq 0 ]; then
    env "${env[@]}" swift test --skip-build --sanitize="$flag" --scratch-path "$dir" "${extra[@]}" >>"$log" 2>&1
    rc=$?
  fi
  reports=$(grep -cE '^(==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread)Sanitizer)' "$log")
  echo "   build ${built} s, total $((SECONDS - start)) s, exit $rc, sanitizer reports: $reports"
  grep -E "^(✔|✘) Test run|Executed [0-9]+ tests|^SUMMARY:" "$log" | tail -4 | sed 's/^/   /'
  if [ $rc -ne 0 ] || [ "$reports" -ne 0 ]; then status=1; fi
done
exit $status
