#!/bin/sh
# Runs both benchmark programs and prints the markdown tables of docs/PERFORMANCE.md.
# Usage: bench/run_perf.sh BUILD_DIR OUT_DIR [--quick]
#   BUILD_DIR: a build with bench_gelu and compare_anchors (see docs/PERFORMANCE.md)
#   OUT_DIR:   receives bench_gelu.json, compare.csv, compare.txt and tables.md
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [--quick]" >&2
  exit 2
fi
build=$1
out=$2
quick=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
# On a shared machine OpenMP's default spin-waiting makes libtorch and oneDNN collapse at 2
# threads whenever another process holds a core; passive waiting measures the kernels instead.
# Set OMP_WAIT_POLICY yourself to override (compare_anchors records the value).
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export OMP_WAIT_POLICY
if [ "$quick" = "--quick" ]; then
  bench_args="--benchmark_filter=/n:(4096|65536)/ --benchmark_min_time=0.1"
  compare_args="--quick"
else
  bench_args="--benchmark_min_time=0.5"
  compare_args=""
fi
# shellcheck disable=SC2086  # the argument lists are meant to split
"$build/bench/bench_gelu" $bench_args --benchmark_out="$out/bench_gelu.json" \
  --benchmark_out_format=json
"$build/bench/compare_anchors" $compare_args --csv "$out/compare.csv" | tee "$out/compare.txt"
/usr/bin/python3 "$here/perf_table.py" --compare "$out/compare.csv" \
  --bench "$out/bench_gelu.json" > "$out/tables.md"
echo "tables: $out/tables.md"
