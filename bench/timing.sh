# Shell helpers for the epoch benchmarks (sourced by bench/lab_epoch.sh and bench/ae_epoch.sh).
# seconds CMD...: wall seconds of CMD, its output discarded. median: the median of stdin's numbers.
seconds() {
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
