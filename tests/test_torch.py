"""Generated cells against PyTorch: nn.LSTM / nn.GRU, and hand-written autograd references."""
import numpy as np
import pytest
import torch

from conftest import generated
from reference import CATALOG, unroll

torch.set_num_threads(1)


def problem(module, dtype, T=6, B=3, I=5, H=4, seed=0, P=3):
    rng = np.random.default_rng(seed)
    extra = dict.fromkeys(module.SIZES, P)  # lstm_proj's proj
    units = {"hidden": H, **extra}
    params = module.init_params(I, H, seed=seed, dtype=dtype, **extra)
    params = {k: (v + 0.3 * rng.standard_normal(v.shape)).astype(dtype) for k, v in params.items()}
    xs = rng.standard_normal((T, B, I)).astype(dtype)
    state0 = tuple(rng.standard_normal((B, units[s])).astype(dtype) for s in module.STATE_SIZES)
    dys = rng.standard_normal((T, B, units[module.OUTPUT_SIZE])).astype(dtype)
    dfinal = tuple(rng.standard_normal((B, units[s])).astype(dtype) for s in module.STATE_SIZES)
    return params, xs, state0, dys, dfinal


def run(module, params, xs, state0, dys, dfinal):
    ys, final, tape = module.forward(params, xs, state0)
    dparams, dxs, dstate0 = module.backward(params, tape, dys, dfinal)
    return ys, final, dparams, dxs, dstate0


def close(a, b, rtol):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.max(np.abs(b), initial=0.0), 1.0)
    return np.max(np.abs(a - b), initial=0.0) <= rtol * scale


def torch_module(kind, params, I, H, dtype):
    gates = "ifgo" if kind == "lstm" else "rzn"
    m = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(I, H).to(torch.float64 if dtype == np.float64
                                                                    else torch.float32)
    cat = lambda prefix: torch.tensor(np.concatenate([params[f"{prefix}_{k}"] for k in gates]))
    with torch.no_grad():
        m.weight_ih_l0.copy_(cat("U"))
        m.weight_hh_l0.copy_(cat("W"))
        m.bias_ih_l0.copy_(cat("b"))
        m.bias_hh_l0.zero_()
        if kind == "gru":
            m.bias_hh_l0[2 * H:].copy_(torch.tensor(params["bh_n"]))
    return m


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
# B = 1 and B = 4500 run each step's products batch-major, B = 3 feature-major (_step_product).
@pytest.mark.parametrize("T,B", [(7, 3), (5, 1), (3, 4500)])
def test_equals_torch_nn(kind, dtype, rtol, T, B):
    module = generated(kind)
    I, H = 5, 4
    params, xs, state0, dys, dfinal = problem(module, dtype, T, B, I, H)
    ys, final, dparams, dxs, dstate0 = run(module, params, xs, state0, dys, dfinal)
    m = torch_module(kind, params, I, H, dtype)
    X = torch.tensor(xs, requires_grad=True)
    S0 = [torch.tensor(s[None], requires_grad=True) for s in state0]
    Y, fin = m(X, tuple(S0) if kind == "lstm" else S0[0])
    fin = fin if kind == "lstm" else (fin,)
    loss = (Y * torch.tensor(dys)).sum() + sum((f[0] * torch.tensor(d)).sum() for f, d in zip(fin, dfinal))
    loss.backward()
    assert ys.dtype == dtype and dxs.dtype == dtype
    assert close(ys, Y.detach().numpy(), rtol)
    for a, b in zip(final, fin):
        assert close(a, b[0].detach().numpy(), rtol)
    assert close(dxs, X.grad.numpy(), rtol)
    for a, b in zip(dstate0, S0):
        assert close(a, b.grad[0].numpy(), rtol)
    gates = "ifgo" if kind == "lstm" else "rzn"
    for n, k in enumerate(gates):
        rows = slice(n * H, (n + 1) * H)
        assert close(dparams[f"W_{k}"], m.weight_hh_l0.grad[rows].numpy(), rtol), k
        assert close(dparams[f"U_{k}"], m.weight_ih_l0.grad[rows].numpy(), rtol), k
        assert close(dparams[f"b_{k}"], m.bias_ih_l0.grad[rows].numpy(), rtol), k
    if kind == "gru":
        assert close(dparams["bh_n"], m.bias_hh_l0.grad[2 * H:].numpy(), rtol)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_equals_autograd_reference(name):
    module = generated(name)
    params, xs, state0, dys, dfinal = problem(module, np.float64, seed=3)
    ours = run(module, params, xs, state0, dys, dfinal)
    ref = unroll(CATALOG[name], params, xs, state0, dys, dfinal)
    assert close(ours[0], ref[0], 1e-12)
    for a, b in zip(ours[1], ref[1]):
        assert close(a, b, 1e-12)
    for k in module.PARAMS:
        assert close(ours[2][k], ref[2][k], 1e-10), k
    assert close(ours[3], ref[3], 1e-10)
    for a, b in zip(ours[4], ref[4]):
        assert close(a, b, 1e-10)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("T,B,P", [(7, 3, 3), (5, 1, 2), (3, 300, 1)])
def test_lstm_proj_equals_torch_lstm_with_proj_size(dtype, rtol, T, B, P):
    module = generated("lstm_proj")
    I, H = 5, 4
    params, xs, state0, dys, dfinal = problem(module, dtype, T, B, I, H, P=P)
    ys, final, dparams, dxs, dstate0 = run(module, params, xs, state0, dys, dfinal)
    assert ys.shape == (T, B, P) and final[0].shape == (B, P) and final[1].shape == (B, H)
    m = torch.nn.LSTM(I, H, proj_size=P).to(torch.float64 if dtype == np.float64 else torch.float32)
    cat = lambda prefix: torch.tensor(np.concatenate([params[f"{prefix}_{k}"] for k in "ifgo"]))
    with torch.no_grad():
        m.weight_ih_l0.copy_(cat("U"))
        m.weight_hh_l0.copy_(cat("W"))
        m.bias_ih_l0.copy_(cat("b"))
        m.bias_hh_l0.zero_()
        m.weight_hr_l0.copy_(torch.tensor(params["P_h"]))
    X = torch.tensor(xs, requires_grad=True)
    S0 = [torch.tensor(s[None], requires_grad=True) for s in state0]
    Y, fin = m(X, tuple(S0))
    loss = (Y * torch.tensor(dys)).sum() + sum((f[0] * torch.tensor(d)).sum() for f, d in zip(fin, dfinal))
    loss.backward()
    assert close(ys, Y.detach().numpy(), rtol)
    for a, b in zip(final, fin):
        assert close(a, b[0].detach().numpy(), rtol)
    assert close(dxs, X.grad.numpy(), rtol)
    for a, b in zip(dstate0, S0):
        assert close(a, b.grad[0].numpy(), rtol)
    for n, k in enumerate("ifgo"):
        rows = slice(n * H, (n + 1) * H)
        assert close(dparams[f"W_{k}"], m.weight_hh_l0.grad[rows].numpy(), rtol), k
        assert close(dparams[f"U_{k}"], m.weight_ih_l0.grad[rows].numpy(), rtol), k
        assert close(dparams[f"b_{k}"], m.bias_ih_l0.grad[rows].numpy(), rtol), k
    assert close(dparams["P_h"], m.weight_hr_l0.grad.numpy(), rtol)
