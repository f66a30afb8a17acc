#!/usr/bin/python3
"""PyTorch reference for jobtrainer's benchmark: same data (the MNIST t10k
IDX gz files, first 8000 train, last 2000 validation, pixels / 255), same
models (mlp:784-512-512-10 or cnn as nn.Sequential), PyTorch default init,
same optimizer and batch size. Prints one line per epoch in jobtrainer's
format, epoch_seconds covering training and validation.

Run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
(see run_bench.sh). --device cuda runs on the GPU in plain FP32 (TF32 off
for matmuls and cuDNN, as jobtrainer computes) with the data on the GPU
(see run_gpu_bench.sh); it exits with status 2 when CUDA is not available."""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def build(model):
    if model == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    sizes = [int(s) for s in model.split(":")[1].split("-")]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/mnist"))
    p.add_argument("--model", default="mlp:784-512-512-10")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--train-split", type=int, default=8000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = p.parse_args()
    if a.device == "cuda":
        if not torch.cuda.is_available():
            print("pytorch_mnist.py: --device cuda: torch.cuda.is_available() is False", file=sys.stderr)
            sys.exit(2)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    device = torch.device(a.device)

    def sync():
        if a.device == "cuda":
            torch.cuda.synchronize()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    x = torch.from_numpy(x)
    x = x.reshape(-1, 1, 28, 28) if a.model == "cnn" else x.reshape(-1, 784)
    y = torch.from_numpy(y)
    x, y = x.to(device), y.to(device)
    xt, yt, xv, yv = x[:a.train_split], y[:a.train_split], x[a.train_split:], y[a.train_split:]
    model = build(a.model).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, a.epochs + 1):
        sync()
        start = time.perf_counter()
        model.train()
        g = torch.Generator().manual_seed(a.seed + epoch)
        order = torch.randperm(len(xt), generator=g).to(device)
        total = 0.0
        for i in range(0, len(xt), a.batch_size):
            idx = order[i:i + a.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sync()
        train_seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            out = model(xv)
            val_loss = loss_fn(out, yv).item()
            acc = (out.argmax(1) == yv).float().mean().item()
        sync()
        seconds = time.perf_counter() - start
        print(f"epoch {epoch}/{a.epochs} train_loss={total / len(xt):.4f} val_loss={val_loss:.4f} "
              f"val_accuracy={acc:.4f} samples_per_second={len(xt) / train_seconds:.0f} "
              f"epoch_seconds={seconds:.2f}", flush=True)


if __name__ == "__main__":
    main()
