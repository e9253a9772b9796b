"""cellgen against PyTorch and JAX on CPU, float32, in two modes.

bare: forward + backward of whole sequences by the generated module. lstm and gru race
torch.nn.LSTM / nn.GRU; the custom cells (gru_cho, lstm_cifg from the catalog, and an MGU
compiled here from benchmarks/mgu.cell) race the same equations in eager torch autograd
and in JAX jit(grad(lax.scan)) (skipped when JAX is not installed). Each pair is timed
alternately in blocks of 3 calls in the same run (best of N).

training: where users meet it, one PyTorch training step (the layer over x [T, B, I],
nn.Linear on the last output, MSE, backward, SGD): from_torch(nn.LSTM) and
cellgen.torch.GRU against nn.LSTM / nn.GRU; the custom cells as `Recurrent` layers
against the same equations in eager torch autograd. Each side runs blocks of 5
consecutive steps (as a training loop makes them), the blocks alternate, and a side's
figure is its best block median; `bare` is the bare module's time in the same rounds,
the floor a layer's step is judged against, and `head` the same step on a fixed output
(head, loss, backward, SGD without the layer): `layer/bare` = (step - head) / bare, the
layer's own time in a step over the bare module's.

Run it with OpenBLAS's CPU overrides unset (see the README):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--mode bare|training|both]
"""
from __future__ import annotations

import argparse
import statistics
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
    """One step of a layer (x -> outputs [T, B, H]) with a Linear head, MSE and SGD
    (layer_forward None: the step without a layer, on a fixed output)."""
    if layer_forward is None:
        fixed = torch.randn(T, B, H)
        layer_forward = lambda x: fixed  # noqa: E731
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


CELLS = {"gru_cho": ROOT / "specs" / "gru_cho.cell", "lstm_cifg": ROOT / "specs" / "lstm_cifg.cell",
         "mgu": ROOT / "benchmarks" / "mgu.cell"}


def eager_layer(name, I, H):
    """A custom cell's equations in eager torch, one step at a time: (forward, parameters)."""
    module = cellgen.load(CELLS[name])
    p = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in module.init_params(I, H).items()}
    n = len(module.STATES)

    def forward(x):
        state = tuple(x.new_zeros(x.shape[1], H) for _ in range(n))
        ys = []
        for t in range(x.shape[0]):
            state = EAGER[name](p, x[t], *state)
            ys.append(state[0])
        return torch.stack(ys)
    return forward, p.values()


def bare_rows(repeats: int) -> list:
    from cellgen.torch import Recurrent  # noqa: F401  (the same process state as the training mode)
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
                ta, tb = paired(ours, theirs, repeats)
                rows.append((name, (T, B, I, H), ta, tb, other))
                print(f"{name:<10} {str((T, B, I, H)):<18} {ta * 1e3:>10.2f} {tb * 1e3:>9.2f} {other:<22} "
                      f"{tb / ta:>6.2f}", flush=True)
    return rows


def training_rows(rounds: int) -> list:
    from cellgen.torch import GRU, Recurrent, from_torch
    rows = []
    print(f"{'layer':<10} {'T,B,I,H':<18} {'cellgen ms':>10} {'other ms':>9} {'other':<22} {'ratio':>6} "
          f"{'bare ms':>8} {'step/bare':>9} {'head ms':>8} {'layer/bare':>10}")
    for T, B, I, H in SIZES:
        torch.manual_seed(0)
        pairs = []
        for name, torch_cls, module in (("lstm", torch.nn.LSTM, lstm), ("gru", torch.nn.GRU, gru)):
            ref = torch_cls(I, H)
            ours = from_torch(ref) if name == "lstm" else GRU(I, H)
            pairs.append((name, ours, ref, cellgen_job(module, T, B, I, H)[0], f"nn.{torch_cls.__name__}"))
        for name in CELLS:
            ours = Recurrent(CELLS[name], I, H)
            bare = cellgen_job(mgu if name == "mgu" else cellgen.load(CELLS[name]), T, B, I, H)[0]
            pairs.append((name, ours, eager_layer(name, I, H), bare, "eager torch autograd"))
        for name, ours, ref, bare, against in pairs:
            if isinstance(ref, torch.nn.Module):
                theirs = training_step(lambda x, m=ref: m(x)[0], ref.parameters(), T, B, I, H)
            else:
                theirs = training_step(ref[0], ref[1], T, B, I, H)
            mine = training_step(lambda x, m=ours: m(x)[0], ours.parameters(), T, B, I, H)
            head = training_step(None, (), T, B, I, H)
            t = blocks({"cellgen": mine, "torch": theirs, "bare": bare, "head": head}, rounds)
            rows.append((name, (T, B, I, H), t["cellgen"], t["torch"], against))
            print(f"{name:<10} {str((T, B, I, H)):<18} {t['cellgen'] * 1e3:>10.2f} {t['torch'] * 1e3:>9.2f} "
                  f"{against:<22} {t['torch'] / t['cellgen']:>6.2f} {t['bare'] * 1e3:>8.2f} "
                  f"{t['cellgen'] / t['bare']:>9.2f} {t['head'] * 1e3:>8.2f} "
                  f"{(t['cellgen'] - t['head']) / t['bare']:>10.2f}", flush=True)
    return rows


def plot(panels: list, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 4.2 * len(panels)), squeeze=False)
    for ax, (title, rows) in zip(axes[:, 0], panels):
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
        ax.set_title(title)
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot: {path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["bare", "training", "both"], default="both")
    ap.add_argument("--repeats", type=int, default=5, help="bare mode: best of this many blocks")
    ap.add_argument("--rounds", type=int, default=7, help="training mode: alternating rounds of blocks")
    ap.add_argument("--plot", default=str(ROOT / "benchmarks" / "ratios.png"))
    ap.add_argument("--sizes", default="all", help="'all' or the index of one size in SIZES (the plot is kept)")
    args = ap.parse_args()
    if args.sizes != "all":
        SIZES[:] = [SIZES[int(args.sizes)]]
        args.plot = None
    from threadpoolctl import threadpool_info
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {torch.backends.cpu.get_cpu_capability()}")
    for info in threadpool_info():
        print(f"{info['internal_api']} {info['version']} threads={info['num_threads']} "
              f"arch={info.get('architecture')} ({Path(info['filepath']).name})")
    print(f"cellgen: every product on cellgen.runtime's tile kernel (no BLAS), {cellgen.num_threads()} threads")
    panels = []
    if args.mode in ("bare", "both"):
        print("\nbare module: forward + backward of a whole sequence, blocks of 3 calls, best of "
              f"{args.repeats}")
        panels.append(("bare module: float32 forward + backward, 2 cores (above 1: cellgen is faster)",
                       bare_rows(args.repeats)))
    if args.mode in ("training", "both"):
        print("\ntraining step: layer, Linear head, MSE, backward, SGD; blocks of 5 steps, best block median "
              f"of {args.rounds}")
        panels.append(("PyTorch training step (layer, Linear head, MSE, SGD), float32, 2 cores",
                       training_rows(args.rounds)))
    if args.plot:
        plot(panels, args.plot)


if __name__ == "__main__":
    main()
