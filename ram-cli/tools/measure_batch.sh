#!/usr/bin/env bash
# Measures `ram eval --batch` throughput on one core.
#
#   ram-cli/tools/measure_batch.sh            # from the workspace root (or anywhere)
#
# Builds the release binary, generates LINES (default 1,000,000) deterministic batch lines
# with gen_batch.py, then runs `taskset -c $CPU ram eval --batch FILE > OUT` RUNS times
# (default 3), checks that OUT has exactly one line per input line, and prints lines/s for
# each run and their median. POOL=N draws the documents of each line from N shared documents
# (default 0: every document fresh, the worst case).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
LINES="${LINES:-1000000}"
RUNS="${RUNS:-3}"
CPU="${CPU:-0}"
POOL="${POOL:-0}"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release -p ram-cli --quiet
ram="$target/release/ram"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
input="$work/batch.jsonl"
if [ "$POOL" -gt 0 ]; then
  python3 ram-cli/tools/gen_batch.py --pool "$POOL" "$LINES" 1 > "$input"
else
  python3 ram-cli/tools/gen_batch.py "$LINES" 1 > "$input"
fi
echo "input: $LINES lines, $(wc -c < "$input") bytes, pool=$POOL"

rates=()
for run in $(seq 1 "$RUNS"); do
  start=$(date +%s.%N)
  taskset -c "$CPU" "$ram" eval --batch "$input" > "$work/out.jsonl"
  end=$(date +%s.%N)
  out_lines=$(wc -l < "$work/out.jsonl")
  if [ "$out_lines" -ne "$LINES" ]; then
    echo "run $run: $out_lines output lines for $LINES input lines" >&2
    exit 1
  fi
  rate=$(python3 -c "print(round($LINES / ($end - $start)))")
  secs=$(python3 -c "print(f'{$end - $start:.3f}')")
  echo "run $run: ${secs} s, $rate lines/s"
  rates+=("$rate")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "median of $RUNS runs: $median lines/s"
