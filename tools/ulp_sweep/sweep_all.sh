#!/usr/bin/env bash
# Runs ulp_sweep over all 2^32 inputs for every kernel and direction and keeps each report, as
# docs/ACCURACY.md quotes them. Usage:
#   tools/ulp_sweep/sweep_all.sh BUILD_DIR OUT_DIR [THREADS [TARGET [ACT...]]]
# TARGET: a Highway target name (AVX2, SCALAR, ...) or "default". About 2-3 minutes per sweep
# with 2 threads.
set -euo pipefail
build=${1:?usage: sweep_all.sh BUILD_DIR OUT_DIR [THREADS]}
out=${2:?usage: sweep_all.sh BUILD_DIR OUT_DIR [THREADS]}
threads=${3:-$(nproc)}
target=${4:-default}
acts=("${@:5}")
[[ ${#acts[@]} -gt 0 ]] || acts=(gelu gelu_tanh gelu_sigmoid silu relu elu gaussian_gelu)
target_args=()
suffix=""
if [[ $target != default ]]; then
  target_args=(--target "$target")
  suffix=".$target"
fi
sweep="$build/tools/ulp_sweep/ulp_sweep"
[[ -x $sweep ]] || { echo "sweep_all.sh: no $sweep (build target ulp_sweep first)" >&2; exit 2; }
mkdir -p "$out"
{
  date -u
  grep -m1 'model name' /proc/cpuinfo
  echo "threads: $threads"
} >"$out/machine.txt"
status=0
for act in "${acts[@]}"; do
  for dir in forward backward; do
    echo "== $act $dir" >&2
    "$sweep" --act "$act" --dir "$dir" --threads "$threads" "${target_args[@]}" \
      --csv "$out/$act.$dir$suffix.csv" | tee "$out/$act.$dir$suffix.txt" || status=1
  done
done
exit $status
