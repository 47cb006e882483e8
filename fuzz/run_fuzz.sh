#!/usr/bin/env bash
# Runs one libFuzzer target for ${RILL_FUZZ_SECONDS:-10} seconds, starting from the committed seed
# corpus (read only) plus what earlier runs found in WORK/corpus. A crash fails the run and
# leaves its input in WORK/artifacts/.
# usage: run_fuzz.sh TARGET SEED_CORPUS WORK
set -euo pipefail
target=$1 seeds=$2 work=$3
secs=${RILL_FUZZ_SECONDS:-10}
mkdir -p "$work/corpus" "$work/artifacts"
exec "$target" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds"
