"""Zoneout, recurrent dropout and DropConnect on a task small enough to overfit.

The data is made here: each sequence is a sum of two sines of random frequency and phase
plus noise; at every step the model sees the noisy value and predicts the next clean one.
An LSTM of 128 units trains on 32 sequences only, so it can memorize their noise; the
validation set is 512 fresh sequences. The same model trains four times, with no
regularizer and with each one (cellgen.torch.LSTM options: the masks act inside the
fused recurrence, where nn.LSTM offers none), and the validation MSE is logged per epoch.

    python examples/regularizers.py          # about a minute on 2 cores; writes regularizers.png
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cellgen.torch import LSTM  # noqa: E402

RUNS = {"none": {}, "zoneout (c 0.5, h 0.05)": dict(zoneout={"c": 0.5, "h": 0.05}),
        "recurrent dropout 0.25": dict(recurrent_dropout=0.25), "DropConnect 0.5": dict(dropconnect=0.5)}


def sequences(rng, n: int, T: int) -> tuple[torch.Tensor, torch.Tensor]:
    t = np.arange(T + 1)[:, None]
    freq = rng.uniform(0.05, 0.35, (2, n))
    phase = rng.uniform(0, 2 * np.pi, (2, n))
    clean = np.sin(freq[0] * t + phase[0]) + 0.5 * np.sin(freq[1] * t + phase[1])
    noisy = clean + 0.3 * rng.standard_normal(clean.shape)
    x = torch.tensor(noisy[:-1, :, None], dtype=torch.float32)
    return x, torch.tensor(clean[1:, :, None], dtype=torch.float32)


class Model(torch.nn.Module):
    def __init__(self, hidden: int, **regularizers):
        super().__init__()
        self.rnn = LSTM(1, hidden, **regularizers)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def train(options: dict, epochs: int, T=50, hidden=128, seed=0) -> list[float]:
    rng = np.random.default_rng(seed)
    x_train, y_train = sequences(rng, 32, T)
    x_val, y_val = sequences(rng, 512, T)
    torch.manual_seed(seed)
    model = Model(hidden, **options)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for _ in range(epochs):
        model.train()
        for b in range(0, 32, 8):  # 4 batches of 8 sequences
            loss = torch.nn.functional.mse_loss(model(x_train[:, b:b + 8]), y_train[:, b:b + 8])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            history.append(torch.nn.functional.mse_loss(model(x_val), y_val).item())
    return history


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--out", default=str(ROOT / "examples" / "regularizers.png"))
    args = ap.parse_args()
    results = {}
    for name, options in RUNS.items():
        start = time.time()
        results[name] = train(options, args.epochs)
        h = results[name]
        print(f"{name:<24} best validation MSE {min(h):.4f} (epoch {int(np.argmin(h)) + 1}), "
              f"last {h[-1]:.4f}  ({time.time() - start:.0f} s)", flush=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, history in results.items():
        ax.plot(range(1, len(history) + 1), history, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch (32 training sequences)")
    ax.set_ylabel("validation MSE (512 sequences)")
    ax.set_title("Noisy sines, LSTM(128): regularizers inside cellgen's kernels")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
