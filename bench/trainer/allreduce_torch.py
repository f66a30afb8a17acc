#!/usr/bin/env python3
"""PyTorch's Gloo all-reduce, timed like trainer/comm/bench/bench_allreduce.

Two processes on loopback (torch.multiprocessing), a float32 buffer of
--count elements (default 670,000 = 2.68 MB), all_reduce(SUM) then divide by
the world size (what DDP does), median over --iters calls after --warmup.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
      /usr/bin/python3 bench/trainer/allreduce_torch.py
"""
import argparse
import os
import socket
import statistics
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(rank, world_size, port, args):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    data = torch.ones(args.count, dtype=torch.float32)
    times = []
    for i in range(args.warmup + args.iters):
        start = time.perf_counter()
        dist.all_reduce(data, op=dist.ReduceOp.SUM)
        data.div_(world_size)
        elapsed = (time.perf_counter() - start) * 1e3
        if i >= args.warmup:
            times.append(elapsed)
    if data[0].item() != 1.0:
        raise SystemExit("rank %d: wrong result %f" % (rank, data[0].item()))
    dist.barrier()
    if rank == 0:
        times.sort()
        median = statistics.median(times)
        nbytes = args.count * 4
        print("torch_gloo_allreduce_average world_size=%d bytes=%d iters=%d median_ms=%.3f "
              "p10_ms=%.3f p90_ms=%.3f algbw_GBps=%.2f" %
              (world_size, nbytes, args.iters, median, times[len(times) // 10],
               times[len(times) * 9 // 10], nbytes / (median * 1e-3) / 1e9), flush=True)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=670_000)
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if args.count < 1 or args.iters < 1 or args.warmup < 0:
        parser.error("--count and --iters must be positive, --warmup not negative")
    try:
        import torch.multiprocessing as mp
    except ImportError as e:
        print("allreduce_torch.py: PyTorch is not importable (%s); run it with /usr/bin/python3" % e,
              file=sys.stderr)
        return 2
    mp.spawn(run, args=(2, free_port(), args), nprocs=2, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
