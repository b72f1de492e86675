#!/usr/bin/env bash
# Renders a training report and every SVG picture to PNG screenshots with headless Chromium, so
# that a person can look at them (the tests check structure; only eyes check that they read well).
#
#   scripts/check-report.sh [OUT_DIR] [--docs]
#
# OUT_DIR defaults to .build-viz/check-report. --docs also copies the README screenshots to
# docs/images/ (report.png, chain-rule.png, and report-cnn.png: a CNN's filters and feature maps). Needs Chromium (apt-get install -y chromium, or set
# CHROMIUM=/path/to/chrome); Graphviz (apt-get install -y graphviz) is optional: without it the
# autodiff graphs are written as DOT and not screenshotted. SCRATCH_PATH picks the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=.build-viz/check-report
DOCS=0
for arg in "$@"; do
  case "$arg" in
    --docs) DOCS=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) OUT="$arg" ;;
  esac
done
SCRATCH="${SCRATCH_PATH:-.build-viz}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "check-report: Chromium not found; install it (apt-get install -y chromium) or set CHROMIUM=/path/to/chrome" >&2
  exit 2
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

echo "== building"
swift build --scratch-path "$SCRATCH" --product backprop >/dev/null
BIN="$(swift build --scratch-path "$SCRATCH" --show-bin-path)/backprop"

echo "== pictures and graphs"
"$BIN" chain-rule --svg "$OUT/chain-rule.svg" --graph "$OUT/chain-rule-graph.svg" --explain >"$OUT/chain-rule.txt"
"$BIN" vector-chain-rule --svg "$OUT/vector-chain-rule.svg" --graph "$OUT/vector-chain-rule-graph.svg" --explain >"$OUT/vector-chain-rule.txt"
"$BIN" jacobian-shapes --svg "$OUT/jacobian-shapes.svg" --graph "$OUT/jacobian-shapes-graph.svg" --explain >"$OUT/jacobian-shapes.txt"

echo "== training report"
# From `backprop train --report` when the train command has the flag, else from the sample-report
# test (an MLP trained on the shipped digits by the test target, through the same recorder).
# Two runs: the default ReLU network (the README's screenshot) and a deep sigmoid network whose
# gradients vanish toward the input (the report's diagnosis and gradient chart should show it).
if "$BIN" train --help 2>/dev/null | grep -q -- '--report'; then
  "$BIN" train --dataset digits --epochs 20 --seed 0 --quiet --report "$OUT/report.html"
  "$BIN" train --dataset digits --epochs 20 --seed 0 --quiet --layers 64,32,32,32,32,10 --activation sigmoid \
    --optimizer sgd --lr 0.5 --report "$OUT/report-sigmoid.html"
  # A CNN (--arch cnn): the report adds the first layer's filters and the feature maps.
  if "$BIN" train --help 2>/dev/null | grep -q -- '--arch'; then
    "$BIN" train --dataset digits --arch cnn --epochs 5 --seed 0 --quiet --report "$OUT/report-cnn.html"
  fi
else
  BACKPROP_SAMPLE_REPORT="$OUT/report.html" swift test --scratch-path "$SCRATCH" --filter SampleReportTests >/dev/null
  BACKPROP_SAMPLE_DEPTH=4 BACKPROP_SAMPLE_REPORT="$OUT/report-sigmoid.html" \
    swift test --scratch-path "$SCRATCH" --filter SampleReportTests >/dev/null
fi
for html in "$OUT"/report*.html; do
  if grep -q '<script' "$html" || grep -Eo '(src|href)="[a-z]+:[^"]*' "$html" | grep -qv '^src="data:'; then
    echo "check-report: $html is not self-contained (script or external reference found)" >&2
    exit 1
  fi
done
grep -q 'Vanishing gradients' "$OUT/report-sigmoid.html" || { echo "check-report: the deep sigmoid report does not diagnose vanishing gradients" >&2; exit 1; }
if [ -f "$OUT/report-cnn.html" ]; then
  for id in filters feature-maps; do
    grep -q "id=\"$id\"" "$OUT/report-cnn.html" || { echo "check-report: the CNN report has no id=\"$id\" section" >&2; exit 1; }
  done
fi

# The root <svg>'s width and height in CSS pixels (Graphviz writes points: 1pt = 4/3 px).
svg_size() {
  tr '\n' ' ' <"$1" | grep -o '<svg[^>]*>' | head -1 | awk '{
    w = 800; h = 600
    if (match($0, /width="[0-9.]+(pt|px)?"/)) { s = substr($0, RSTART + 7, RLENGTH - 8); w = s + 0; if (s ~ /pt$/) w *= 4 / 3 }
    if (match($0, /height="[0-9.]+(pt|px)?"/)) { s = substr($0, RSTART + 8, RLENGTH - 9); h = s + 0; if (s ~ /pt$/) h *= 4 / 3 }
    printf "%d %d\n", w + 16, h + 16 }'
}

shot() {  # shot FILE PNG WIDTH HEIGHT
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --screenshot="$2" --window-size="$3,$4" "file://$1" >/dev/null 2>&1 || true
}

echo "== screenshots"
status=0
check() {  # A white page compresses to a few KB; anything drawn is far larger.
  if [ ! -s "$1" ]; then echo "  MISSING $1"; status=1
  elif [ "$(stat -c %s "$1")" -lt 12000 ]; then echo "  BLANK?  $1 ($(stat -c %s "$1") bytes)"; status=1
  else echo "  ok      $1 ($(stat -c %s "$1") bytes)"; fi
}
for svg in "$OUT"/*.svg; do
  read -r w h < <(svg_size "$svg")
  png="${svg%.svg}.png"
  shot "$svg" "$png" "$w" "$h"
  check "$png"
done
for html in "$OUT"/report*.html; do
  base="${html%.html}"
  shot "$html" "$base.png" 1200 1600        # the top: figures, curves, confusion matrix
  shot "$html" "$base-full.png" 1200 4400   # the whole page
  check "$base.png"
  check "$base-full.png"
done
if [ -f "$OUT/report-cnn.html" ]; then
  # The CNN's own sections: the report in a frame scrolled to its filters (a page's #fragment
  # is not scrolled to by --screenshot itself).
  cat >"$OUT/cnn-sections.html" <<'HTML'
<!doctype html><html><body style="margin:0;overflow:hidden;background:#fff">
<iframe src="report-cnn.html#filters" scrolling="no" style="border:0;width:1200px;height:1150px"></iframe>
</body></html>
HTML
  shot "$OUT/cnn-sections.html" "$OUT/report-cnn-filters.png" 1200 1150
  check "$OUT/report-cnn-filters.png"
fi

if [ "$DOCS" = 1 ]; then
  mkdir -p docs/images
  cp "$OUT/report.png" docs/images/report.png
  cp "$OUT/chain-rule.png" docs/images/chain-rule.png
  shots="docs/images/report.png docs/images/chain-rule.png"
  if [ -f "$OUT/report-cnn-filters.png" ]; then
    cp "$OUT/report-cnn-filters.png" docs/images/report-cnn.png
    shots="$shots docs/images/report-cnn.png"
  fi
  for f in $shots; do
    size=$(stat -c %s "$f")
    [ "$size" -le 153600 ] || { echo "check-report: $f is $size bytes (> 150 KB)" >&2; status=1; }
    echo "  copied  $f ($size bytes)"
  done
fi
echo "Look at the PNGs in $OUT (report.png, report-full.png, one per SVG)."
exit $status
