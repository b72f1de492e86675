#!/usr/bin/env bash
# Builds the DocC documentation of the umbrella module (its catalog, Sources/Backprop/Backprop.docc,
# holds the articles) and fails on any warning. Not part of .ci/run, which runs exactly `swift test`.
#
#   scripts/check-docs.sh            # check
#   OUT=docs-site scripts/check-docs.sh   # also keep the generated archive in docs-site/
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
args=(--target Backprop --warnings-as-errors)
if [ -n "${OUT:-}" ]; then
  args+=(--output-path "$OUT")
  swift package --allow-writing-to-directory "$OUT" generate-documentation "${args[@]}" 2>&1 | tee "$log"
else
  swift package generate-documentation "${args[@]}" 2>&1 | tee "$log"
fi
if grep -E "warning:" "$log" >/dev/null; then
  echo "check-docs: DocC printed warnings (above)" >&2
  exit 1
fi
echo "check-docs: documentation built without warnings"
