"""The rest of the performance picture: GEMM efficiency, step() latency, tape memory,
compile and import times. Run as benchmarks/run.py says."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import cellgen  # noqa: E402
from generated import gru, gru_cho, lstm, lstm_cifg  # noqa: E402


def sgemm_gflops(n=2048, repeats=5):
    """The machine's sgemm through numpy's BLAS, the one cellgen's whole-sequence products run on."""
    a = np.random.rand(n, n).astype(np.float32)
    c = np.empty_like(a)
    np.matmul(a, a, out=c)
    best = min(_timed(lambda: np.matmul(a, a, out=c)) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def product_flops(module, T, B, I, H):
    """The floating-point operations of a forward + backward's products: each weight matrix
    multiplies its operand once per step and row (forward), and its gradient and its
    operand's take as much again each (backward)."""
    sizes = {"hidden": H, "input": I}
    matrices = [shape for shape in module.PARAMS.values() if len(shape) == 2]
    return 3 * 2 * T * B * sum(sizes[r] * sizes[c] for r, c in matrices)


def cell_efficiency(module, T=100, B=64, I=256, H=256, repeats=5):
    p = module.init_params(I, H, dtype=np.float32)
    xs = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    dys = np.ones((T, B, H), np.float32)

    def run():
        ys, _, tape = module.forward(p, xs)
        module.backward(p, tape, dys)
    run()
    best = min(_timed(run) for _ in range(repeats))
    return best, product_flops(module, T, B, I, H) / best / 1e9


def step_latency(I=64, H=64, n=3000):
    x = np.random.rand(1, I).astype(np.float32)
    pk = lstm.pack(lstm.init_params(I, H))
    state = lstm.step(pk, x)[1]
    t_ours = min(_timed(lambda: [lstm.step(pk, x, state) for _ in range(n)]) for _ in range(3)) / n
    p = lstm.init_params(I, H)
    t_dict = min(_timed(lambda: [lstm.step(p, x, state) for _ in range(n)]) for _ in range(3)) / n
    cell, X = torch.nn.LSTMCell(I, H), torch.from_numpy(x)
    with torch.no_grad():
        hc = cell(X)
        t_torch = min(_timed(lambda: [cell(X, hc) for _ in range(n)]) for _ in range(3)) / n
    return t_ours, t_dict, t_torch


def tape_bytes_per_step(module, B=32, I=128, H=128, T=10):
    p = module.init_params(I, H, dtype=np.float32)
    _, _, tape = module.forward(p, np.zeros((T, B, I), np.float32))
    total = sum(v.nbytes for k, v in tape.items() if isinstance(v, np.ndarray) and k not in ("x__rows", "lengths"))
    return total / T, total / T / (B * H * 4)


# A new cell's first use, in a process of its own: cellgen.load (build and import), then the
# first float32 forward + backward at a small size, timed, with Numba's compile events
# summed per function (its own time, without what it compiled inside).
FIRST_USE = """
import json, sys, time
if "--no-scipy" in sys.argv:
    sys.modules["scipy"] = None  # as where SciPy is not installed: Numba then does not import it
t0 = time.perf_counter()
import numpy as np, cellgen
from numba.core import event
t1 = time.perf_counter()
m = cellgen.load(sys.argv[1])
t2 = time.perf_counter()
with event.install_recorder("numba:compile") as rec:
    p = m.init_params(8, 16)
    ys, final, tape = m.forward(p, np.ones((5, 4, 8), np.float32))
    m.backward(p, tape, np.ones_like(ys))
t3 = time.perf_counter()
stack, own = [], {}
for ts, ev in rec.buffer:
    if ev.is_start:
        stack.append([ev.data["dispatcher"].py_func.__qualname__.split(".")[0], ts, 0.0])
    else:
        name, start, inner = stack.pop()
        own[name] = own.get(name, 0.0) + (ts - start) - inner
        if stack:
            stack[-1][2] += ts - start
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "call": t3 - t2, "compile": own}))
"""

JAX_FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
import jax, jax.numpy as jnp
t1 = time.perf_counter()
jnp.zeros(1).block_until_ready()  # the CPU backend starts here
t2 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from run import eager_mgu
import numpy as np
rng = np.random.default_rng(0)
p = {k: jnp.asarray(rng.standard_normal(s).astype(np.float32) * 0.1) for k, s in
     {"W_f": (16, 16), "U_f": (16, 8), "b_f": (16,), "W_n": (16, 16), "U_n": (16, 8), "b_n": (16,)}.items()}
xs = jnp.ones((5, 4, 8), jnp.float32)
def loss(p, xs):
    def body(h, x):
        (h,) = eager_mgu(p, x, h, sig=jax.nn.sigmoid, tanh=jnp.tanh)
        return h, h
    return jax.lax.scan(body, jnp.zeros((4, 16), jnp.float32), xs)[1].sum()
jax.block_until_ready(jax.jit(jax.grad(loss, argnums=(0, 1)))(p, xs))
print(json.dumps({"import": t1 - t0, "backend": t2 - t1, "call": time.perf_counter() - t2}))
"""


def _first_use(spec: Path, env: dict, *flags: str) -> dict:
    out = subprocess.run([sys.executable, "-c", FIRST_USE, str(spec), *flags], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_use_times():
    """A new cell (an MGU) from empty caches; again with the runtime already compiled in the
    cache (another cell ran first); and a warm import + first call (the same cell again)."""
    mgu = (ROOT / "benchmarks" / "mgu.cell").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "numba"),
                   CELLGEN_CACHE_DIR=str(Path(tmp) / "cellgen"))
        specs = {name: Path(tmp) / f"{name}.cell" for name in ("mgu", "mgu_b")}
        for name, path in specs.items():
            path.write_text(mgu.replace("cell mgu", f"cell {name}") if "cell mgu" in mgu else mgu)
        cold = _first_use(specs["mgu"], env)  # compiles the runtime and the cell
        new_cell = _first_use(specs["mgu_b"], env)  # the runtime from the cache, the cell new
        warm = _first_use(specs["mgu_b"], env)  # everything from the caches
        warm_no_scipy = _first_use(specs["mgu_b"], env, "--no-scipy")
    try:
        import jax  # noqa: F401
    except ImportError:
        jax_times = None
    else:
        out = subprocess.run([sys.executable, "-c", JAX_FIRST_CALL, str(ROOT / "benchmarks")], check=True,
                             capture_output=True, text=True)
        jax_times = json.loads(out.stdout.strip().splitlines()[-1])
    return cold, new_cell, warm, warm_no_scipy, jax_times


def _breakdown(times: dict, top: int = 6) -> str:
    parts = sorted(times["compile"].items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {t:.2f}" for name, t in parts)


def main() -> None:
    # The peak and each cell measured in turns, best of each: a drifting machine affects
    # both alike.
    cells = {"lstm": lstm, "gru": gru, "gru_cho": gru_cho, "lstm_cifg": lstm_cifg,
             "mgu": cellgen.load(ROOT / "benchmarks" / "mgu.cell")}
    peak, best = 0.0, {name: (float("inf"), 0.0) for name in cells}
    for _ in range(3):
        peak = max(peak, sgemm_gflops())
        for name, module in cells.items():
            t_i, gf_i = cell_efficiency(module)
            best[name] = (min(best[name][0], t_i), max(best[name][1], gf_i))
    print(f"sgemm 2048^3 through numpy's BLAS: {peak:.0f} GFLOP/s")
    for name, (t, gf) in best.items():
        print(f"{name} (100, 64, 256, 256) forward + backward: {t * 1e3:.1f} ms, {gf:.0f} GFLOP/s of products "
              f"= {gf / peak:.0%} of sgemm")
    ours, dict_params, theirs = step_latency()
    print(f"step() at B=1, 64 -> 64: {ours * 1e6:.1f} us packed, {dict_params * 1e6:.1f} us with a dict; "
          f"nn.LSTMCell {theirs * 1e6:.1f} us")
    for m in (lstm, gru_cho):
        per_step, per_unit = tape_bytes_per_step(m)
        print(f"tape of {m.NAME} at B=32, H=128: {per_step / 1024:.0f} KiB per step "
              f"= {per_unit:.0f} floats per batch row and hidden unit")
    cold, new_cell, warm, warm_no_scipy, jax_times = first_use_times()
    print("first use of a new cell (an MGU; float32 forward + backward at T=5, B=4, I=8, H=16), "
          "each in a new process:")
    for label, t in (("empty caches", cold), ("runtime in the cache, new cell", new_cell)):
        print(f"  {label}: cellgen.load {t['load']:.2f} s + first call {t['call']:.2f} s "
              f"= {t['load'] + t['call']:.2f} s (import cellgen, numpy, numba {t['import']:.2f} s)")
        print(f"    Numba compile, own seconds per function: {_breakdown(t)}")
    for label, t in (("warm (both caches)", warm), ("warm, without SciPy", warm_no_scipy)):
        print(f"  {label}: import cellgen, numpy {t['import']:.2f} s + cellgen.load (imports numba) "
              f"{t['load']:.2f} s + first call {t['call']:.2f} s = {t['import'] + t['load'] + t['call']:.2f} s")
    if jax_times:
        print(f"  JAX jit(grad(scan)) of the same cell: import jax {jax_times['import']:.2f} s, "
              f"CPU backend start {jax_times['backend']:.2f} s, first call {jax_times['call']:.2f} s")
    else:
        print("  JAX: not installed")


if __name__ == "__main__":
    main()
