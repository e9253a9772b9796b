"""max, min and logsigmoid: values and gradients as torch.maximum, torch.minimum and
F.logsigmoid give them, ties included (torch splits a tie's gradient evenly)."""
import numba
import numpy as np
import pytest
import torch

import cellgen
from cellgen.runtime import activations
from reference import mv, unroll

TIES = """
cell ties
input x
state h
a = U @ x
h' = 2 * max(a, h) + min(a, h) + logsigmoid(a - h)
"""


def ties_step(p, x, h):
    a = mv(p["U"], x)
    h2 = 2 * torch.maximum(a, h) + torch.minimum(a, h) + torch.nn.functional.logsigmoid(a - h)
    return (h2,), h2


def test_ties_split_the_gradient_as_torch_does(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "ties.cell"
    spec.write_text(TIES)
    m = cellgen.load(spec)
    rng = np.random.default_rng(0)
    T, B, I, H = 3, 2, 4, 5
    # small integers: U @ x is exact in any order of summation, so the ties are exact
    p = {"U": rng.integers(-3, 4, (H, I)).astype(np.float64)}
    xs = rng.integers(-3, 4, (T, B, I)).astype(np.float64)
    state0 = (xs[0] @ p["U"].T,)  # a == h at every unit of the first step
    state0[0][:, :2] += np.array([0.5, -0.5])  # and ahead, behind at two of them
    dys, dfinal = rng.standard_normal((T, B, H)), (rng.standard_normal((B, H)),)
    ys, final, tape = m.forward(p, xs, state0)
    dparams, dxs, dstate0 = m.backward(p, tape, dys, dfinal)
    ref = unroll(ties_step, p, xs, state0, dys, dfinal)
    assert np.allclose(ys, ref[0], rtol=1e-13, atol=1e-13)
    assert np.allclose(dparams["U"], ref[2]["U"], rtol=1e-12, atol=1e-12)
    assert np.allclose(dxs, ref[3], rtol=1e-12, atol=1e-12)
    assert np.allclose(dstate0[0], ref[4][0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_runtime_functions_as_torch(dtype):
    z = np.array([-800, -30, -1, -0.0, 0, 1e-8, 2, 40, 900, np.nan], dtype)
    t = torch.from_numpy(z)
    got = np.array([activations.logsigmoid(v) for v in z], dtype)
    assert np.allclose(got, torch.nn.functional.logsigmoid(t).numpy(), rtol=1e-6, atol=0, equal_nan=True)
    # no promotion to float64 in float32 kernels
    for name in ("logsigmoid", "tie_step", "relu", "step", "softplus", "exp", "log"):
        f = getattr(activations, name)
        jitted = numba.njit(lambda v: f(v))  # as a kernel calls it
        jitted(dtype(1))
        assert all(sig.return_type == sig.args[0] for sig in jitted.nopython_signatures), name
    for a, b in [(1, 2), (2, 1), (3, 3), (np.nan, 1), (1, np.nan)]:
        a, b = dtype(a), dtype(b)
        for ours, theirs in ((activations.maximum, torch.maximum), (activations.minimum, torch.minimum)):
            expected = theirs(torch.tensor(a), torch.tensor(b)).item()
            assert ours(a, b) == expected or (np.isnan(ours(a, b)) and np.isnan(expected))
    assert [activations.tie_step(dtype(d)) for d in (-1, 0, 2)] == [0, 0.5, 1]


@pytest.mark.parametrize("text,col,message", [
    ("h' = max(h)", 6, "'max' takes 2 arguments, not 1"),
    ("h' = min(h, h, h)", 6, "'min' takes 2 arguments, not 3"),
    ("h' = logsigmoid(h, h)", 6, "'logsigmoid' takes one argument, not 2"),
    ("h' = max(h, x)", 6, "'max' mixes an input-sized value with a hidden-sized one"),
    ("h' = h * mean(x)", 10, "'mean' averages over the hidden units of a batch row; its argument is an input-sized"),
    ("h' = h + layernorm(2)", 10, "'layernorm' averages over the hidden units of a batch row; its argument is a "
                                  "constant"),
    ("h' = mean(h, h)", 6, "'mean' takes one argument, not 2"),
    ("h' = tanh(W @ mean(x))", 15, "'mean' averages over the hidden units"),
])
def test_wrong_calls_are_errors_at_their_column(text, col, message):
    with pytest.raises(cellgen.SpecError) as e:
        cellgen.compile_spec(f"input x\nstate h\n{text}\n", "f.cell")
    assert (e.value.line, e.value.col) == (3, col) and message in str(e.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("H", [1, 7, 16, 37, 128])
def test_row_means_as_numpy(dtype, H):
    from cellgen.runtime.rows import row_means
    a = np.random.default_rng(H).standard_normal((5, 3 * H)).astype(dtype)
    out = np.empty((5, H), dtype)
    out[:] = np.nan
    row_means(a, 1, 4, H, 2 * H, out)  # rows 1..3 of a block of columns, as a stacked product's
    expected = a[1:4, H:2 * H].astype(np.float64).mean(1, keepdims=True)
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-16)  # sums near 0
    np.testing.assert_allclose(out[1:4], np.broadcast_to(expected, (3, H)), **tol)
    assert np.isnan(out[[0, 4]]).all()  # the other rows are not touched
    per_row = np.full(5, np.nan, dtype)
    row_means(a, 0, 5, 0, H, per_row)
    np.testing.assert_allclose(per_row, a[:, :H].astype(np.float64).mean(1), **tol)


def test_layernorm_is_torch_s_layer_norm_and_mean_its_mean(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(tmp_path))
    m = cellgen.load_text("cell lnm\ninput x\nstate h\nh' = layernorm(W @ h + U @ x) + mean(h) * h\n", "lnm.cell")
    rng = np.random.default_rng(0)
    p = {k: v + rng.standard_normal(v.shape) for k, v in m.init_params(3, 6, dtype=np.float64).items()}
    xs, h0 = rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 6))
    ys, _, _ = m.forward(p, xs, (h0,))
    h = torch.tensor(h0)
    for t in range(4):
        pre = h @ torch.tensor(p["W"]).T + torch.tensor(xs[t]) @ torch.tensor(p["U"]).T
        h = torch.nn.functional.layer_norm(pre, (6,)) + h.mean(1, keepdim=True) * h
        np.testing.assert_allclose(ys[t], h.numpy(), rtol=0, atol=1e-13)
