"""The rest of the performance picture: GEMM efficiency, step() latency, tape memory,
compile and import times. Run as benchmarks/run.py says."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from generated import gru_cho, lstm  # noqa: E402


@numba.njit
def _sgemm(a, b, c):
    np.dot(a, b, c)


def sgemm_gflops(n=2048, repeats=5):
    """The machine's sgemm: the faster of numba's np.dot (SciPy's OpenBLAS) and numpy's own
    BLAS, the one the generated modules call where numpy ships an OpenBLAS."""
    a = np.random.rand(n, n).astype(np.float32)
    c = np.empty_like(a)
    _sgemm(a, a, c)
    np.dot(a, a, c)
    best = min(_timed(lambda: _sgemm(a, a, c)) for _ in range(repeats))
    best = min(best, min(_timed(lambda: np.dot(a, a, c)) for _ in range(repeats)))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def lstm_efficiency(T=100, B=64, I=256, H=256, repeats=5):
    p = lstm.init_params(I, H, dtype=np.float32)
    xs = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    dys = np.ones((T, B, H), np.float32)

    def run():
        ys, _, tape = lstm.forward(p, xs)
        lstm.backward(p, tape, dys)
    run()
    best = min(_timed(run) for _ in range(repeats))
    flops = 3 * 2 * T * B * 4 * H * (I + H)  # forward products, then dW, dU, dx and dh in backward
    return best, flops / best / 1e9


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


def compile_and_import_times():
    """Cold: build the catalog and compile every module's kernels with an empty Numba cache.
    Warm: a new process importing one module and running it from that cache."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "numba"), PYTHONPATH=tmp)
        specs = sorted(str(p) for p in (ROOT / "specs").glob("*.cell"))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cellgen", "build", *specs, "-o", str(Path(tmp) / "gen")], check=True)
        build = time.perf_counter() - t0
        names = [Path(s).stem for s in specs]
        use = ("import numpy as np, importlib, sys; sys.path.insert(0, {gen!r})\n"
               "for n in {names!r}:\n"
               "    m = importlib.import_module(n); p = m.init_params(3, 4)\n"
               "    ys, f, t = m.forward(p, np.ones((2, 1, 3), np.float32)); m.backward(p, t, np.ones_like(ys))\n")
        code = use.format(gen=str(Path(tmp) / "gen"), names=names)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        cold = time.perf_counter() - t0
        # Warm: timed inside the new process, import and first call apart.
        one = ("import time; t0 = time.perf_counter()\n"
               "import numpy as np, sys; sys.path.insert(0, {gen!r}); import lstm as m\n"
               "t1 = time.perf_counter(); p = m.init_params(3, 4)\n"
               "ys, f, t = m.forward(p, np.ones((2, 1, 3), np.float32)); m.backward(p, t, np.ones_like(ys))\n"
               "print(t1 - t0, time.perf_counter() - t1)\n").format(gen=str(Path(tmp) / "gen"))
        out = subprocess.run([sys.executable, "-c", one], check=True, env=env, capture_output=True, text=True)
        warm = tuple(float(v) for v in out.stdout.split())
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, numba"], check=True, env=env)
        baseline = time.perf_counter() - t0
    return build, cold, warm, baseline


def main() -> None:
    # Peak and LSTM measured in turns, best of each: a drifting machine affects both alike.
    peak, t, gf = 0.0, float("inf"), 0.0
    for _ in range(3):
        peak = max(peak, sgemm_gflops())
        t_i, gf_i = lstm_efficiency()
        t, gf = min(t, t_i), max(gf, gf_i)
    print(f"sgemm 2048^3, the faster of numpy's and numba's np.dot: {peak:.0f} GFLOP/s")
    print(f"lstm (100, 64, 256, 256) forward + backward: {t * 1e3:.1f} ms, {gf:.0f} GFLOP/s of products "
          f"= {gf / peak:.0%} of sgemm")
    ours, dict_params, theirs = step_latency()
    print(f"step() at B=1, 64 -> 64: {ours * 1e6:.1f} us packed, {dict_params * 1e6:.1f} us with a dict; "
          f"nn.LSTMCell {theirs * 1e6:.1f} us")
    for m in (lstm, gru_cho):
        per_step, per_unit = tape_bytes_per_step(m)
        print(f"tape of {m.NAME} at B=32, H=128: {per_step / 1024:.0f} KiB per step "
              f"= {per_unit:.0f} floats per batch row and hidden unit")
    build, cold, warm, base = compile_and_import_times()
    print(f"catalog (12 cells): cellgen build {build:.1f} s; first use of all, empty Numba cache {cold:.1f} s; "
          f"warm: import of one module {warm[0]:.2f} s, then its first forward + backward {warm[1]:.2f} s "
          f"(python -c 'import numpy, numba': {base:.2f} s)")


if __name__ == "__main__":
    main()
