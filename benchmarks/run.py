"""cellgen against PyTorch on CPU: float32 forward + backward of whole sequences.

Each pair is timed alternately in the same run (best of N), so both sides see the same
machine state. Run it with OpenBLAS's CPU overrides unset (see the README):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py
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
from generated import gru, gru_cho, lstm, lstm_cifg  # noqa: E402

SIZES = [(100, 32, 128, 128), (100, 64, 256, 256), (50, 16, 32, 32), (200, 8, 64, 64), (100, 1, 64, 64)]
sig, tanh = torch.sigmoid, torch.tanh


def eager_gru_cho(p, x, h):
    r = sig(h @ p["W_r"].T + x @ p["U_r"].T + p["b_r"])
    z = sig(h @ p["W_z"].T + x @ p["U_z"].T + p["b_z"])
    n = tanh((r * h) @ p["W_n"].T + x @ p["U_n"].T + p["b_n"])
    return ((1 - z) * n + z * h,)


def eager_lstm_cifg(p, x, h, c):
    i = sig(h @ p["W_i"].T + x @ p["U_i"].T + p["b_i"])
    g = tanh(h @ p["W_g"].T + x @ p["U_g"].T + p["b_g"])
    o = sig(h @ p["W_o"].T + x @ p["U_o"].T + p["b_o"])
    c2 = (1 - i) * c + i * g
    return o * tanh(c2), c2


def best(fn, repeats):
    fn()
    out = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def paired(a, b, repeats, block=3):
    """Best-of times of a and b, measured alternately in short blocks. Within a block the
    side runs warm; the switch lets the other side's BLAS/OpenMP threads stop spinning
    (the first run of each block absorbs that), so neither pays for the other's threads."""
    ta = tb = float("inf")
    for _ in range(repeats):
        for _ in range(block):
            t0 = time.perf_counter(); a(); ta = min(ta, time.perf_counter() - t0)
        for _ in range(block):
            t0 = time.perf_counter(); b(); tb = min(tb, time.perf_counter() - t0)
    return ta, tb


def cellgen_job(module, T, B, I, H):
    p = module.init_params(I, H, seed=0, dtype=np.float32)
    xs = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    dys = np.ones((T, B, H), np.float32)

    def run():
        ys, final, tape = module.forward(p, xs)
        module.backward(p, tape, dys)
    return run, p


def torch_nn_job(kind, T, B, I, H):
    m = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(I, H)
    x = torch.randn(T, B, I, requires_grad=True)

    def run():
        y, _ = m(x)
        y.backward(torch.ones_like(y))
    return run


def torch_eager_job(step, params, n_states, T, B, I, H):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    x = torch.randn(T, B, I, requires_grad=True)

    def run():
        state = tuple(torch.zeros(B, H) for _ in range(n_states))
        ys = []
        for t in range(T):
            state = step(p, x[t], *state)
            ys.append(state[0])
        y = torch.stack(ys)
        y.backward(torch.ones_like(y))
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--plot", default=str(ROOT / "benchmarks" / "ratios.png"))
    args = ap.parse_args()
    from threadpoolctl import threadpool_info
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {torch.backends.cpu.get_cpu_capability()}")
    for info in threadpool_info():
        print(f"{info['internal_api']} {info['version']} threads={info['num_threads']} "
              f"arch={info.get('architecture')} ({Path(info['filepath']).name})")
    rows = []
    header = f"{'cell':<10} {'T,B,I,H':<18} {'cellgen ms':>10} {'torch ms':>9} {'vs':<16} {'ratio':>6}"
    print(header)
    for T, B, I, H in SIZES:
        for name, module, other in [("lstm", lstm, "nn.LSTM"), ("gru", gru, "nn.GRU"),
                                    ("gru_cho", gru_cho, "eager autograd"), ("lstm_cifg", lstm_cifg, "eager autograd")]:
            ours, params = cellgen_job(module, T, B, I, H)
            if other.startswith("nn."):
                theirs = torch_nn_job(name, T, B, I, H)
            else:
                step = eager_gru_cho if name == "gru_cho" else eager_lstm_cifg
                theirs = torch_eager_job(step, params, len(module.STATES), T, B, I, H)
            ta, tb = paired(ours, theirs, args.repeats)
            rows.append((name, (T, B, I, H), ta, tb, other))
            print(f"{name:<10} {str((T, B, I, H)):<18} {ta * 1e3:>10.2f} {tb * 1e3:>9.2f} {other:<16} {tb / ta:>6.2f}",
                  flush=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(9, 4))
    names = sorted({r[0] for r in rows}, key=[r[0] for r in rows].index)
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        rs = [r for r in rows if r[0] == n]
        ax.bar([j + i * width for j in range(len(rs))], [r[3] / r[2] for r in rs], width,
               label=f"{n} vs {rs[0][4]}")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(SIZES))], [str(s) for s in SIZES], fontsize=8)
    ax.set_ylabel("torch time / cellgen time")
    ax.set_yscale("log")
    ax.set_title("float32 forward + backward, 2 cores (above 1: cellgen is faster)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
