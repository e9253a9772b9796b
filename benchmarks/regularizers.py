"""What a regularizer inside the recurrence costs in a PyTorch training step.

One step = the layer over x [T, B, I], nn.Linear on the last output, MSE, backward, SGD
(benchmarks/run.py's training mode). The layer is cellgen.torch.LSTM, plain and with each
regularizer (zoneout, recurrent dropout, DropConnect, all three); in training mode, so
every step draws its masks from torch's RNG. The reference is what a PyTorch user writes
without cellgen: the same LSTM with the same regularizers as an eager nn.LSTMCell loop
(nn.LSTM cannot reach inside its recurrence). Blocks of 5 steps alternate; a side's
figure is its best block median. Run it with OpenBLAS's CPU overrides unset:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/regularizers.py
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import blocks, training_step  # noqa: E402

import cellgen  # noqa: E402
from cellgen.torch import LSTM  # noqa: E402

SIZES = [(100, 32, 128, 128), (200, 8, 64, 64)]
OPTIONS = {"plain": {}, "zoneout": dict(zoneout=0.1), "recurrent dropout": dict(recurrent_dropout=0.25),
           "dropconnect": dict(dropconnect=0.5),
           "all three": dict(zoneout=0.1, recurrent_dropout=0.25, dropconnect=0.5)}


def eager_lstm(I: int, H: int, zoneout=0.0, recurrent_dropout=0.0, dropconnect=0.0):
    """An LSTM with the regularizers, as an eager LSTMCell loop (training mode)."""
    cell = torch.nn.LSTMCell(I, H)

    def forward(x):
        T, B, _ = x.shape
        w_hh = cell.weight_hh
        if dropconnect:
            w_hh = torch.nn.functional.dropout(w_hh, dropconnect)
        drop = torch.empty(B, H).bernoulli_(1 - recurrent_dropout) / (1 - recurrent_dropout) \
            if recurrent_dropout else None
        h = c = x.new_zeros(B, H)
        ys = []
        for t in range(T):
            hd = h if drop is None else drop * h
            gates = x[t] @ cell.weight_ih.T + cell.bias_ih + hd @ w_hh.T + cell.bias_hh
            i, f, g, o = gates.chunk(4, 1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            if zoneout:
                zc, zh = torch.empty(B, H).bernoulli_(zoneout), torch.empty(B, H).bernoulli_(zoneout)
                c, h = zc * c + (1 - zc) * c_new, zh * h + (1 - zh) * h_new
            else:
                c, h = c_new, h_new
            ys.append(h)
        return torch.stack(ys)
    return forward, cell.parameters()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    from threadpoolctl import threadpool_info
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; cellgen threads {cellgen.num_threads()}")
    for info in threadpool_info():
        print(f"{info['internal_api']} {info['version']} threads={info['num_threads']} ({Path(info['filepath']).name})")
    print(f"{'regularizer':<18} {'T,B,I,H':<18} {'cellgen ms':>10} {'/ plain':>8} {'eager ms':>9} "
          f"{'eager / cellgen':>15}")
    for T, B, I, H in SIZES:
        torch.manual_seed(0)
        steps = {}
        for name, options in OPTIONS.items():
            layer = LSTM(I, H, **options).train()
            steps[name] = training_step(lambda x, m=layer: m(x)[0], layer.parameters(), T, B, I, H)
            forward, params = eager_lstm(I, H, **options)
            steps["eager " + name] = training_step(forward, params, T, B, I, H)
        t = blocks(steps, args.rounds)
        for name in OPTIONS:
            mine, eager = t[name], t["eager " + name]
            print(f"{name:<18} {str((T, B, I, H)):<18} {mine * 1e3:>10.2f} {mine / t['plain']:>8.2f} "
                  f"{eager * 1e3:>9.2f} {eager / mine:>15.2f}", flush=True)


if __name__ == "__main__":
    main()
