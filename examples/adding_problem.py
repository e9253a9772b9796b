"""The adding problem (Hochreiter & Schmidhuber 1997), trained with cellgen layers in PyTorch.

Each input step is (value in [0, 1), marker in {0, 1}); exactly two markers are set and the
target is the sum of the two marked values. Predicting the mean scores an MSE of 1/6;
a cell that carries information over the whole sequence gets far below it.

    python examples/adding_problem.py            # about a minute on 2 cores; writes adding_problem.png
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cellgen.torch import Recurrent  # noqa: E402

CELLS = ["rnn", "lstm", "gru", "lstm_cifg", "lstm_nfg"]


def batch(rng, B, T):
    values = rng.random((T, B))
    markers = np.zeros((T, B))
    for b in range(B):
        i, j = rng.choice(T // 2, 1)[0], T // 2 + rng.choice(T // 2, 1)[0]
        markers[[i, j], b] = 1
    x = np.stack([values, markers], axis=2).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy((values * markers).sum(0).astype(np.float32))


class Model(torch.nn.Module):
    def __init__(self, cell: str, hidden: int):
        super().__init__()
        self.rnn = Recurrent(ROOT / "specs" / f"{cell}.cell", 2, hidden, seed=1)
        if hasattr(self.rnn, "b_f_l0"):  # forget gates start open (Gers et al. 2000), as usual
            with torch.no_grad():
                self.rnn.b_f_l0.fill_(1.0)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1]).squeeze(-1)


def train(cell: str, T=40, B=64, hidden=32, steps=1000, seed=0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Model(cell, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(steps):
        x, y = batch(rng, B, T)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


def main() -> None:
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--out", default=str(ROOT / "examples" / "adding_problem.png"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = {}
    for cell in CELLS:
        start = time.time()
        results[cell] = train(cell, steps=args.steps)
        print(f"{cell:10s} final MSE {np.mean(results[cell][-50:]):.4f}  ({time.time() - start:.0f} s)", flush=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for cell, losses in results.items():
        smooth = np.convolve(losses, np.ones(20) / 20, mode="valid") if len(losses) >= 20 else losses
        ax.plot(smooth, label=cell)
    ax.axhline(1 / 6, color="k", ls="--", lw=0.8, label="predict the mean")
    ax.set_yscale("log")
    ax.set_xlabel("training step (batch of 64)")
    ax.set_ylabel("MSE (moving average of 20)")
    ax.set_title("Adding problem, T = 40: cells compiled by cellgen, trained in PyTorch")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
