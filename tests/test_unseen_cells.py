"""Cells that are not in specs/, written as a user would from a paper, against torch autograd."""
import numpy as np
import pytest
import torch

import cellgen
from reference import mv, unroll

sig, tanh, F = torch.sigmoid, torch.tanh, torch.nn.functional

CELLS = {
    "peephole_lstm": ("""
# Gers, Schraudolph, Schmidhuber (2002): peephole connections p_i, p_f, p_o
cell peephole_lstm
input x
state h, c
i = sigmoid(W_i @ h + U_i @ x + p_i * c + b_i)
f = sigmoid(W_f @ h + U_f @ x + p_f * c + b_f)
c' = f * c + i * tanh(W_c @ h + U_c @ x + b_c)
o = sigmoid(W_o @ h + U_o @ x + p_o * c' + b_o)
h' = o * tanh(c')
""", lambda p, x, h, c: _peephole(p, x, h, c)),
    "mgu": ("""
# Minimal gated unit: Zhou et al. (2016)
input x
state h
f = sigmoid(W_f @ h + U_f @ x + b_f)
n = tanh(W_n @ (f * h) + U_n @ x + b_n)
h' = (1 - f) * h + f * n
""", lambda p, x, h: _mgu(p, x, h)),
    "indrnn": ("""
# IndRNN: Li et al. (2018), element-wise recurrence u * h
input x
state h
h' = relu(u * h + W @ x + b)
""", lambda p, x, h: _indrnn(p, x, h)),
    "shapes": ("""
# softplus, division, powers, sqrt, exp, log, abs, equations out of order
input x
state h
output y
h' = y * 0.5 + h ** 2 / (2 + h ** 2)
y = a / (1 + abs(a)) - sqrt(1 + a ** 2) * 1e-1 + log(1 + exp(-a ** 2))
a = softplus(W @ h + U @ x + b) ** 1.5 - 0.25
""", lambda p, x, h: _shapes(p, x, h)),
    "reversed_lstm": ("""
input x
state h, c
output h
h' = o * tanh(c')
c' = f * c + i * g
o = sigmoid(W_o @ h + U_o @ x + b_o)
g = tanh(W_g @ h + U_g @ x + b_g)
f = sigmoid(W_f @ h + U_f @ x + b_f)
i = sigmoid(W_i @ h + U_i @ x + b_i)
""", None),
    "two_stage": ("""
# products nested in products: W2 @ tanh(W1 @ h), and an input-side MLP U2 @ tanh(U1 @ x)
input x
state h
m = tanh(W1 @ h + U1 @ x + b1)
h' = tanh(W2 @ m + U2 @ tanh(U3 @ (x * x)) + b2) * 0.5 + h * 0.5
""", lambda p, x, h: _two_stage(p, x, h)),
}


def _peephole(p, x, h, c):
    i = sig(mv(p["W_i"], h) + mv(p["U_i"], x) + p["p_i"] * c + p["b_i"])
    f = sig(mv(p["W_f"], h) + mv(p["U_f"], x) + p["p_f"] * c + p["b_f"])
    c2 = f * c + i * tanh(mv(p["W_c"], h) + mv(p["U_c"], x) + p["b_c"])
    o = sig(mv(p["W_o"], h) + mv(p["U_o"], x) + p["p_o"] * c2 + p["b_o"])
    h2 = o * tanh(c2)
    return (h2, c2), h2


def _indrnn(p, x, h):
    h2 = F.relu(p["u"] * h + mv(p["W"], x) + p["b"])
    return (h2,), h2


def _mgu(p, x, h):
    f = sig(mv(p["W_f"], h) + mv(p["U_f"], x) + p["b_f"])
    n = tanh(mv(p["W_n"], f * h) + mv(p["U_n"], x) + p["b_n"])
    h2 = (1 - f) * h + f * n
    return (h2,), h2


def _shapes(p, x, h):
    a = F.softplus(mv(p["W"], h) + mv(p["U"], x) + p["b"]) ** 1.5 - 0.25
    y = a / (1 + torch.abs(a)) - torch.sqrt(1 + a ** 2) * 1e-1 + torch.log(1 + torch.exp(-a ** 2))
    h2 = y * 0.5 + h ** 2 / (2 + h ** 2)
    return (h2,), y


def _two_stage(p, x, h):
    m = tanh(mv(p["W1"], h) + mv(p["U1"], x) + p["b1"])
    h2 = tanh(mv(p["W2"], m) + mv(p["U2"], tanh(mv(p["U3"], x * x))) + p["b2"]) * 0.5 + h * 0.5
    return (h2,), h2


@pytest.mark.parametrize("name", sorted(CELLS))
def test_unseen_cell_matches_autograd(name, tmp_path, cache, monkeypatch):
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(cache))
    text, step = CELLS[name]
    spec = tmp_path / f"{name}.cell"
    spec.write_text(text)
    module = cellgen.load(spec)
    if step is None:  # equations out of order: the same cell as the catalog's LSTM
        from reference import lstm as step
    T, B, I, H = 5, 3, 4, 6
    rng = np.random.default_rng(5)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in
              module.init_params(I, H, seed=2, dtype=np.float64).items()}
    xs = rng.standard_normal((T, B, I))
    state0 = tuple(0.5 * rng.standard_normal((B, H)) for _ in module.STATES)
    dys = rng.standard_normal((T, B, H))
    dfinal = tuple(rng.standard_normal((B, H)) for _ in module.STATES)
    ys, final, tape = module.forward(params, xs, state0)
    dparams, dxs, dstate0 = module.backward(params, tape, dys, dfinal)
    ref = unroll(step, params, xs, state0, dys, dfinal)

    def rel(a, b):
        return np.max(np.abs(a - b), initial=0) / max(np.max(np.abs(b), initial=0), 1e-300)

    assert rel(ys, ref[0]) < 1e-8
    for a, b in zip(final, ref[1]):
        assert rel(a, b) < 1e-8
    for k in module.PARAMS:
        assert rel(dparams[k], ref[2][k]) < 1e-8, k
    assert rel(dxs, ref[3]) < 1e-8
    for a, b in zip(dstate0, ref[4]):
        assert rel(a, b) < 1e-8
