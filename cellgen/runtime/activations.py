"""The cell language's element-wise functions as the kernels call them.

tanh and sigmoid: float64 calls libm (exact); float32 uses a rational approximation that
LLVM vectorizes (Eigen's fast tanh): max abs error 4e-7 for tanh and 2.5e-7 for sigmoid
over all of float32, tested in tests/test_activations.py. NaN propagates, +-inf give +-1
(tanh) and 1/0 (sigmoid). Numba from the registry has no SVML, so np.tanh on float32 is a
scalar libm call per element; the approximation is what lets a float32 kernel vectorize.
fastmath 'contract' (and no other fast-math flag) lets LLVM fuse a * b + c into one FMA.
"""
from __future__ import annotations

import numba
import numba.extending
import numpy as np

from . import cache  # noqa: F401  (read-only caches: before any jitted function)

_JIT = {"error_model": "numpy", "fastmath": {"contract"}}
_CLAMP = np.float32(7.90531110763549805)  # past it, tanh rounds to +-1 in float32


def tanh(z):
    """Hyperbolic tangent; in a kernel, float32 takes the vectorizable approximation."""
    return np.tanh(z)


def sigmoid(z):
    """1 / (1 + exp(-z)); in a kernel, float32 takes 0.5 * tanh(0.5 z) + 0.5."""
    return 1 / (1 + np.exp(-z))


@numba.njit(cache=True, **_JIT)
def tanh_f32(z):
    x = min(max(z, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    y = x * p / q
    # Past the clamp tanh is +-1 in float32; the fused polynomial lands 2.4e-7 short of it.
    if z >= _CLAMP:
        return np.float32(1.0)
    if z <= -_CLAMP:
        return np.float32(-1.0)
    return y


@numba.extending.overload(tanh, jit_options=_JIT)
def _tanh_overload(z):
    if z == numba.types.float32:
        return lambda z: tanh_f32(z)
    return lambda z: np.tanh(z)


@numba.extending.overload(sigmoid, jit_options=_JIT)
def _sigmoid_overload(z):
    if z == numba.types.float32:
        return lambda z: np.float32(0.5) * tanh_f32(np.float32(0.5) * z) + np.float32(0.5)

    def exact(z):
        # exp of a non-positive number only: no overflow for any z.
        if z >= 0:
            return 1 / (1 + np.exp(-z))
        e = np.exp(z)
        return e / (1 + e)
    return exact


# Zero and one in the narrowest float: `z * _ZERO` keeps z's dtype, where `z * 0` (an int)
# made float32 kernels compute these functions in float64.
_ZERO, _ONE = np.float32(0), np.float32(1)


@numba.njit(cache=True, error_model="numpy")
def softplus(z):
    return max(z, z * _ZERO) + np.log1p(np.exp(-abs(z)))


@numba.njit(cache=True, error_model="numpy")
def relu(z):
    return z if z > 0 else z * _ZERO


@numba.njit(cache=True, error_model="numpy")
def step(z):
    # relu'(z): 0 at z = 0, as in PyTorch.
    return z * _ZERO + _ONE if z > 0 else z * _ZERO


@numba.njit(cache=True, error_model="numpy")
def pow2(z):
    return z * z


@numba.njit(cache=True, error_model="numpy")
def pow3(z):
    return z * z * z


@numba.njit(cache=True, error_model="numpy")
def logsigmoid(z):
    return min(z, z * _ZERO) - np.log1p(np.exp(-abs(z)))


@numba.njit(cache=True, error_model="numpy")
def maximum(a, b):
    # NaN wins, as in torch.maximum
    if a != a or a >= b:
        return a
    return b


@numba.njit(cache=True, error_model="numpy")
def minimum(a, b):
    if a != a or a <= b:
        return a
    return b


@numba.njit(cache=True, error_model="numpy")
def tie_step(d):
    # the gradient's share of the side that is d ahead: 1, 1/2 at a tie, else 0 (torch's rule)
    one = d * _ZERO + _ONE
    if d > 0:
        return one
    return one / (one + one) if d == 0 else d * _ZERO
