#!/bin/sh
# gelu-lab's MLP epoch against the same epoch in PyTorch (bench/pytorch_mlp_epoch.py), in
# interleaved rounds on Fashion-MNIST, one thread each; prints every measurement and the medians.
# Usage: bench/lab_epoch.sh BUILD_DIR [ROUNDS] [THREADS]
#   gelu-lab's seconds per epoch = (time of a 4-epoch run - time of a 1-epoch run) / 3, which
#   leaves out start-up (loading libtorch, reading the data); PyTorch's script prints the median
#   of its epochs after the first. Both epochs do the same work (see the script's header).
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [ROUNDS] [THREADS]" >&2
  exit 2
fi
build=$1
rounds=${2:-3}
threads=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
lab=$build/lab/gelu-lab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/timing.sh"
for drop in 0 0.5; do
  keep=$(awk -v d="$drop" 'BEGIN {print 1 - d}')
  : > "$tmp/ours" && : > "$tmp/torch"
  r=1
  while [ "$r" -le "$rounds" ]; do
    rm -rf "$tmp/out"
    t1=$(seconds "$lab" run mnist_classify --activations gelu --seeds 1 --lr 1e-3 --epochs 1 \
      --dropout "$drop" --threads "$threads" --jobs 1 --out "$tmp/out/1")
    t4=$(seconds "$lab" run mnist_classify --activations gelu --seeds 1 --lr 1e-3 --epochs 4 \
      --dropout "$drop" --threads "$threads" --jobs 1 --out "$tmp/out/4")
    ours=$(awk -v a="$t1" -v b="$t4" 'BEGIN {print (b - a) / 3}')
    theirs=$(/usr/bin/python3 "$here/pytorch_mlp_epoch.py" --epochs 4 --dropout "$keep" \
      --threads "$threads" | sed -n 's/.*sec_per_epoch=\([0-9.]*\).*/\1/p')
    printf 'dropout %s round %d: gelu-lab %.3f s/epoch, pytorch %.3f s/epoch\n' "$drop" "$r" \
      "$ours" "$theirs"
    echo "$ours" >> "$tmp/ours"
    echo "$theirs" >> "$tmp/torch"
    r=$((r + 1))
  done
  mo=$(median < "$tmp/ours")
  mt=$(median < "$tmp/torch")
  printf 'dropout %s, %s thread(s), median of %d: gelu-lab %.3f s/epoch, pytorch %.3f s/epoch, pytorch / gelu-lab = %.2f\n' \
    "$drop" "$threads" "$rounds" "$mo" "$mt" "$(awk -v a="$mo" -v b="$mt" 'BEGIN {print b / a}')"
done
