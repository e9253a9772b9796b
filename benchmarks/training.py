"""A cellgen layer where users meet it: a PyTorch training step, against torch's own.

One step = the layer over x [T, B, I], nn.Linear on the last output, MSE, backward, SGD.
Pairs: from_torch(nn.LSTM) and cellgen.torch.GRU against nn.LSTM / nn.GRU; the custom
cells (gru_cho, lstm_cifg, an MGU) as `Recurrent` layers against the same equations in
eager torch autograd. Also the bare module (numpy forward + backward) of lstm and gru,
the floor a layer's step is judged against. Each side runs blocks of 5 consecutive steps
(as a training loop makes them), the blocks alternate, and a side's figure is its best
block median. Run it with OpenBLAS's CPU overrides unset:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/training.py
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import EAGER, SIZES, cellgen_job, gru, lstm, mgu  # noqa: E402

import cellgen  # noqa: E402
from cellgen.torch import GRU, Recurrent, from_torch  # noqa: E402

CELLS = {"gru_cho": ROOT / "specs" / "gru_cho.cell", "lstm_cifg": ROOT / "specs" / "lstm_cifg.cell",
         "mgu": ROOT / "benchmarks" / "mgu.cell"}


def blocks(sides: dict, rounds: int, size: int = 5) -> dict:
    """{name: best block median in seconds}, each side's blocks of `size` calls alternating."""
    medians = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            times = []
            for _ in range(size):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            medians[name].append(statistics.median(times))
    return {name: min(m) for name, m in medians.items()}


def training_step(layer_forward, parameters, T, B, I, H):
    """One step of a layer (x -> outputs [T, B, H]) with a Linear head, MSE and SGD."""
    head = torch.nn.Linear(H, 1)
    opt = torch.optim.SGD(list(parameters) + list(head.parameters()), lr=1e-3)
    x, target = torch.randn(T, B, I), torch.randn(B, 1)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(head(layer_forward(x)[-1]), target)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    return step


def eager_layer(name, I, H):
    """The custom cell's equations in eager torch, one step at a time."""
    p = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in cellgen.load(CELLS[name]).init_params(I, H).items()}
    n = len(cellgen.load(CELLS[name]).STATES)

    def forward(x):
        state = tuple(x.new_zeros(x.shape[1], H) for _ in range(n))
        ys = []
        for t in range(x.shape[0]):
            state = EAGER[name](p, x[t], *state)
            ys.append(state[0])
        return torch.stack(ys)
    return forward, p.values()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    from threadpoolctl import threadpool_info
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; cellgen threads {cellgen.num_threads()}")
    for info in threadpool_info():
        print(f"{info['internal_api']} {info['version']} threads={info['num_threads']} ({Path(info['filepath']).name})")
    print(f"{'layer':<10} {'T,B,I,H':<18} {'cellgen ms':>10} {'torch ms':>9} {'ratio':>6} {'bare ms':>8} "
          f"{'step/bare':>9}  against")
    for T, B, I, H in SIZES:
        torch.manual_seed(0)
        pairs = []
        for name, torch_cls, ours_cls, module in (("lstm", torch.nn.LSTM, from_torch, lstm),
                                                   ("gru", torch.nn.GRU, None, gru)):
            ref = torch_cls(I, H)
            ours = from_torch(ref) if ours_cls else GRU(I, H)
            bare, _ = cellgen_job(module, T, B, I, H)
            pairs.append((name, ours, ref, bare, f"nn.{torch_cls.__name__}"))
        for name in CELLS:
            forward, params = eager_layer(name, I, H)
            ours = Recurrent(CELLS[name], I, H)
            bare, _ = cellgen_job(mgu if name == "mgu" else cellgen.load(CELLS[name]), T, B, I, H)
            pairs.append((name, ours, (forward, params), bare, "eager torch autograd"))
        for name, ours, ref, bare, against in pairs:
            if isinstance(ref, torch.nn.Module):
                theirs = training_step(lambda x, m=ref: m(x)[0], ref.parameters(), T, B, I, H)
            else:
                theirs = training_step(ref[0], ref[1], T, B, I, H)
            mine = training_step(lambda x, m=ours: m(x)[0], ours.parameters(), T, B, I, H)
            t = blocks({"cellgen": mine, "torch": theirs, "bare": bare}, args.rounds)
            print(f"{name:<10} {str((T, B, I, H)):<18} {t['cellgen'] * 1e3:>10.2f} {t['torch'] * 1e3:>9.2f} "
                  f"{t['torch'] / t['cellgen']:>6.2f} {t['bare'] * 1e3:>8.2f} {t['cellgen'] / t['bare']:>9.2f}  "
                  f"{against}", flush=True)


if __name__ == "__main__":
    main()
