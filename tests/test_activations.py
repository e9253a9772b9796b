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


EXP_REL_BOUND, LOG_BOUND = 2.5e-7, 2.5e-7


def test_exp_float32_bound(grid):
    x = np.concatenate([np.linspace(-87.3, 88.7, 600_001, dtype=np.float32), grid[np.abs(grid) < 87]])
    exact = np.exp(x.astype(np.float64))
    assert (np.abs(apply("exp", x) - exact) / exact).max() <= EXP_REL_BOUND
    edges = np.float32([np.nan, np.inf, -np.inf, 89.0, -88.0, -1e4, 0.0, -0.0])
    out = apply("exp", edges)
    assert np.isnan(out[0]) and list(out[1:]) == [np.inf, 0, np.inf, 0, 0, 1, 1]


def test_log_float32_bound():
    x = np.concatenate([np.geomspace(1e-44, 3e38, 400_001), np.linspace(0.5, 2, 200_001)]).astype(np.float32)
    x = x[x > 0]
    exact = np.log(x.astype(np.float64))
    err = np.abs(apply("log", x) - exact) / np.maximum(np.abs(exact), 1.0)
    assert err.max() <= LOG_BOUND, err.max()
    out = apply("log", np.float32([np.nan, np.inf, 0.0, -1.0, 1.0]))
    assert np.isnan(out[0]) and out[1] == np.inf and out[2] == -np.inf and np.isnan(out[3]) and out[4] == 0


@pytest.mark.parametrize("name,exact", [("softplus", lambda z: np.logaddexp(0, z)),
                                        ("logsigmoid", lambda z: -np.logaddexp(0, -z))])
def test_softplus_and_logsigmoid_float32_bound(grid, name, exact):
    x = np.concatenate([np.linspace(-100, 100, 400_001, dtype=np.float32), np.float32([1e-30, -1e-30, 1e4, -1e4])])
    want = exact(x.astype(np.float64))
    err = np.abs(apply(name, x) - want) / np.maximum(np.abs(want), 1.0)
    assert err.max() <= 2 * LOG_BOUND, err.max()


def test_exp_and_log_float64_are_libm():
    """float64 calls libm: numpy's own exp and log to one ulp."""
    x = np.linspace(-700, 700, 100_001)
    assert np.max(np.abs(apply("exp", x) / np.exp(x) - 1)) <= 2.3e-16
    y = np.geomspace(1e-300, 1e300, 100_001)
    assert np.max(np.abs(apply("log", y) - np.log(y)) / np.maximum(np.abs(np.log(y)), 1)) <= 2.3e-16
