#!/usr/bin/env bash
# Runs Rill's benchmarks and their PyTorch / TensorFlow peers on 2 threads and prints one line
# per comparison (the format scripts parse; see bench/README.md):
#   bench mlp vs pytorch: rill 812 steps/s | pytorch 136 steps/s | ratio 5.97
# ratio is always Rill's advantage (rill/peer for steps/s, peer/rill for ms; above 1 = Rill
# better), except "vs matmul-only", where it is Rill's fraction of the GEMM-only ceiling.
# A missing peer or benchmark prints "unavailable" in its place; the script still exits 0.
# It builds nothing: `make bench` builds first and installs the peers.
#
# Usage: scripts/bench.sh [BUILD_DIR]        (default: build)
# Environment: BENCH_SECONDS (timed seconds per MLP run, default 3),
#              BENCH_REPEAT (runs per benchmark, best kept; default 1).
# Raw output and errors of every run go to BUILD_DIR/bench/bench.log.
set -uo pipefail

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
seconds=${BENCH_SECONDS:-3}
repeat=${BENCH_REPEAT:-1}
torch_py=/usr/bin/python3
tf_py="$build/venv/bin/python"
mkdir -p "$build/bench"
log="$build/bench/bench.log"
: >"$log"

declare -A val

# Runs a benchmark command; records each "metric value" line it prints, keeping the best
# value over repeats (largest for *_per_s, smallest for *_ms_per_run).
measure() {
  local what=$1
  shift
  echo "bench: $what" >&2
  local r name v rest
  for ((r = 0; r < repeat; r++)); do
    echo "== $what: $*" >>"$log"
    while read -r name v rest; do
      echo "$name $v${rest:+ $rest}" >>"$log"
      [[ "$v" =~ ^[0-9]+([.][0-9]+)?$ && -z "$rest" ]] || continue
      if [[ -z "${val[$name]:-}" ]] ||
         awk -v a="$v" -v b="${val[$name]}" -v n="$name" \
           'BEGIN { exit !((n ~ /_ms_per_run$/) ? a + 0 < b + 0 : a + 0 > b + 0) }'; then
        val[$name]=$v
      fi
    done < <(timeout 300 "$@" 2>>"$log")
  done
}

have_torch() { "$torch_py" -c "import torch" >/dev/null 2>&1; }
have_tf() { [ -x "$tf_py" ] && TF_CPP_MIN_LOG_LEVEL=3 "$tf_py" -c "import tensorflow" >/dev/null 2>&1; }

# Prints one comparison line. kind "rate": higher is better; kind "time": lower is better.
compare() {
  local label=$1 peer=$2 rill_key=$3 peer_key=$4 kind=$5
  local r=${val[$rill_key]:-} p=${val[$peer_key]:-}
  awk -v label="$label" -v peer="$peer" -v r="$r" -v p="$p" -v kind="$kind" 'BEGIN {
    unit = kind == "time" ? "ms" : "steps/s"
    fmt = kind == "time" ? "%.3f %s" : "%.0f %s"
    rs = r == "" ? "unavailable" : sprintf(fmt, r, unit)
    ps = p == "" ? "unavailable" : sprintf(fmt, p, unit)
    ratio = "unavailable"
    if (r != "" && p != "" && r + 0 > 0 && p + 0 > 0)
      ratio = sprintf("%.2f", kind == "time" ? p / r : r / p)
    printf "bench %s vs %s: rill %s | %s %s | ratio %s\n", label, peer, rs, peer, ps, ratio
  }'
}

bin="$build/bench"
if [ -x "$bin/bench_mlp" ]; then
  measure "mlp (rill and matmul-only)" "$bin/bench_mlp" --seconds "$seconds" --threads 2
else
  echo "bench: $bin/bench_mlp not built" | tee -a "$log" >&2
fi
if have_torch; then
  measure "mlp (pytorch)" "$torch_py" "$root/bench/peer_mlp_pytorch.py" --seconds "$seconds"
else
  echo "bench: PyTorch unavailable ($torch_py -c 'import torch' failed)" | tee -a "$log" >&2
fi
if have_tf; then
  measure "mlp (tensorflow)" env TF_CPP_MIN_LOG_LEVEL=2 "$tf_py" "$root/bench/peer_mlp_tensorflow.py" \
    --seconds "$seconds"
else
  echo "bench: TensorFlow unavailable (no $tf_py with tensorflow)" | tee -a "$log" >&2
fi
if [ -x "$bin/bench_scalar_chain" ]; then
  measure "chain1000 (rill)" "$bin/bench_scalar_chain" --threads 2
else
  echo "bench: $bin/bench_scalar_chain not built" | tee -a "$log" >&2
fi
have_torch && measure "chain1000 (pytorch)" "$torch_py" "$root/bench/peer_chain_pytorch.py"
if have_tf; then
  measure "chain1000 (tensorflow)" env TF_CPP_MIN_LOG_LEVEL=2 "$tf_py" "$root/bench/peer_chain_tensorflow.py"
  # for reference only (in the log): TF with Grappler folding the chain away
  measure "chain1000 (tensorflow, grappler on)" env TF_CPP_MIN_LOG_LEVEL=2 "$tf_py" \
    "$root/bench/peer_chain_tensorflow.py" --grappler
fi

compare mlp pytorch rill_mlp_steps_per_s pytorch_mlp_steps_per_s rate
compare mlp tensorflow rill_mlp_steps_per_s tensorflow_mlp_steps_per_s rate
compare mlp matmul-only rill_mlp_steps_per_s matmul_only_steps_per_s rate
compare chain1000 pytorch rill_chain1000_ms_per_run pytorch_chain1000_ms_per_run time
compare chain1000 tensorflow rill_chain1000_ms_per_run tensorflow_chain1000_ms_per_run time
exit 0
