"""The cell language's element-wise functions as the kernels call them.

tanh and sigmoid: float64 calls libm (exact); float32 uses a rational approximation that
LLVM vectorizes (Eigen's fast tanh): max abs error 4e-7 for tanh and 2.5e-7 for sigmoid
over all of float32, tested in tests/test_activations.py. NaN propagates, +-inf give +-1
(tanh) and 1/0 (sigmoid). Numba from the registry has no SVML, so np.tanh on float32 is a
scalar libm call per element; the approximation is what lets a float32 kernel vectorize.
exp and log (and softplus, logsigmoid, built on them): float64 calls libm; float32 uses
Cephes' expf and logf polynomials (range reduction by bits, so they vectorize). Tested
bounds (measured maxima in brackets): exp relative error 2.5e-7 [8.2e-8] for z >= -87.3
(below, results under 2^-126 flush to 0); log error 2.5e-7 [7.5e-8], relative where
|log z| > 1 and absolute elsewhere; softplus and logsigmoid 5e-7 [1.0e-7], the same way.
NaN propagates; exp(inf) = inf, exp(-inf) = 0, log(0) = -inf, log(z < 0) = NaN.
fastmath 'contract' (and no other fast-math flag) lets LLVM fuse a * b + c into one FMA.
"""
from __future__ import annotations

import numba
import numba.core.cgutils
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


@numba.extending.intrinsic
def _float_bits(typingctx, x):
    """The bits of a float32 as an int32 (no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], numba.core.cgutils.ir.IntType(32))
    return numba.types.int32(numba.types.float32), codegen


@numba.extending.intrinsic
def _bits_float(typingctx, i):
    """The float32 whose bits are an int32."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], numba.core.cgutils.ir.FloatType())
    return numba.types.float32(numba.types.int32), codegen


_EXP_HI, _EXP_LO = np.float32(88.72283905206835), np.float32(-87.33654475055310898657)
_LOG2E = np.float32(1.44269504088896341)
_LN2_HI, _LN2_LO = np.float32(0.693359375), np.float32(-2.12194440e-4)


@numba.njit(inline="always", **_JIT)  # LLVM would not inline the chain, nor vectorize it
def exp_f32(z):
    """Cephes expf: z = n ln2 + r, |r| <= ln2 / 2, exp(r) by a degree-6 polynomial, 2^n by bits."""
    x = min(max(z, _EXP_LO), _EXP_HI)
    n = np.floor(x * _LOG2E + np.float32(0.5))
    r = x - n * _LN2_HI - n * _LN2_LO
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    # 2^n as two halves: n runs from -126 to 128, and 2^128 is not a float32
    n1 = np.int32(n) >> np.int32(1)
    n2 = np.int32(n) - n1
    y = (p * r * r + r + np.float32(1.0)) * _bits_float((n1 + np.int32(127)) << np.int32(23)) \
        * _bits_float((n2 + np.int32(127)) << np.int32(23))
    if z != z:
        return z
    if z > _EXP_HI:
        return np.float32(np.inf)
    if z < _EXP_LO:
        return np.float32(0.0)
    return y


_SQRTHF = np.float32(0.707106781186547524)
_MIN_NORMAL = np.float32(1.17549435e-38)


@numba.njit(inline="always", **_JIT)
def log_f32(z):
    """Cephes logf: z = m 2^e with m in [sqrt(1/2), sqrt(2)) by bits, log(m) by a degree-9
    polynomial in m - 1."""
    small = z < _MIN_NORMAL
    x = z * np.float32(8388608.0) if small else z  # denormals: scaled by 2^23 first
    bits = _float_bits(x)
    e = ((bits >> np.int32(23)) & np.int32(255)) - np.int32(126)
    m = _bits_float((bits & np.int32(0x007FFFFF)) | np.int32(0x3F000000))  # in [0.5, 1)
    if small:
        e -= np.int32(23)
    if m < _SQRTHF:
        e -= np.int32(1)
        m = m + m - np.float32(1.0)
    else:
        m = m - np.float32(1.0)
    m2 = m * m
    p = np.float32(7.0376836292e-2)
    p = p * m + np.float32(-1.1514610310e-1)
    p = p * m + np.float32(1.1676998740e-1)
    p = p * m + np.float32(-1.2420140846e-1)
    p = p * m + np.float32(1.4249322787e-1)
    p = p * m + np.float32(-1.6668057665e-1)
    p = p * m + np.float32(2.0000714765e-1)
    p = p * m + np.float32(-2.4999993993e-1)
    p = p * m + np.float32(3.3333331174e-1)
    ef = np.float32(e)
    y = p * m * m2 + ef * _LN2_LO - np.float32(0.5) * m2 + m + ef * _LN2_HI
    if z != z or z == np.float32(np.inf):
        return z
    if z == np.float32(0.0):
        return np.float32(-np.inf)
    if z < np.float32(0.0):
        return np.float32(np.nan)
    return y


@numba.njit(inline="always", **_JIT)
def log1p_f32(u):
    """log(1 + u) for u >= 0 (what softplus and logsigmoid take): log(w) * u / (w - 1) with
    w = 1 + u corrects the rounding of w (Goldberg's trick); u itself where w rounds to 1."""
    w = np.float32(1.0) + u
    d = w - np.float32(1.0)
    return u if d == np.float32(0.0) else log_f32(w) * (u / d)


def exp(z):
    """e^z; in a kernel, float32 takes the vectorizable approximation."""
    return np.exp(z)


def log(z):
    """The natural logarithm; in a kernel, float32 takes the vectorizable approximation."""
    return np.log(z)


@numba.extending.overload(exp, jit_options=_JIT)
def _exp_overload(z):
    if z == numba.types.float32:
        return lambda z: exp_f32(z)
    return lambda z: np.exp(z)


@numba.extending.overload(log, jit_options=_JIT)
def _log_overload(z):
    if z == numba.types.float32:
        return lambda z: log_f32(z)
    return lambda z: np.log(z)


# Zero and one in the narrowest float: `z * _ZERO` keeps z's dtype, where `z * 0` (an int)
# made float32 kernels compute these functions in float64.
_ZERO, _ONE = np.float32(0), np.float32(1)


def softplus(z):
    """log(1 + e^z), without overflow; in a kernel, float32 takes exp_f32 and log1p_f32."""
    return max(z, 0.0) + np.log1p(np.exp(-abs(z)))


def logsigmoid(z):
    """log(sigmoid(z)), without overflow; in a kernel, float32 as softplus."""
    return min(z, 0.0) - np.log1p(np.exp(-abs(z)))


# Written out per dtype, and inlined in Numba's IR: as calls, softplus -> log1p -> log
# measured 12x slower than the same code inline in the loop (LLVM left the chain as calls,
# and the loop scalar).
@numba.njit(inline="always", **_JIT)
def softplus_f32(z):
    return max(z, _ZERO) + log1p_f32(exp_f32(-abs(z)))


@numba.njit(inline="always", **_JIT)
def logsigmoid_f32(z):
    return min(z, _ZERO) - log1p_f32(exp_f32(-abs(z)))


@numba.extending.overload(softplus, jit_options=_JIT, inline="always")
def _softplus_overload(z):
    if z == numba.types.float32:
        return lambda z: softplus_f32(z)
    return lambda z: max(z, z * _ZERO) + np.log1p(np.exp(-abs(z)))


@numba.extending.overload(logsigmoid, jit_options=_JIT, inline="always")
def _logsigmoid_overload(z):
    if z == numba.types.float32:
        return lambda z: logsigmoid_f32(z)
    return lambda z: min(z, z * _ZERO) - np.log1p(np.exp(-abs(z)))


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
