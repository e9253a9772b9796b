"""Independent PyTorch autograd references for cells, written by hand from the papers.

Nothing here imports cellgen: each step function is the cell's equations in torch.
"""
from __future__ import annotations

import numpy as np
import torch

sig, tanh = torch.sigmoid, torch.tanh


def mv(W, v):
    return v @ W.T  # v is [B, k]: the batched W @ v


def lstm(p, x, h, c):
    i = sig(mv(p["W_i"], h) + mv(p["U_i"], x) + p["b_i"])
    f = sig(mv(p["W_f"], h) + mv(p["U_f"], x) + p["b_f"])
    g = tanh(mv(p["W_g"], h) + mv(p["U_g"], x) + p["b_g"])
    o = sig(mv(p["W_o"], h) + mv(p["U_o"], x) + p["b_o"])
    c2 = f * c + i * g
    h2 = o * tanh(c2)
    return (h2, c2), h2


def lstm_proj(p, x, h, c):  # Sak et al. 2014, LSTMP without peepholes: h' = P (o * tanh(c'))
    (m, c2), _ = lstm(p, x, h, c)
    h2 = mv(p["P_h"], m)
    return (h2, c2), h2


def _greff(drop):
    def step(p, x, h, c):
        gate = lambda k, act=sig: act(mv(p[f"W_{k}"], h) + mv(p[f"U_{k}"], x) + p[f"b_{k}"])
        i = 1 if drop == "nig" else gate("i")
        f = 1 if drop == "nfg" else (1 - i if drop == "cifg" else gate("f"))
        g = gate("g", (lambda z: z) if drop == "niaf" else tanh)
        o = 1 if drop == "nog" else gate("o")
        c2 = f * c + i * g
        h2 = o * (c2 if drop == "noaf" else tanh(c2))
        return (h2, c2), h2
    return step


GREFF = {f"lstm_{d}": _greff(d) for d in ("nig", "nfg", "nog", "niaf", "noaf", "cifg")}


def rnn(p, x, h):
    h2 = tanh(mv(p["W"], h) + mv(p["U"], x) + p["b"])
    return (h2,), h2


def gru(p, x, h):
    r = sig(mv(p["W_r"], h) + mv(p["U_r"], x) + p["b_r"])
    z = sig(mv(p["W_z"], h) + mv(p["U_z"], x) + p["b_z"])
    n = tanh(mv(p["U_n"], x) + p["b_n"] + r * (mv(p["W_n"], h) + p["bh_n"]))
    h2 = (1 - z) * n + z * h
    return (h2,), h2


def gru_cho(p, x, h):
    r = sig(mv(p["W_r"], h) + mv(p["U_r"], x) + p["b_r"])
    z = sig(mv(p["W_z"], h) + mv(p["U_z"], x) + p["b_z"])
    n = tanh(mv(p["W_n"], r * h) + mv(p["U_n"], x) + p["b_n"])
    h2 = (1 - z) * n + z * h
    return (h2,), h2


def article_lstm(p, x, h):
    i = sig(mv(p["W_s"], h) + mv(p["U_i"], x) + p["b_i"])
    s = sig(mv(p["W_i"], h) + mv(p["U_s"], x) + p["b_s"])
    g = sig(mv(p["W_g"], h) + mv(p["U_g"], x) + p["b_g"])
    h2 = h * s + i * sig(mv(p["W"], h) + mv(p["U"], x) + p["b"])
    return (h2,), tanh(h2) * g


def article_gru(p, x, h):
    u = sig(mv(p["W_u"], h) + mv(p["U_u"], x) + p["b_u"])
    r = sig(mv(p["W_r"], h) + mv(p["U_r"], x) + p["b_r"])
    h2 = h * u + (1 - u) * sig(mv(p["W"], h) * r + mv(p["U"], x) + p["b"])
    return (h2,), h2


def mingru(p, x, h):  # Feng et al. 2024, 3.1
    z = sig(mv(p["U_z"], x) + p["b_z"])
    h_tilde = mv(p["U_h"], x) + p["b_h"]
    h2 = (1 - z) * h + z * h_tilde
    return (h2,), h2


def minlstm(p, x, h):  # Feng et al. 2024, 3.2: f' = f / (f + i), i' = i / (f + i)
    f = sig(mv(p["U_f"], x) + p["b_f"])
    i = sig(mv(p["U_i"], x) + p["b_i"])
    h_tilde = mv(p["U_h"], x) + p["b_h"]
    h2 = f / (f + i) * h + i / (f + i) * h_tilde
    return (h2,), h2


def sru(p, x, c):  # Lei et al. 2018, (3)-(6), the highway through a projection of x
    f = sig(mv(p["U_f"], x) + p["v_f"] * c + p["b_f"])
    r = sig(mv(p["U_r"], x) + p["v_r"] * c + p["b_r"])
    c2 = f * c + (1 - f) * mv(p["U_c"], x)
    return (c2,), r * c2 + (1 - r) * mv(p["U_h"], x)


def slstm(p, x, h, c, n, m):  # Beck et al. 2024, (8)-(17), sigmoid forget gate in log space
    it = mv(p["W_i"], h) + mv(p["U_i"], x) + p["b_i"]
    ft = mv(p["W_f"], h) + mv(p["U_f"], x) + p["b_f"]
    z = tanh(mv(p["W_z"], h) + mv(p["U_z"], x) + p["b_z"])
    o = sig(mv(p["W_o"], h) + mv(p["U_o"], x) + p["b_o"])
    log_f = torch.nn.functional.logsigmoid(ft)
    m2 = torch.maximum(log_f + m, it)
    i, f = torch.exp(it - m2), torch.exp(log_f + m - m2)
    c2 = f * c + i * z
    n2 = f * n + i
    h2 = o * c2 / n2
    return (h2, c2, n2, m2), h2


def indrnn(p, x, h):  # Li et al. 2018, (2)
    h2 = torch.relu(mv(p["U"], x) + p["u"] * h + p["b"])
    return (h2,), h2


def peephole_lstm(p, x, h, c):  # Gers & Schmidhuber 2000, as Greff et al. 2017 (1)-(6)
    i = sig(mv(p["W_i"], h) + mv(p["U_i"], x) + p["p_i"] * c + p["b_i"])
    f = sig(mv(p["W_f"], h) + mv(p["U_f"], x) + p["p_f"] * c + p["b_f"])
    g = tanh(mv(p["W_g"], h) + mv(p["U_g"], x) + p["b_g"])
    c2 = f * c + i * g
    o = sig(mv(p["W_o"], h) + mv(p["U_o"], x) + p["p_o"] * c2 + p["b_o"])
    h2 = o * tanh(c2)
    return (h2, c2), h2


def _layer_norm(v):  # over the last axis, no affine part, eps as torch's default
    return torch.nn.functional.layer_norm(v, v.shape[-1:], eps=1e-5)


def _stacked(p, prefix, gates, v):
    return torch.cat([mv(p[f"{prefix}_{k}"], v) for k in gates], 1)


def lstm_layernorm(p, x, h, c):  # haste's LayerNormLSTM: one layer norm over all 4H gate units
    cat = lambda name: torch.cat([p[f"{name}_{k}"] for k in "ifgo"])
    gates = cat("gh") * _layer_norm(_stacked(p, "W", "ifgo", h)) \
        + cat("gx") * _layer_norm(_stacked(p, "U", "ifgo", x)) + cat("b")
    i, f, g, o = gates.chunk(4, 1)
    c2 = sig(f) * c + sig(i) * tanh(g)
    h2 = sig(o) * tanh(p["gc"] * _layer_norm(c2) + p["bc"])
    return (h2, c2), h2


def gru_layernorm(p, x, h):  # haste's LayerNormGRU: one layer norm over all 3H units of U x, of W h
    cat = lambda name: torch.cat([p[f"{name}_{k}"] for k in "rzn"])
    ux, wh = (cat("gx") * _layer_norm(_stacked(p, "U", "rzn", x))).chunk(3, 1), \
        (cat("gh") * _layer_norm(_stacked(p, "W", "rzn", h))).chunk(3, 1)
    r = sig(ux[0] + wh[0] + p["b_r"])
    z = sig(ux[1] + wh[1] + p["b_z"])
    n = tanh(ux[2] + p["b_n"] + r * (wh[2] + p["bh_n"]))
    h2 = (1 - z) * n + z * h
    return (h2,), h2


CATALOG = {"rnn": rnn, "lstm": lstm, "gru": gru, "gru_cho": gru_cho, "article_lstm": article_lstm,
           "article_gru": article_gru, "mingru": mingru, "minlstm": minlstm, "sru": sru, "slstm": slstm,
           "indrnn": indrnn, "peephole_lstm": peephole_lstm, "lstm_layernorm": lstm_layernorm,
           "gru_layernorm": gru_layernorm, "lstm_proj": lstm_proj, **GREFF}


def unroll(step, params, xs, state0, dys, dfinal):
    """Forward with torch, then autograd of sum(ys * dys) + sum(final * dfinal)."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    x = torch.tensor(xs, requires_grad=True)
    s0 = [torch.tensor(a, requires_grad=True) for a in state0]
    state = tuple(s0)
    ys = []
    for t in range(x.shape[0]):
        state, y = step(p, x[t], *state)
        ys.append(y)
    Y = torch.stack(ys) if ys else torch.zeros((0,) + tuple(s0[0].shape), dtype=x.dtype)
    loss = (Y * torch.tensor(dys)).sum() if dys is not None else Y.sum() * 0
    if dfinal is not None:
        loss = loss + sum((f * torch.tensor(d)).sum() for f, d in zip(state, dfinal))
    loss.backward()
    z = lambda t: t.grad.numpy() if t.grad is not None else np.zeros(t.shape, dtype=xs.dtype)
    return (Y.detach().numpy(), tuple(s.detach().numpy() for s in state),
            {k: z(v) for k, v in p.items()}, z(x), tuple(z(a) for a in s0))
