#!/bin/sh
# gelu-lab's mnist_autoencoder epoch against the same epoch in PyTorch (bench/pytorch_ae_epoch.py),
# in interleaved rounds, one thread each; prints every measurement and the medians.
# Usage: bench/ae_epoch.sh BUILD_DIR [ROUNDS] [DATA_DIR] [ACT]
#   gelu-lab's seconds per epoch = (time of a 3-epoch run - time of a 1-epoch run) / 2, which
#   leaves out start-up; PyTorch's script prints the median of its epochs after the first.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [ROUNDS] [DATA_DIR] [ACT]" >&2
  exit 2
fi
build=$1
rounds=${2:-3}
data=${3:-/usr/share/datasets/fashion-mnist}
act=${4:-gelu}
here=$(cd "$(dirname "$0")" && pwd)
lab=$build/lab/gelu-lab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/timing.sh"
: > "$tmp/ours" && : > "$tmp/torch"
r=1
while [ "$r" -le "$rounds" ]; do
  rm -rf "$tmp/out"
  for e in 1 3; do
    eval "t$e=\$(seconds \"\$lab\" run mnist_autoencoder --data \"\$data\" --activations \"\$act\" \
      --seeds 1 --lr 1e-3 --epochs $e --threads 1 --jobs 1 --out \"\$tmp/out/$e\")"
  done
  ours=$(awk -v a="$t1" -v b="$t3" 'BEGIN {print (b - a) / 2}')
  theirs=$(/usr/bin/python3 "$here/pytorch_ae_epoch.py" --data "$data" --act "$act" --epochs 3 |
    sed -n 's/.*sec_per_epoch=\([0-9.]*\).*/\1/p')
  printf 'round %d: gelu-lab %.3f s/epoch, pytorch %.3f s/epoch\n' "$r" "$ours" "$theirs"
  echo "$ours" >> "$tmp/ours"
  echo "$theirs" >> "$tmp/torch"
  r=$((r + 1))
done
mo=$(median < "$tmp/ours")
mt=$(median < "$tmp/torch")
printf 'mnist_autoencoder %s, 1 thread, median of %d: gelu-lab %.3f s/epoch, pytorch %.3f s/epoch, pytorch / gelu-lab = %.2f\n' \
  "$act" "$rounds" "$mo" "$mt" "$(awk -v a="$mo" -v b="$mt" 'BEGIN {print b / a}')"
