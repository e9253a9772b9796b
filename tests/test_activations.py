"""The float32 fast tanh/sigmoid of cellgen.runtime.activations: stated error bounds,
checked over the whole float32 range."""
import numba
import numpy as np
import pytest

from cellgen.runtime import activations

TANH_BOUND, SIGMOID_BOUND = 4e-7, 2.5e-7


@pytest.fixture(scope="module")
def grid():
    x = np.linspace(-30, 30, 600_001, dtype=np.float32)
    special = np.float32([0.0, -0.0, 1e-30, -1e-30, 1e-8, 7.9, -7.9, 88.0, -88.0, 1e4, -1e4, 3e38, -3e38])
    return np.concatenate([x, special])


def apply(fn_name, x):
    """Run the runtime's function inside a jitted loop, as a kernel calls it."""
    helper = getattr(activations, fn_name)

    @numba.njit
    def run(a, out):
        for j in range(a.shape[0]):
            out[j] = helper(a[j])
    out = np.empty_like(x)
    run(x, out)
    return out


def test_tanh_float32_bound(grid):
    err = np.abs(apply("tanh", grid).astype(np.float64) - np.tanh(grid.astype(np.float64)))
    assert err.max() <= TANH_BOUND, err.max()


def test_sigmoid_float32_bound(grid):
    with np.errstate(over="ignore"):
        exact = 1 / (1 + np.exp(-grid.astype(np.float64)))
    err = np.abs(apply("sigmoid", grid).astype(np.float64) - exact)
    assert err.max() <= SIGMOID_BOUND, err.max()


def test_float64_is_exact(grid):
    """float64 calls libm: equal to numpy's own tanh to the last bit or one ulp."""
    x = grid.astype(np.float64)
    assert np.max(np.abs(apply("tanh", x) - np.tanh(x))) <= 2.3e-16
    with np.errstate(over="ignore"):
        exact = 1 / (1 + np.exp(-x))
    assert np.max(np.abs(apply("sigmoid", x) - exact)) <= 2.3e-16


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_inf_propagate(dtype):
    x = np.array([np.nan, np.inf, -np.inf], dtype)
    t, s = apply("tanh", x), apply("sigmoid", x)
    assert np.isnan(t[0]) and np.isnan(s[0])
    assert list(t[1:]) == [1, -1] and list(s[1:]) == [1, 0]
