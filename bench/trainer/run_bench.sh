#!/bin/sh
# Runs jobtrainer and PyTorch (CPU, openblas-openmp) on the same MNIST 8k/2k
# split, batch 64, Adam 1e-3, 2 threads, for the MLP and the CNN, and prints
# the median epoch time of each and the ratio PyTorch / jobtrainer.
#   bench/trainer/run_bench.sh [BUILD_DIR] [EPOCHS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
epochs=${2:-3}
data=$root/../shared/data/mnist
bin=$build/trainer/jobtrainer
[ -x "$bin" ] || { echo "run_bench.sh: $bin not found (build jobtrainer first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { grep -o 'epoch_seconds=[0-9.]*' | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for model in mlp:784-512-512-10 cnn; do
  "$bin" --data "mnist:$data" --train-split 8000 --model "$model" --optimizer adam --lr 1e-3 \
    --batch-size 64 --epochs "$epochs" --threads 2 --outputs "$tmp/out" > "$tmp/ours.log"
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \
    /usr/bin/python3 "$root/bench/trainer/pytorch_mnist.py" --data "$data" --model "$model" \
    --epochs "$epochs" --threads 2 > "$tmp/torch.log" 2>/dev/null
  ours=$(median < "$tmp/ours.log")
  theirs=$(median < "$tmp/torch.log")
  acc_ours=$(tail -1 "$tmp/ours.log" | grep -o 'val_accuracy=[0-9.]*')
  acc_theirs=$(tail -1 "$tmp/torch.log" | grep -o 'val_accuracy=[0-9.]*')
  echo "$model: jobtrainer ${ours}s/epoch ($acc_ours) pytorch ${theirs}s/epoch ($acc_theirs)" \
    "speedup $(echo "$theirs $ours" | awk '{printf "%.2f", $1 / $2}')x"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
