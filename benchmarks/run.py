"""cellgen against PyTorch and JAX on CPU: float32 forward + backward of whole sequences.

lstm and gru race torch.nn.LSTM / nn.GRU; the custom cells (gru_cho, lstm_cifg from the
catalog, and an MGU compiled here from benchmarks/mgu.cell) race the same equations in
eager torch autograd and in JAX jit(grad(lax.scan)) (skipped when JAX is not installed).
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
import cellgen  # noqa: E402
from generated import gru, gru_cho, lstm, lstm_cifg  # noqa: E402

mgu = cellgen.load(ROOT / "benchmarks" / "mgu.cell")

SIZES = [(100, 32, 128, 128), (100, 64, 256, 256), (50, 16, 32, 32), (200, 8, 64, 64), (100, 1, 64, 64)]


def eager_gru_cho(p, x, h, sig=torch.sigmoid, tanh=torch.tanh):
    r = sig(h @ p["W_r"].T + x @ p["U_r"].T + p["b_r"])
    z = sig(h @ p["W_z"].T + x @ p["U_z"].T + p["b_z"])
    n = tanh((r * h) @ p["W_n"].T + x @ p["U_n"].T + p["b_n"])
    return ((1 - z) * n + z * h,)


def eager_lstm_cifg(p, x, h, c, sig=torch.sigmoid, tanh=torch.tanh):
    i = sig(h @ p["W_i"].T + x @ p["U_i"].T + p["b_i"])
    g = tanh(h @ p["W_g"].T + x @ p["U_g"].T + p["b_g"])
    o = sig(h @ p["W_o"].T + x @ p["U_o"].T + p["b_o"])
    c2 = (1 - i) * c + i * g
    return o * tanh(c2), c2


def eager_mgu(p, x, h, sig=torch.sigmoid, tanh=torch.tanh):
    f = sig(h @ p["W_f"].T + x @ p["U_f"].T + p["b_f"])
    n = tanh((f * h) @ p["W_n"].T + x @ p["U_n"].T + p["b_n"])
    return ((1 - f) * h + f * n,)


# One step of each custom cell, written once for eager torch and (with jax's sig/tanh) for JAX.
EAGER = {"gru_cho": eager_gru_cho, "lstm_cifg": eager_lstm_cifg, "mgu": eager_mgu}


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


def jax_job(step, params, n_states, T, B, I, H):
    """The same equations as the eager torch step, as jit(grad) of a lax.scan; None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    ops = {"sig": jax.nn.sigmoid, "tanh": jnp.tanh}
    p = {k: jnp.asarray(v) for k, v in params.items()}
    xs = jnp.asarray(np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32))

    def loss(p, xs):
        def body(state, x):
            new = step(p, x, *state, **ops)
            return new, new[0]
        zeros = tuple(jnp.zeros((B, H), jnp.float32) for _ in range(n_states))
        return jax.lax.scan(body, zeros, xs)[1].sum()
    grad = jax.jit(jax.grad(loss, argnums=(0, 1)))
    return lambda: jax.block_until_ready(grad(p, xs))


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
    print(f"cellgen: every product on cellgen.runtime's tile kernel (no BLAS), {cellgen.num_threads()} threads")
    rows = []
    print(f"{'cell':<10} {'T,B,I,H':<18} {'cellgen ms':>10} {'other ms':>9} {'other':<22} {'ratio':>6}")
    for T, B, I, H in SIZES:
        for name, module in [("lstm", lstm), ("gru", gru), ("gru_cho", gru_cho), ("lstm_cifg", lstm_cifg),
                             ("mgu", mgu)]:
            ours, params = cellgen_job(module, T, B, I, H)
            if name in ("lstm", "gru"):
                others = [("nn.LSTM" if name == "lstm" else "nn.GRU", torch_nn_job(name, T, B, I, H))]
            else:
                n = len(module.STATES)
                others = [("eager torch autograd", torch_eager_job(EAGER[name], params, n, T, B, I, H)),
                          ("JAX jit(grad(scan))", jax_job(EAGER[name], params, n, T, B, I, H))]
            for other, theirs in others:
                if theirs is None:
                    print(f"{name:<10} {str((T, B, I, H)):<18} {'':>10} {'':>9} {other:<22} skipped (not installed)")
                    continue
                ta, tb = paired(ours, theirs, args.repeats)
                rows.append((name, (T, B, I, H), ta, tb, other))
                print(f"{name:<10} {str((T, B, I, H)):<18} {ta * 1e3:>10.2f} {tb * 1e3:>9.2f} {other:<22} "
                      f"{tb / ta:>6.2f}", flush=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(11, 4.5))
    series = list(dict.fromkeys((r[0], r[4]) for r in rows))
    width = 0.85 / len(series)
    for i, (n, other) in enumerate(series):
        rs = [r for r in rows if (r[0], r[4]) == (n, other)]
        ax.bar([SIZES.index(r[1]) + i * width for r in rs], [r[3] / r[2] for r in rs], width,
               label=f"{n} vs {other}")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks([j + 0.425 - width / 2 for j in range(len(SIZES))], [str(s) for s in SIZES], fontsize=8)
    ax.set_xlabel("(T, B, input, hidden)")
    ax.set_ylabel("other time / cellgen time")
    ax.set_yscale("log")
    ax.set_title("float32 forward + backward, 2 cores (above 1: cellgen is faster)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
