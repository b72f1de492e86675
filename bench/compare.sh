#!/usr/bin/env bash
# Runs Backprop's benchmark and the reference implementations (PyTorch, JAX, NumPy, micrograd)
# back to back, workload by workload, collects their JSON Lines in one results file and prints a
# Markdown table of values and Backprop/reference ratios (bench/table.py).
#
#   bench/compare.sh                       # W1–W5, 1 and 2 threads (W3 at 1 thread), short runs
#   bench/compare.sh --full                # 10 epochs for W2, more repeats, W3 at 1 and 2 threads
#   bench/compare.sh --workloads "W1 W2" --threads 1
#   bench/compare.sh --workloads W6 --limit 6000   # the CNN epoch (W6) on 6,000 images
#   bench/compare.sh --workloads W7        # language models (not in the default set): steps/s, tokens/s
#   bench/compare.sh --no-swift            # references only
#   bench/compare.sh --no-reference        # Backprop only
#   bench/compare.sh --frameworks "numpy pytorch"
#   bench/compare.sh --out results.jsonl   # default: bench/results/<date>.jsonl (+ .md, .log)
#   bench/compare.sh --backprop-bin PATH   # use this backprop binary instead of building one
#
# Backprop's side is `backprop bench --json --workload W --threads T`, from a binary built once
# with `swift build -c release --product backprop` (the same as `swift run -c release backprop
# bench ...`, without re-checking the build before every command); if swift, the build or the
# bench command is missing, compare.sh says so and runs the references alone.
#
# The Python side is optional (see bench/README.md): a framework that is not installed is skipped
# with a note. Each reference runs in its own process per workload and thread count (so peak RSS
# is per workload), with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only —
# they pin NumPy's OpenBLAS to an older kernel than this CPU runs; each NumPy row records the
# kernel actually used (threadpoolctl). Backprop's dlopen'd OpenBLAS runs with the same two
# variables unset, so that both sides use the kernel OpenBLAS picks for this CPU.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

workloads="W1 W2 W3 W4 W5"
threads_list="1 2"
frameworks="pytorch jax numpy micrograd"
full=0
swift=1
reference=1
out=""
bp_bin="${BACKPROP_BIN:-}"
timeout_s="${BENCH_TIMEOUT:-1200}"
limit=""
python="${PYTHON:-python3}"

usage() { sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads|--workload) workloads="${2//,/ }"; shift 2 ;;
    --threads) threads_list="${2//,/ }"; shift 2 ;;
    --frameworks) frameworks="${2//,/ }"; shift 2 ;;
    --full) full=1; shift ;;
    --no-swift) swift=0; shift ;;
    --no-reference) reference=0; shift ;;
    --out) out="$2"; shift 2 ;;
    --backprop-bin) bp_bin="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ "$workloads" = "all" ] && workloads="W1 W2 W3 W4 W5"
[ $swift -eq 0 ] && bp_bin=""

stamp="$(date +%Y%m%d-%H%M%S)"
if [ -z "$out" ]; then
  mkdir -p "$here/results"
  out="$here/results/$stamp.jsonl"
fi
mkdir -p "$(dirname "$out")"
log="${out%.jsonl}.log"
md="${out%.jsonl}.md"
: > "$out"
: > "$log"

say() { echo "[compare $(date +%H:%M:%S)] $*" >&2; echo "[compare $(date +%H:%M:%S)] $*" >> "$log"; }

# A JSON line the table reads for its header (and so that a results file says where it came from).
meta() {
  "$python" - "$1" "$root" <<'EOF' >> "$out" 2>/dev/null || true
import json, os, platform, subprocess, sys, time
cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
try:
    commit = subprocess.run(["git", "-C", sys.argv[2], "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
except Exception:
    commit = ""
print(json.dumps({"meta": sys.argv[1], "time": time.strftime("%Y-%m-%d %H:%M:%S"), "cpu": cpu,
                  "cores": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
                  "git": commit, "openblas_env": {k: v for k, v in os.environ.items()
                                                  if k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}))
EOF
}

# Runs one command, appends its JSON lines to $out, its other output to $log; on failure, appends
# an error row so that the table says so.
run_rows() {
  local fw="$1" w="$2" t="$3"; shift 3
  say "$fw $w threads=$t: $*"
  local tmp rc
  tmp="$(mktemp)"
  timeout "$timeout_s" "$@" > "$tmp" 2>> "$log"
  rc=$?
  grep '^{' "$tmp" >> "$out"
  grep -v '^{' "$tmp" >> "$log"
  rm -f "$tmp"
  if [ $rc -ne 0 ]; then
    local why="exit status $rc"
    [ $rc -eq 124 ] && why="timed out after ${timeout_s}s"
    say "$fw $w threads=$t FAILED ($why); see $log"
    printf '{"framework": "%s", "workload": "%s", "case": "*", "threads": %s, "metric": "*", "value": null, "unit": "", "lower_is_better": true, "error": "%s (see %s)"}\n' \
      "$fw" "$w" "$t" "$why" "$(basename "$log")" >> "$out"
  fi
}

# --- Backprop ---------------------------------------------------------------------------------
if [ $swift -eq 1 ] && [ -n "$bp_bin" ]; then
  if ! "$bp_bin" bench --help > /dev/null 2>&1; then
    say "$bp_bin has no working 'bench' command: skipping Backprop (references only)"
    bp_bin=""
  fi
elif [ $swift -eq 1 ]; then
  if ! command -v swift > /dev/null 2>&1; then
    say "swift not found: skipping Backprop (references only)"
  else
    say "building backprop (swift build -c release --product backprop)"
    if (cd "$root" && swift build -c release --product backprop) >> "$log" 2>&1; then
      bp_bin="$(cd "$root" && swift build -c release --show-bin-path 2>/dev/null)/backprop"
      if ! "$bp_bin" bench --help > /dev/null 2>&1; then
        say "this backprop has no 'bench' command yet: skipping Backprop (references only)"
        bp_bin=""
      fi
    else
      say "swift build failed (see $log): skipping Backprop (references only)"
    fi
  fi
fi

# --- references -------------------------------------------------------------------------------
declare -A fw_module=([pytorch]=torch [jax]=jax [numpy]=numpy [micrograd]=micrograd)
declare -A fw_workloads=([pytorch]="W1 W2 W3 W4 W5 W6 W7" [jax]="W1 W2 W3 W4 W5 W6 W7" [numpy]="W1 W2 E1" [micrograd]="W3")
available=""
if [ $reference -eq 1 ]; then
  if ! command -v "$python" > /dev/null 2>&1; then
    say "$python not found: skipping the references"
  else
    for fw in $frameworks; do
      mod="${fw_module[$fw]:-}"
      if [ -z "$mod" ]; then say "unknown framework $fw (choose from pytorch jax numpy micrograd)"; continue; fi
      if "$python" -c "import $mod" > /dev/null 2>&1; then
        available="$available $fw"
      else
        say "$fw: python module '$mod' not installed: skipped (pip install, see bench/README.md)"
      fi
    done
    if [ -n "$available" ] && ! "$python" -c "import sklearn" > /dev/null 2>&1; then
      say "scikit-learn not installed: W3's two-moons data comes from it, W3 references will fail"
    fi
  fi
fi

full_flag=()
bp_extra=()
if [ $full -eq 1 ]; then full_flag=(--full); bp_extra=(--epochs 10 --runs 10); fi
# W6 (one CNN epoch) takes the same --limit on every side; its epochs stay at 1 unless --full.
w6_extra=()
[ -n "$limit" ] && w6_extra=(--limit "$limit")

meta start
start_s=$SECONDS
for w in $workloads; do
  for t in $threads_list; do
    # Scalar graphs do not use threads: W3 runs at 1 thread unless --full.
    if [ "$w" = "W3" ] && [ "$t" != "1" ] && [ $full -eq 0 ]; then continue; fi
    extra=("${bp_extra[@]}") ref_extra=("${full_flag[@]}")
    if [ "$w" = "W6" ]; then extra=(--runs 3 "${w6_extra[@]}"); ref_extra=("${w6_extra[@]}"); fi
    if [ -n "$bp_bin" ]; then
      run_rows backprop "$w" "$t" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE BACKPROP_THREADS="$t" "$bp_bin" bench --json --workload "$w" --threads "$t" "${extra[@]}"
    fi
    for fw in $available; do
      case " ${fw_workloads[$fw]} " in *" $w "*) ;; *) continue ;; esac
      run_rows "$fw" "$w" "$t" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        "$python" "$here/ref_$fw.py" --workload "$w" --threads "$t" "${ref_extra[@]}"
    done
  done
done
meta end
say "done in $((SECONDS - start_s)) s: $out"

"$python" "$here/table.py" "$out" | tee "$md"
say "table: $md   log: $log"
