#!/usr/bin/env bash
# The crash-safety test on its own, with more kills: SIGKILLs a process that saves a 4 MB
# checkpoint in a loop (Sources/checkpoint-writer) N times and checks after every kill that the
# file loads and is one complete version (Tests/RobustnessTests/CheckpointKillTests.swift).
#
#   scripts/kill-test.sh [N] [SEED]      # default N = 200, SEED random (printed)
#
# Uses the same scratch folder as `swift test` unless SCRATCH is set.
set -euo pipefail
cd "$(dirname "$0")/.."
export ROBUSTNESS_KILL_ITERATIONS=${1:-200}
[ -n "${2:-}" ] && export ROBUSTNESS_KILL_SEED=$2
scratch=()
[ -n "${SCRATCH:-}" ] && scratch=(--scratch-path "$SCRATCH")
swift build --build-tests "${scratch[@]}"
swift test --skip-build "${scratch[@]}" --filter 'CheckpointKillTests' 2>&1 | tee /tmp/kill-test.$$.log
grep -q "checkpoint kill test:" /tmp/kill-test.$$.log && grep "checkpoint kill test:" /tmp/kill-test.$$.log
rm -f /tmp/kill-test.$$.log
