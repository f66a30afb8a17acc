#!/bin/sh
# GPU benchmark: jobtrainer --device cuda against PyTorch on the same GPU
# (bench/trainer/pytorch_mnist.py --device cuda, FP32 with TF32 off) on the
# MNIST 8k/2k split, Adam 1e-3: the MLP 784-512-512-10 at batch 64 and
# 4096, and the CNN at batch 64. Prints the median epoch time of each, the
# ratio PyTorch / jobtrainer, and for the batch-4096 MLP the achieved FP32
# TFLOP/s of jobtrainer's training phase against the H200's 67 TFLOP/s.
#   bench/trainer/run_gpu_bench.sh [BUILD_DIR] [EPOCHS] [DATA_DIR]
# Needs a CUDA GPU and a jobtrainer built with the CUDA toolkit: without
# them it says why and exits with status 2. PyTorch with CUDA is optional
# (its rows are skipped, saying why).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
epochs=${2:-10}
data=${3:-$root/../shared/data/mnist}
bin=$build/trainer/jobtrainer
[ -x "$bin" ] || { echo "run_gpu_bench.sh: $bin not found (build jobtrainer first)" >&2; exit 2; }
[ -d "$data" ] || { echo "run_gpu_bench.sh: no MNIST folder $data (give DATA_DIR)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The GPU path must be usable: --device cuda exits 2 with the reason if not.
if ! "$bin" --data "mnist:$data" --train-split 8000 --model logreg:784-10 --epochs 1 \
    --device cuda --outputs "$tmp/probe" > "$tmp/probe.log" 2>&1; then
  echo "run_gpu_bench.sh: jobtrainer --device cuda cannot run here:" >&2
  cat "$tmp/probe.log" >&2
  exit 2
fi
torch_ok=yes
torch_reason=$(/usr/bin/env python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else "torch.cuda.is_available() is False")' 2>&1) \
  || torch_ok=no

# Median of the values of FIELD over epochs 2.. (epoch 1 includes warm-up).
median() {
  grep -o "$1=[0-9.]*" | cut -d= -f2 | tail -n +2 | sort -n |
    awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print a[int((NR+1)/2)]}'
}
# Training FLOPs per sample of mlp:784-512-512-10: forward 2*(784*512 +
# 512*512 + 512*10), the weight gradients as much again, the input
# gradients of the last two layers 2*(512*512 + 512*10) (the first layer's
# is not computed).
mlp_flops=$(awk 'BEGIN {f = 2 * (784*512 + 512*512 + 512*10); print 2 * f + 2 * (512*512 + 512*10)}')

if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in "mlp:784-512-512-10 64" "mlp:784-512-512-10 4096" "cnn 64"; do
  set -- $run
  model=$1
  batch=$2
  "$bin" --data "mnist:$data" --train-split 8000 --model "$model" --optimizer adam --lr 1e-3 \
    --batch-size "$batch" --epochs "$epochs" --device cuda --outputs "$tmp/out" > "$tmp/ours.log"
  ours=$(median epoch_seconds < "$tmp/ours.log")
  ours_sps=$(median samples_per_second < "$tmp/ours.log")
  acc_ours=$(tail -1 "$tmp/ours.log" | grep -o 'val_accuracy=[0-9.]*')
  line="$model batch $batch: jobtrainer ${ours}s/epoch ($acc_ours, ${ours_sps} samples/s)"
  if [ "$torch_ok" = yes ]; then
    /usr/bin/env python3 "$root/bench/trainer/pytorch_mnist.py" --data "$data" --model "$model" \
      --epochs "$epochs" --batch-size "$batch" --device cuda > "$tmp/torch.log"
    theirs=$(median epoch_seconds < "$tmp/torch.log")
    acc_theirs=$(tail -1 "$tmp/torch.log" | grep -o 'val_accuracy=[0-9.]*')
    line="$line pytorch ${theirs}s/epoch ($acc_theirs) ratio pytorch/jobtrainer $(echo "$theirs $ours" | awk '{printf "%.2f", $1 / $2}')x"
  else
    line="$line pytorch skipped ($torch_reason)"
  fi
  echo "$line"
  if [ "$model" = mlp:784-512-512-10 ] && [ "$batch" = 4096 ]; then
    echo "$ours_sps $mlp_flops" | awk '{t = $1 * $2 / 1e12; printf "  jobtrainer training phase: %.2f TFLOP/s FP32 = %.1f%% of 67 TFLOP/s\n", t, 100 * t / 67}'
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
