"""The cells of the language's second edition against the same equations in eager torch.

Bare forward + backward of a whole sequence (float32), as benchmarks/run.py times it:
the two sides alternate in blocks of 3 calls, best of `--repeats`. The eager side is the
step function written by hand in torch (the layer norms with torch.nn.functional.layer_norm
over the stacked gates, as haste computes them). `lstm` is also timed, the floor a
layer-normalized LSTM is judged against. Run it with OpenBLAS's CPU overrides unset:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/cells.py
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import SIZES, cellgen_job, paired, torch_eager_job  # noqa: E402

import cellgen  # noqa: E402

sig, tanh = torch.sigmoid, torch.tanh


def mv(W, v):
    return v @ W.T


def layer_norm(v):
    return torch.nn.functional.layer_norm(v, v.shape[-1:], eps=1e-5)


def stacked(p, prefix, gates, v):
    return torch.cat([mv(p[f"{prefix}_{k}"], v) for k in gates], 1)


def lstm_layernorm(p, x, h, c):
    cat = lambda name: torch.cat([p[f"{name}_{k}"] for k in "ifgo"])  # noqa: E731
    gates = cat("gh") * layer_norm(stacked(p, "W", "ifgo", h)) + cat("gx") * layer_norm(stacked(p, "U", "ifgo", x)) \
        + cat("b")
    i, f, g, o = gates.chunk(4, 1)
    c2 = sig(f) * c + sig(i) * tanh(g)
    return sig(o) * tanh(p["gc"] * layer_norm(c2) + p["bc"]), c2


def gru_layernorm(p, x, h):
    cat = lambda name: torch.cat([p[f"{name}_{k}"] for k in "rzn"])  # noqa: E731
    ux = (cat("gx") * layer_norm(stacked(p, "U", "rzn", x))).chunk(3, 1)
    wh = (cat("gh") * layer_norm(stacked(p, "W", "rzn", h))).chunk(3, 1)
    r, z = sig(ux[0] + wh[0] + p["b_r"]), sig(ux[1] + wh[1] + p["b_z"])
    n = tanh(ux[2] + p["b_n"] + r * (wh[2] + p["bh_n"]))
    return ((1 - z) * n + z * h,)


def slstm(p, x, h, c, n, m):
    it = mv(p["W_i"], h) + mv(p["U_i"], x) + p["b_i"]
    ft = mv(p["W_f"], h) + mv(p["U_f"], x) + p["b_f"]
    z = tanh(mv(p["W_z"], h) + mv(p["U_z"], x) + p["b_z"])
    o = sig(mv(p["W_o"], h) + mv(p["U_o"], x) + p["b_o"])
    log_f = torch.nn.functional.logsigmoid(ft)
    m2 = torch.maximum(log_f + m, it)
    i, f = torch.exp(it - m2), torch.exp(log_f + m - m2)
    c2, n2 = f * c + i * z, f * n + i
    return o * c2 / n2, c2, n2, m2


def peephole_lstm(p, x, h, c):
    i = sig(mv(p["W_i"], h) + mv(p["U_i"], x) + p["p_i"] * c + p["b_i"])
    f = sig(mv(p["W_f"], h) + mv(p["U_f"], x) + p["p_f"] * c + p["b_f"])
    g = tanh(mv(p["W_g"], h) + mv(p["U_g"], x) + p["b_g"])
    c2 = f * c + i * g
    o = sig(mv(p["W_o"], h) + mv(p["U_o"], x) + p["p_o"] * c2 + p["b_o"])
    return o * tanh(c2), c2


def indrnn(p, x, h):
    return (torch.relu(mv(p["U"], x) + p["u"] * h + p["b"]),)


EAGER = {"lstm_layernorm": lstm_layernorm, "gru_layernorm": gru_layernorm, "slstm": slstm,
         "peephole_lstm": peephole_lstm, "indrnn": indrnn}


def proj_jobs(T, B, I, H, P):
    """lstm_proj against torch.nn.LSTM(proj_size=P): forward + backward, float32."""
    module = cellgen.load("lstm_proj")
    p = module.init_params(I, H, seed=0, dtype=np.float32, proj=P)
    xs = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    dys = np.ones((T, B, P), np.float32)

    def ours():
        _, _, tape = module.forward(p, xs)
        module.backward(p, tape, dys)
    m = torch.nn.LSTM(I, H, proj_size=P)
    x = torch.randn(T, B, I, requires_grad=True)

    def theirs():
        y, _ = m(x)
        y.backward(torch.ones_like(y))
    return ours, theirs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="all", help="'all' or the index of one size in run.SIZES")
    ap.add_argument("--proj", action="store_true", help="only lstm_proj against nn.LSTM(proj_size=H // 2)")
    ap.add_argument("--cells", default="", help="only these cells against eager torch (comma-separated)")
    args = ap.parse_args()
    chosen = [c for c in args.cells.split(",") if c]
    unknown = set(chosen) - set(EAGER)
    if unknown:
        ap.error(f"no eager version of {sorted(unknown)}; the cells are {', '.join(EAGER)}")
    sizes = SIZES if args.sizes == "all" else [SIZES[int(args.sizes)]]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; cellgen threads {cellgen.num_threads()}")
    if not chosen:
        print(f"{'cell':<15} {'T,B,I,H,P':<23} {'cellgen ms':>10} {'nn.LSTM ms':>10} {'ratio':>6}")
    for T, B, I, H in sizes if not chosen else ():
        ours, theirs = proj_jobs(T, B, I, H, H // 2)
        t_ours, t_theirs = paired(ours, theirs, args.repeats)
        print(f"{'lstm_proj':<15} {str((T, B, I, H, H // 2)):<23} {t_ours * 1e3:>10.2f} {t_theirs * 1e3:>10.2f} "
              f"{t_theirs / t_ours:>6.2f}", flush=True)
    if args.proj:
        return
    print(f"{'cell':<15} {'T,B,I,H':<19} {'cellgen ms':>10} {'eager ms':>9} {'ratio':>6} {'/ lstm':>7}")
    for T, B, I, H in sizes:
        plain, _ = cellgen_job(cellgen.load("lstm"), T, B, I, H)
        for name, step in EAGER.items():
            if chosen and name not in chosen:
                continue
            module = cellgen.load(name)
            ours, params = cellgen_job(module, T, B, I, H)
            theirs = torch_eager_job(step, params, len(module.STATES), T, B, I, H)
            t_ours, t_theirs = paired(ours, theirs, args.repeats)
            t_lstm, t_again = paired(plain, ours, args.repeats)
            print(f"{name:<15} {str((T, B, I, H)):<19} {t_ours * 1e3:>10.2f} {t_theirs * 1e3:>9.2f} "
                  f"{t_theirs / t_ours:>6.2f} {t_again / t_lstm:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
