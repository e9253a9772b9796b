"""Data-parallel training of a cellgen layer with torch DistributedDataParallel (gloo, CPU).

Launch on one machine with two processes:

    torchrun --nproc_per_node=2 examples/ddp_train.py --out params.pt

Each process trains on its half of the batch; DDP averages the gradients, so the result
equals training on the whole batch in one process (tests/test_ddp.py checks that).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.distributed as dist

from cellgen.torch import Recurrent

ROOT = Path(__file__).resolve().parent.parent


def make_model() -> torch.nn.Module:
    return Recurrent(ROOT / "specs" / "lstm.cell", input_size=3, hidden_size=8, num_layers=2,
                     dtype=torch.float64, seed=0)


def make_data(T=12, B=8, I=3):
    g = torch.Generator().manual_seed(0)
    xs = torch.randn(T, B, I, generator=g, dtype=torch.float64)
    target = xs[:, :, 0].sum(0).tanh()  # something to learn: the sign of a running sum
    return xs, target


def train(model, xs, target, steps=5, lr=0.5):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        out, _ = model(xs)
        loss = ((out[-1].mean(-1) - target) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="params.pt")
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(1)
    model = torch.nn.parallel.DistributedDataParallel(make_model())
    xs, target = make_data()
    loss = train(model, xs[:, rank::world], target[rank::world], args.steps)
    print(f"rank {rank}/{world}: loss {loss:.6f}")
    if rank == 0:
        torch.save(model.module.state_dict(), args.out)
    # both ranks leave the group together: a rank tearing gloo down while the other is
    # still saving aborted it now and then ("terminate called without an active exception")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
