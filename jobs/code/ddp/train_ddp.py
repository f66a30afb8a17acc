"""A tiny DDP check: every rank all-reduces (rank + 1) and prints the sum."""
import socket

import torch
import torch.distributed as dist


def main() -> int:
    dist.init_process_group("gloo", init_method="env://")
    rank = dist.get_rank()
    world_size = dist.get_world_size()
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    expected = world_size * (world_size + 1) / 2
    print(f"rank {rank}/{world_size} on {socket.gethostname()}: "
          f"all_reduce sum = {value.item():g} (expected {expected:g})", flush=True)
    dist.barrier()
    dist.destroy_process_group()
    return 0 if value.item() == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
