"""lstm_layernorm: a recurrent cell compiled by cellgen 0.1.0 from lstm_layernorm.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h, c are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    mh = (mean(W_i @ h) + mean(W_f @ h) + mean(W_g @ h) + mean(W_o @ h)) / 4
    vh = (mean((W_i @ h - mh) ** 2) + mean((W_f @ h - mh) ** 2) + mean((W_g @ h - mh) ** 2) + mean((W_o @ h - mh) ** 2)) / 4
    sh = sqrt(vh + 0.00001)
    mx = (mean(U_i @ x) + mean(U_f @ x) + mean(U_g @ x) + mean(U_o @ x)) / 4
    vx = (mean((U_i @ x - mx) ** 2) + mean((U_f @ x - mx) ** 2) + mean((U_g @ x - mx) ** 2) + mean((U_o @ x - mx) ** 2)) / 4
    sx = sqrt(vx + 0.00001)
    i = sigmoid(gh_i * (W_i @ h - mh) / sh + gx_i * (U_i @ x - mx) / sx + b_i)
    f = sigmoid(gh_f * (W_f @ h - mh) / sh + gx_f * (U_f @ x - mx) / sx + b_f)
    g = tanh(gh_g * (W_g @ h - mh) / sh + gx_g * (U_g @ x - mx) / sx + b_g)
    o = sigmoid(gh_o * (W_o @ h - mh) / sh + gx_o * (U_o @ x - mx) / sx + b_o)
    c' = f * c + i * g
    h' = o * tanh(gc * layernorm(c') + bc)
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dmean((c' - mean(c'))**2) = -dh'*gc*o*(1 - tanh(bc + gc*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000))**2)*(c' - mean(c'))/(2*(mean((c' - mean(c'))**2) + 1/100000)**(3/2))
    dmean(c') = dA19*(-2*c' + 2*mean(c')) - dh'*gc*o*(1 - tanh(bc + gc*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000))**2)/sqrt(mean((c' - mean(c'))**2) + 1/100000)
    dc' = dA18 + dA19*(2*c' - 2*mean(c')) + dh'*gc*o*(1 - tanh(bc + gc*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000))**2)/sqrt(mean((c' - mean(c'))**2) + 1/100000) + g_c
    do = dh'*tanh(bc + gc*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000))
    dxterm4 = do*o*(1 - o)
    dg = dc'*i
    dxterm3 = dg*(1 - g**2)
    df = c*dc'
    dxterm2 = df*f*(1 - f)
    di = dc'*g
    dxterm1 = di*i*(1 - i)
    dsx = -dxterm1*gx_i*((U_i @ x) - mx)/sx**2 - dxterm2*gx_f*((U_f @ x) - mx)/sx**2 - dxterm3*gx_g*((U_g @ x) - mx)/sx**2 - dxterm4*gx_o*((U_o @ x) - mx)/sx**2
    dvx = dsx/(2*sqrt(vx + 1/100000))
    dmean(((U_o @ x) - mx)**2) = dvx/4
    dmean(((U_g @ x) - mx)**2) = dvx/4
    dmean(((U_f @ x) - mx)**2) = dvx/4
    dmean(((U_i @ x) - mx)**2) = dvx/4
    dmx = dA14*(-2*(U_i @ x) + 2*mx) + dA15*(-2*(U_f @ x) + 2*mx) + dA16*(-2*(U_g @ x) + 2*mx) + dA17*(-2*(U_o @ x) + 2*mx) - dxterm1*gx_i/sx - dxterm2*gx_f/sx - dxterm3*gx_g/sx - dxterm4*gx_o/sx
    dmean(U_o @ x) = dmx/4
    d(U_o @ x) = dA13 + dA17*(2*(U_o @ x) - 2*mx) + dxterm4*gx_o/sx
    dmean(U_g @ x) = dmx/4
    d(U_g @ x) = dA12 + dA16*(2*(U_g @ x) - 2*mx) + dxterm3*gx_g/sx
    dmean(U_f @ x) = dmx/4
    d(U_f @ x) = dA11 + dA15*(2*(U_f @ x) - 2*mx) + dxterm2*gx_f/sx
    dmean(U_i @ x) = dmx/4
    d(U_i @ x) = dA10 + dA14*(2*(U_i @ x) - 2*mx) + dxterm1*gx_i/sx
    dsh = -df*f*gh_f*(1 - f)*((W_f @ h) - mh)/sh**2 - dg*gh_g*(1 - g**2)*((W_g @ h) - mh)/sh**2 - di*gh_i*i*(1 - i)*((W_i @ h) - mh)/sh**2 - do*gh_o*o*(1 - o)*((W_o @ h) - mh)/sh**2
    dvh = dsh/(2*sqrt(vh + 1/100000))
    dmean(((W_o @ h) - mh)**2) = dvh/4
    dmean(((W_g @ h) - mh)**2) = dvh/4
    dmean(((W_f @ h) - mh)**2) = dvh/4
    dmean(((W_i @ h) - mh)**2) = dvh/4
    dmh = dA5*(-2*(W_i @ h) + 2*mh) + dA6*(-2*(W_f @ h) + 2*mh) + dA7*(-2*(W_g @ h) + 2*mh) + dA8*(-2*(W_o @ h) + 2*mh) - df*f*gh_f*(1 - f)/sh - dg*gh_g*(1 - g**2)/sh - di*gh_i*i*(1 - i)/sh - do*gh_o*o*(1 - o)/sh
    dmean(W_o @ h) = dmh/4
    d(W_o @ h) = dA4 + dA8*(2*(W_o @ h) - 2*mh) + do*gh_o*o*(1 - o)/sh
    dmean(W_g @ h) = dmh/4
    d(W_g @ h) = dA3 + dA7*(2*(W_g @ h) - 2*mh) + dg*gh_g*(1 - g**2)/sh
    dmean(W_f @ h) = dmh/4
    d(W_f @ h) = dA2 + dA6*(2*(W_f @ h) - 2*mh) + df*f*gh_f*(1 - f)/sh
    dmean(W_i @ h) = dmh/4
    d(W_i @ h) = dA1 + dA5*(2*(W_i @ h) - 2*mh) + di*gh_i*i*(1 - i)/sh
    dh = dA0
    dc = dc'*f
    dgh_i = di*i*(1 - i)*((W_i @ h) - mh)/sh
    dgx_i = dxterm1*((U_i @ x) - mx)/sx
    db_i = dxterm1
    dgh_f = df*f*(1 - f)*((W_f @ h) - mh)/sh
    dgx_f = dxterm2*((U_f @ x) - mx)/sx
    db_f = dxterm2
    dgh_g = dg*(1 - g**2)*((W_g @ h) - mh)/sh
    dgx_g = dxterm3*((U_g @ x) - mx)/sx
    db_g = dxterm3
    dgh_o = do*o*(1 - o)*((W_o @ h) - mh)/sh
    dgx_o = dxterm4*((U_o @ x) - mx)/sx
    db_o = dxterm4
    dgc = dh'*o*(1 - tanh(bc + gc*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000))**2)*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000)
    dbc = dh'*o*(1 - tanh(bc + gc*(c' - mean(c'))/sqrt(mean((c' - mean(c'))**2) + 1/100000))**2)
    dx += dA9
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    g_c: gradient of the loss w.r.t. c at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_i; W_f; W_g; W_o]^T @ [d(W_i @ h); d(W_f @ h); d(W_g @ h); d(W_o @ h)], one GEMM
    dA1 = the mean over the units of dmean(W_i @ h)
    dA2 = the mean over the units of dmean(W_f @ h)
    dA3 = the mean over the units of dmean(W_g @ h)
    dA4 = the mean over the units of dmean(W_o @ h)
    dA5 = the mean over the units of dmean(((W_i @ h) - mh)**2)
    dA6 = the mean over the units of dmean(((W_f @ h) - mh)**2)
    dA7 = the mean over the units of dmean(((W_g @ h) - mh)**2)
    dA8 = the mean over the units of dmean(((W_o @ h) - mh)**2)
    dA10 = the mean over the units of dmean(U_i @ x)
    dA11 = the mean over the units of dmean(U_f @ x)
    dA12 = the mean over the units of dmean(U_g @ x)
    dA13 = the mean over the units of dmean(U_o @ x)
    dA14 = the mean over the units of dmean(((U_i @ x) - mx)**2)
    dA15 = the mean over the units of dmean(((U_f @ x) - mx)**2)
    dA16 = the mean over the units of dmean(((U_g @ x) - mx)**2)
    dA17 = the mean over the units of dmean(((U_o @ x) - mx)**2)
    dA18 = the mean over the units of dmean(c')
    dA19 = the mean over the units of dmean((c' - mean(c'))**2)
"""
import numba
import numpy as np

import cellgen.runtime as _runtime
from cellgen.runtime import buffers as _buffers, driver as _driver, packed as _packed
from cellgen.runtime.activations import pow2 as _pow2, sigmoid as _sigmoid, tanh as _tanh
from cellgen.runtime.rows import copy_rows as _copy_rows, freeze_rows as _freeze_rows, unowned as _unowned
from cellgen.runtime.rows import row_means as _row_means
from cellgen.runtime.rows import STAGE as _STAGE, staging_row as _staging_row
from cellgen.runtime.rows import STAGE_ROWS as _STAGE_ROWS
from cellgen.runtime.step_products import PANEL as _PANEL, TILE_ROWS as _TILE_ROWS, step_product as _step_product
from cellgen.runtime.table import Array as _Array, Cell as _Cell, Drivers as _Drivers, Product as _Product
from cellgen.runtime.table import RowKernel as _RowKernel, Rows as _Rows, VectorSum as _VectorSum

RUNTIME = "f5be83476c73fab6"  # the cellgen.runtime this module was built against
BUILD = "ecbd2416b6e5bc0c"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "lstm_layernorm"
INPUT = "x"
STATES = ("h", "c", )
OUTPUT = "h"
PARAMS = {
    "W_i": ("hidden", "hidden", ),
    "W_f": ("hidden", "hidden", ),
    "W_g": ("hidden", "hidden", ),
    "W_o": ("hidden", "hidden", ),
    "U_i": ("hidden", "input", ),
    "U_f": ("hidden", "input", ),
    "U_g": ("hidden", "input", ),
    "U_o": ("hidden", "input", ),
    "gh_i": ("hidden", ),
    "gx_i": ("hidden", ),
    "b_i": ("hidden", ),
    "gh_f": ("hidden", ),
    "gx_f": ("hidden", ),
    "b_f": ("hidden", ),
    "gh_g": ("hidden", ),
    "gx_g": ("hidden", ),
    "b_g": ("hidden", ),
    "gh_o": ("hidden", ),
    "gx_o": ("hidden", ),
    "b_o": ("hidden", ),
    "gc": ("hidden", ),
    "bc": ("hidden", ),
}
INIT = {
    "gh_i": 1.0,
    "gh_f": 1.0,
    "gh_g": 1.0,
    "gh_o": 1.0,
    "gx_i": 1.0,
    "gx_f": 1.0,
    "gx_g": 1.0,
    "gx_o": 1.0,
    "gc": 1.0,
    "bc": 0.0,
}
SIZES = ()  # sizes beyond input and hidden
STATE_SIZES = ("hidden", "hidden", )  # each state's size, in STATES order
OUTPUT_SIZE = "hidden"
MASKS = {  # values the caller gives: "step" [T, B, size], "sequence" [B, size]
}

# One name for these bytes under any import name: Numba's cache stores it (see adopt).
__name__ = _runtime.adopt(globals(), BUILD)

# Every number of the equations, read in the data's dtype so float32 stays float32.
_CONSTANTS = (1e-05, 0.25, 0.5, 1.0, 1.5, 2.0, )
_C_1EM05 = 0
_C_0_25 = 1
_C_0_5 = 2
_C_1 = 3
_C_1_5 = 4
_C_2 = 5



# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_level2(_t, _td, _b0, _b1, _H, A__5, A__6, A__7, A__8, M__0, M__1, M__2, M__3, M__4, _L, _k):
    # operands of the level-3 products
    _c_0_25 = _k[_C_0_25]
    A__5 = _unowned(A__5)
    A__6 = _unowned(A__6)
    A__7 = _unowned(A__7)
    A__8 = _unowned(A__8)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    for _b in range(_b0, _b1):
        _A__5_0 = A__5[_b, :_H]
        _A__6_0 = A__6[_b, :_H]
        _A__7_0 = A__7[_b, :_H]
        _A__8_0 = A__8[_b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_t, _b, 3 * _H:4 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__5_0[_j] = 0
                _A__6_0[_j] = 0
                _A__7_0[_j] = 0
                _A__8_0[_j] = 0
            continue
        for _j in range(_H):
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mv__W_o = _M__0_3[_j]
            mean__1 = _M__1_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            _A__5_0[_j] = _pow2(-mh + mv__W_i)
            _A__6_0[_j] = _pow2(-mh + mv__W_f)
            _A__7_0[_j] = _pow2(-mh + mv__W_g)
            _A__8_0[_j] = _pow2(-mh + mv__W_o)


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_level3(_t, _td, _b0, _b1, _H, A__18, K__xterm__1, K__xterm__2, K__xterm__3, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__gh_f, P__gh_g, P__gh_i, S__c, _L, _k):
    # operands of the level-4 products
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    A__18 = _unowned(A__18)
    K__xterm__1 = _unowned(K__xterm__1)
    K__xterm__2 = _unowned(K__xterm__2)
    K__xterm__3 = _unowned(K__xterm__3)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__gh_f = _unowned(P__gh_f)
    P__gh_g = _unowned(P__gh_g)
    P__gh_i = _unowned(P__gh_i)
    S__c = _unowned(S__c)
    for _b in range(_b0, _b1):
        _A__18_0 = A__18[_b, :_H]
        _K__xterm__1_0 = K__xterm__1[_t, _b, :_H]
        _K__xterm__2_0 = K__xterm__2[_t, _b, :_H]
        _K__xterm__3_0 = K__xterm__3[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_0 = S__c[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__18_0[_j] = 0
            continue
        for _j in range(_H):
            xterm__1 = _K__xterm__1_0[_j]
            xterm__2 = _K__xterm__2_0[_j]
            xterm__3 = _K__xterm__3_0[_j]
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mean__1 = _M__1_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            mean__7 = _M__7_0
            mean__8 = _M__8_0
            gh_f = P__gh_f[_j]
            gh_g = P__gh_g[_j]
            gh_i = P__gh_i[_j]
            c = _S__c_0[_j]
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
            sh = np.sqrt(vh + _c_1em05)
            _x0 = _c_1 / sh
            i = _sigmoid(_x0 * gh_i * (-mh + mv__W_i) + xterm__1)
            f = _sigmoid(_x0 * gh_f * (-mh + mv__W_f) + xterm__2)
            g = _tanh(_x0 * gh_g * (-mh + mv__W_g) + xterm__3)
            c__new = c * f + g * i
            _A__18_0[_j] = c__new


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_level4(_t, _td, _b0, _b1, _H, A__19, K__xterm__1, K__xterm__2, K__xterm__3, M__0, M__1, M__18, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__gh_f, P__gh_g, P__gh_i, S__c, _L, _k):
    # operands of the level-5 products
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    A__19 = _unowned(A__19)
    K__xterm__1 = _unowned(K__xterm__1)
    K__xterm__2 = _unowned(K__xterm__2)
    K__xterm__3 = _unowned(K__xterm__3)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__18 = _unowned(M__18)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__gh_f = _unowned(P__gh_f)
    P__gh_g = _unowned(P__gh_g)
    P__gh_i = _unowned(P__gh_i)
    S__c = _unowned(S__c)
    for _b in range(_b0, _b1):
        _A__19_0 = A__19[_b, :_H]
        _K__xterm__1_0 = K__xterm__1[_t, _b, :_H]
        _K__xterm__2_0 = K__xterm__2[_t, _b, :_H]
        _K__xterm__3_0 = K__xterm__3[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__18_0 = M__18[_t, _b]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_0 = S__c[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__19_0[_j] = 0
            continue
        for _j in range(_H):
            xterm__1 = _K__xterm__1_0[_j]
            xterm__2 = _K__xterm__2_0[_j]
            xterm__3 = _K__xterm__3_0[_j]
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mean__1 = _M__1_0
            mean__17 = _M__18_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            mean__7 = _M__7_0
            mean__8 = _M__8_0
            gh_f = P__gh_f[_j]
            gh_g = P__gh_g[_j]
            gh_i = P__gh_i[_j]
            c = _S__c_0[_j]
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
            sh = np.sqrt(vh + _c_1em05)
            _x0 = _c_1 / sh
            i = _sigmoid(_x0 * gh_i * (-mh + mv__W_i) + xterm__1)
            f = _sigmoid(_x0 * gh_f * (-mh + mv__W_f) + xterm__2)
            g = _tanh(_x0 * gh_g * (-mh + mv__W_g) + xterm__3)
            c__new = c * f + g * i
            _A__19_0[_j] = _pow2(c__new - mean__17)


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _forward_step(_t, _td, _b0, _b1, _H, K__f, K__g, K__i, K__o, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, S__h, _L, _k):
    # new states
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    K__f = _unowned(K__f)
    K__g = _unowned(K__g)
    K__i = _unowned(K__i)
    K__o = _unowned(K__o)
    K__xterm__1 = _unowned(K__xterm__1)
    K__xterm__2 = _unowned(K__xterm__2)
    K__xterm__3 = _unowned(K__xterm__3)
    K__xterm__4 = _unowned(K__xterm__4)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__18 = _unowned(M__18)
    M__19 = _unowned(M__19)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__bc = _unowned(P__bc)
    P__gc = _unowned(P__gc)
    P__gh_f = _unowned(P__gh_f)
    P__gh_g = _unowned(P__gh_g)
    P__gh_i = _unowned(P__gh_i)
    P__gh_o = _unowned(P__gh_o)
    S__c = _unowned(S__c)
    S__h = _unowned(S__h)
    for _b in range(_b0, _b1):
        _K__f_0 = K__f[_t, _b, :_H]
        _K__g_0 = K__g[_t, _b, :_H]
        _K__i_0 = K__i[_t, _b, :_H]
        _K__o_0 = K__o[_t, _b, :_H]
        _K__xterm__1_0 = K__xterm__1[_t, _b, :_H]
        _K__xterm__2_0 = K__xterm__2[_t, _b, :_H]
        _K__xterm__3_0 = K__xterm__3[_t, _b, :_H]
        _K__xterm__4_0 = K__xterm__4[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_t, _b, 3 * _H:4 * _H]
        _M__18_0 = M__18[_t, _b]
        _M__19_0 = M__19[_t, _b]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _S__c_next_0[_j] = S__c[_t, _b, _j]
                _K__i_0[_j] = 0
                _K__f_0[_j] = 0
                _K__g_0[_j] = 0
                _K__o_0[_j] = 0
            continue
        for _j in range(_H):
            xterm__1 = _K__xterm__1_0[_j]
            xterm__2 = _K__xterm__2_0[_j]
            xterm__3 = _K__xterm__3_0[_j]
            xterm__4 = _K__xterm__4_0[_j]
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mv__W_o = _M__0_3[_j]
            mean__1 = _M__1_0
            mean__17 = _M__18_0
            mean__18 = _M__19_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            mean__7 = _M__7_0
            mean__8 = _M__8_0
            bc = P__bc[_j]
            gc = P__gc[_j]
            gh_f = P__gh_f[_j]
            gh_g = P__gh_g[_j]
            gh_i = P__gh_i[_j]
            gh_o = P__gh_o[_j]
            c = _S__c_0[_j]
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
            sh = np.sqrt(vh + _c_1em05)
            _x0 = _c_1 / sh
            i = _sigmoid(_x0 * gh_i * (-mh + mv__W_i) + xterm__1)
            f = _sigmoid(_x0 * gh_f * (-mh + mv__W_f) + xterm__2)
            g = _tanh(_x0 * gh_g * (-mh + mv__W_g) + xterm__3)
            o = _sigmoid(_x0 * gh_o * (-mh + mv__W_o) + xterm__4)
            c__new = c * f + g * i
            h__new = o * _tanh(bc + gc * (c__new - mean__17) / np.sqrt(mean__18 + _c_1em05))
            _S__h_next_0[_j] = h__new
            _S__c_next_0[_j] = c__new
            _K__i_0[_j] = i
            _K__f_0[_j] = f
            _K__g_0[_j] = g
            _K__o_0[_j] = o


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _backward_level5(_t, _td, _b0, _b1, _H, G__h, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, S__c, dK__xterm__4, dM__19, dV__bc, dV__gc, dV__gh_o, dy__seq, _L, _k):
    # adjoints from the step's outputs
    _c_0_25 = _k[_C_0_25]
    _c_0_5 = _k[_C_0_5]
    _c_1 = _k[_C_1]
    _c_1_5 = _k[_C_1_5]
    _c_1em05 = _k[_C_1EM05]
    G__h = _unowned(G__h)
    K__o = _unowned(K__o)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__18 = _unowned(M__18)
    M__19 = _unowned(M__19)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__bc = _unowned(P__bc)
    P__gc = _unowned(P__gc)
    S__c = _unowned(S__c)
    dK__xterm__4 = _unowned(dK__xterm__4)
    dM__19 = _unowned(dM__19)
    dV__bc = _unowned(dV__bc)
    dV__gc = _unowned(dV__gc)
    dV__gh_o = _unowned(dV__gh_o)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _K__o_0 = K__o[_t, _b, :_H]
        _M__0_3 = M__0[_t, _b, 3 * _H:4 * _H]
        _M__18_0 = M__18[_t, _b]
        _M__19_0 = M__19[_t, _b]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _dK__xterm__4_0 = dK__xterm__4[_t, _b, :_H]
        _dM__19_0 = dM__19[_b, :_H]
        _dV__bc_0 = dV__bc[_t, _b, :_H]
        _dV__gc_0 = dV__gc[_t, _b, :_H]
        _dV__gh_o_0 = dV__gh_o[_t, _b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__19_0[_j] = 0
                _dK__xterm__4_0[_j] = 0
                _dV__gh_o_0[_j] = 0
                _dV__gc_0[_j] = 0
                _dV__bc_0[_j] = 0
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            o = _K__o_0[_j]
            mv__W_o = _M__0_3[_j]
            mean__1 = _M__1_0
            mean__17 = _M__18_0
            mean__18 = _M__19_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            mean__7 = _M__7_0
            mean__8 = _M__8_0
            bc = P__bc[_j]
            gc = P__gc[_j]
            c__new = _S__c_next_0[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = c__new - mean__17
            _x1 = mean__18 + _c_1em05
            _x2 = _x0 / np.sqrt(_x1)
            _x3 = _tanh(_x2 * gc + bc)
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
            sh = np.sqrt(vh + _c_1em05)
            d__h__new = dy__out + g__h__new
            _x4 = d__h__new * o * (_c_1 - _x3 * _x3)
            d__mean__18 = -(_c_0_5 * _x0 * _x4 * gc / _x1 ** _c_1_5)
            d__o = _x3 * d__h__new
            _x5 = d__o * o * (_c_1 - o)
            d__xterm__4 = _x5
            d__gh_o = _x5 * (-mh + mv__W_o) / sh
            d__gc = _x2 * _x4
            d__bc = _x4
            _dM__19_0[_j] = d__mean__18
            _dK__xterm__4_0[_j] = d__xterm__4
            _dV__gh_o_0[_j] = d__gh_o
            _dV__gc_0[_j] = d__gc
            _dV__bc_0[_j] = d__bc


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level4(_t, _td, _b0, _b1, _H, G__h, K__o, M__18, M__19, P__bc, P__gc, S__c, dA__19, dM__18, dy__seq, _L, _k):
    # adjoints ready after the level-5 GEMMs
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    G__h = _unowned(G__h)
    K__o = _unowned(K__o)
    M__18 = _unowned(M__18)
    M__19 = _unowned(M__19)
    P__bc = _unowned(P__bc)
    P__gc = _unowned(P__gc)
    S__c = _unowned(S__c)
    dA__19 = _unowned(dA__19)
    dM__18 = _unowned(dM__18)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _K__o_0 = K__o[_t, _b, :_H]
        _M__18_0 = M__18[_t, _b]
        _M__19_0 = M__19[_t, _b]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _dA__19_0 = dA__19[_b, :_H]
        _dM__18_0 = dM__18[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__18_0[_j] = 0
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            o = _K__o_0[_j]
            mean__17 = _M__18_0
            mean__18 = _M__19_0
            bc = P__bc[_j]
            gc = P__gc[_j]
            c__new = _S__c_next_0[_j]
            da__19 = _dA__19_0[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = gc / np.sqrt(mean__18 + _c_1em05)
            d__h__new = dy__out + g__h__new
            d__mean__17 = -(_x0 * d__h__new * o * (_c_1 - _pow2(_tanh(_x0 * (c__new - mean__17) + bc)))) + da__19 * (-(_c_2 * c__new) + _c_2 * mean__17)
            _dM__18_0[_j] = d__mean__17


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _backward_level3(_t, _td, _b0, _b1, _H, G__c, G__h, Gn__c, K__f, K__g, K__i, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, dA__18, dA__19, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__5, dR__gh_f, dR__gh_g, dR__gh_i, dy__seq, _L, _k):
    # adjoints ready after the level-4 GEMMs
    _c_0_25 = _k[_C_0_25]
    _c_0_5 = _k[_C_0_5]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    G__c = _unowned(G__c)
    G__h = _unowned(G__h)
    Gn__c = _unowned(Gn__c)
    K__f = _unowned(K__f)
    K__g = _unowned(K__g)
    K__i = _unowned(K__i)
    K__o = _unowned(K__o)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__18 = _unowned(M__18)
    M__19 = _unowned(M__19)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__bc = _unowned(P__bc)
    P__gc = _unowned(P__gc)
    P__gh_f = _unowned(P__gh_f)
    P__gh_g = _unowned(P__gh_g)
    P__gh_i = _unowned(P__gh_i)
    P__gh_o = _unowned(P__gh_o)
    S__c = _unowned(S__c)
    dA__18 = _unowned(dA__18)
    dA__19 = _unowned(dA__19)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dM__5 = _unowned(dM__5)
    dR__gh_f = _unowned(dR__gh_f)
    dR__gh_g = _unowned(dR__gh_g)
    dR__gh_i = _unowned(dR__gh_i)
    dy__seq = _unowned(dy__seq)
    _s0 = _staging_row(dM__5)
    _s1 = _staging_row(Gn__c)
    _s2 = _staging_row(dK__xterm__1)
    _s3 = _staging_row(dK__xterm__2)
    _s4 = _staging_row(dK__xterm__3)
    _s5 = _staging_row(dR__gh_i)
    _s6 = _staging_row(dR__gh_f)
    _s7 = _staging_row(dR__gh_g)
    for _b in range(_b0, _b1):
        _G__c_0 = G__c[_b, :_H]
        _G__h_0 = G__h[_b, :_H]
        _Gn__c_0 = Gn__c[_b, :_H]
        _K__f_0 = K__f[_t, _b, :_H]
        _K__g_0 = K__g[_t, _b, :_H]
        _K__i_0 = K__i[_t, _b, :_H]
        _K__o_0 = K__o[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_t, _b, 3 * _H:4 * _H]
        _M__18_0 = M__18[_t, _b]
        _M__19_0 = M__19[_t, _b]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _dA__18_0 = dA__18[_b, :_H]
        _dA__19_0 = dA__19[_b, :_H]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dM__5_0 = dM__5[_b, :_H]
        _dR__gh_f_0 = dR__gh_f[_b, :_H]
        _dR__gh_g_0 = dR__gh_g[_b, :_H]
        _dR__gh_i_0 = dR__gh_i[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__5_0[_j] = 0
                _Gn__c_0[_j] = G__c[_b, _j]
                _dK__xterm__1_0[_j] = 0
                _dK__xterm__2_0[_j] = 0
                _dK__xterm__3_0[_j] = 0
            continue
        for _j0 in range(0, _H, _STAGE):  # a stage of units: written on the stack, then copied out
            _n = min(_STAGE, _H - _j0)
            _c_G__c_0 = _G__c_0[_j0:_j0 + _n]
            _c_G__h_0 = _G__h_0[_j0:_j0 + _n]
            _c_Gn__c_0 = _Gn__c_0[_j0:_j0 + _n]
            _c_K__f_0 = _K__f_0[_j0:_j0 + _n]
            _c_K__g_0 = _K__g_0[_j0:_j0 + _n]
            _c_K__i_0 = _K__i_0[_j0:_j0 + _n]
            _c_K__o_0 = _K__o_0[_j0:_j0 + _n]
            _c_M__0_0 = _M__0_0[_j0:_j0 + _n]
            _c_M__0_1 = _M__0_1[_j0:_j0 + _n]
            _c_M__0_2 = _M__0_2[_j0:_j0 + _n]
            _c_M__0_3 = _M__0_3[_j0:_j0 + _n]
            _c_P__bc = P__bc[_j0:_j0 + _n]
            _c_P__gc = P__gc[_j0:_j0 + _n]
            _c_P__gh_f = P__gh_f[_j0:_j0 + _n]
            _c_P__gh_g = P__gh_g[_j0:_j0 + _n]
            _c_P__gh_i = P__gh_i[_j0:_j0 + _n]
            _c_P__gh_o = P__gh_o[_j0:_j0 + _n]
            _c_S__c_0 = _S__c_0[_j0:_j0 + _n]
            _c_S__c_next_0 = _S__c_next_0[_j0:_j0 + _n]
            _c_dA__18_0 = _dA__18_0[_j0:_j0 + _n]
            _c_dA__19_0 = _dA__19_0[_j0:_j0 + _n]
            _c_dK__xterm__1_0 = _dK__xterm__1_0[_j0:_j0 + _n]
            _c_dK__xterm__2_0 = _dK__xterm__2_0[_j0:_j0 + _n]
            _c_dK__xterm__3_0 = _dK__xterm__3_0[_j0:_j0 + _n]
            _c_dM__5_0 = _dM__5_0[_j0:_j0 + _n]
            _c_dR__gh_f_0 = _dR__gh_f_0[_j0:_j0 + _n]
            _c_dR__gh_g_0 = _dR__gh_g_0[_j0:_j0 + _n]
            _c_dR__gh_i_0 = _dR__gh_i_0[_j0:_j0 + _n]
            _c_dy__seq_0 = _dy__seq_0[_j0:_j0 + _n]
            for _j in range(_n):
                g__c__new = _c_G__c_0[_j]
                g__h__new = _c_G__h_0[_j]
                f = _c_K__f_0[_j]
                g = _c_K__g_0[_j]
                i = _c_K__i_0[_j]
                o = _c_K__o_0[_j]
                mv__W_i = _c_M__0_0[_j]
                mv__W_f = _c_M__0_1[_j]
                mv__W_g = _c_M__0_2[_j]
                mv__W_o = _c_M__0_3[_j]
                mean__1 = _M__1_0
                mean__17 = _M__18_0
                mean__18 = _M__19_0
                mean__2 = _M__2_0
                mean__3 = _M__3_0
                mean__4 = _M__4_0
                mean__5 = _M__5_0
                mean__6 = _M__6_0
                mean__7 = _M__7_0
                mean__8 = _M__8_0
                bc = _c_P__bc[_j]
                gc = _c_P__gc[_j]
                gh_f = _c_P__gh_f[_j]
                gh_g = _c_P__gh_g[_j]
                gh_i = _c_P__gh_i[_j]
                gh_o = _c_P__gh_o[_j]
                c = _c_S__c_0[_j]
                c__new = _c_S__c_next_0[_j]
                da__18 = _c_dA__18_0[_j]
                da__19 = _c_dA__19_0[_j]
                dy__out = _c_dy__seq_0[_j]
                _x1 = gc / np.sqrt(mean__18 + _c_1em05)
                _x2 = _tanh(_x1 * (c__new - mean__17) + bc)
                mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
                vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
                _x0 = np.sqrt(vh + _c_1em05)
                sh = _x0
                _x6 = _c_1 / (sh * sh)
                _x10 = _c_1 / sh
                d__h__new = dy__out + g__h__new
                d__c__new = _x1 * d__h__new * o * (_c_1 - _x2 * _x2) + da__18 + da__19 * (_c_2 * c__new - _c_2 * mean__17) + g__c__new
                d__o = _x2 * d__h__new
                d__g = d__c__new * i
                _x3 = d__g * (_c_1 - g * g)
                _x9 = _x3 * (-mh + mv__W_g)
                d__xterm__3 = _x3
                d__f = c * d__c__new
                _x4 = d__f * f * (_c_1 - f)
                _x7 = _x4 * (-mh + mv__W_f)
                d__xterm__2 = _x4
                d__i = d__c__new * g
                _x5 = d__i * i * (_c_1 - i)
                _x8 = _x5 * (-mh + mv__W_i)
                d__xterm__1 = _x5
                d__sh = -(_x6 * _x7 * gh_f) - _x6 * _x8 * gh_i - _x6 * _x9 * gh_g - _x6 * d__o * gh_o * o * (_c_1 - o) * (-mh + mv__W_o)
                d__vh = _c_0_5 * d__sh / _x0
                d__mean__5 = _c_0_25 * d__vh
                d__c = d__c__new * f
                d__gh_i = _x10 * _x8
                d__gh_f = _x10 * _x7
                d__gh_g = _x10 * _x9
                _s0[_j] = d__mean__5
                _s1[_j] = d__c
                _s2[_j] = d__xterm__1
                _s3[_j] = d__xterm__2
                _s4[_j] = d__xterm__3
                _s5[_j] = d__gh_i
                _s6[_j] = d__gh_f
                _s7[_j] = d__gh_g
            for _j in range(_n):
                _c_dM__5_0[_j] = _s0[_j]
            for _j in range(_n):
                _c_Gn__c_0[_j] = _s1[_j]
            for _j in range(_n):
                _c_dK__xterm__1_0[_j] = _s2[_j]
            for _j in range(_n):
                _c_dK__xterm__2_0[_j] = _s3[_j]
            for _j in range(_n):
                _c_dK__xterm__3_0[_j] = _s4[_j]
            for _j in range(_n):
                _c_dR__gh_i_0[_j] += _s5[_j]
            for _j in range(_n):
                _c_dR__gh_f_0[_j] += _s6[_j]
            for _j in range(_n):
                _c_dR__gh_g_0[_j] += _s7[_j]


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _backward_level2(_t, _td, _b0, _b1, _H, G__c, G__h, K__f, K__g, K__i, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, dA__18, dA__19, dA__5, dM__1, dy__seq, _L, _k):
    # adjoints ready after the level-3 GEMMs
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    G__c = _unowned(G__c)
    G__h = _unowned(G__h)
    K__f = _unowned(K__f)
    K__g = _unowned(K__g)
    K__i = _unowned(K__i)
    K__o = _unowned(K__o)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__18 = _unowned(M__18)
    M__19 = _unowned(M__19)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__bc = _unowned(P__bc)
    P__gc = _unowned(P__gc)
    P__gh_f = _unowned(P__gh_f)
    P__gh_g = _unowned(P__gh_g)
    P__gh_i = _unowned(P__gh_i)
    P__gh_o = _unowned(P__gh_o)
    S__c = _unowned(S__c)
    dA__18 = _unowned(dA__18)
    dA__19 = _unowned(dA__19)
    dA__5 = _unowned(dA__5)
    dM__1 = _unowned(dM__1)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__c_0 = G__c[_b, :_H]
        _G__h_0 = G__h[_b, :_H]
        _K__f_0 = K__f[_t, _b, :_H]
        _K__g_0 = K__g[_t, _b, :_H]
        _K__i_0 = K__i[_t, _b, :_H]
        _K__o_0 = K__o[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_t, _b, 3 * _H:4 * _H]
        _M__18_0 = M__18[_t, _b]
        _M__19_0 = M__19[_t, _b]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _dA__18_0 = dA__18[_b, :_H]
        _dA__19_0 = dA__19[_b, :_H]
        _dA__5_0 = dA__5[_b, :_H]
        _dM__1_0 = dM__1[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__1_0[_j] = 0
            continue
        for _j in range(_H):
            g__c__new = _G__c_0[_j]
            g__h__new = _G__h_0[_j]
            f = _K__f_0[_j]
            g = _K__g_0[_j]
            i = _K__i_0[_j]
            o = _K__o_0[_j]
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mv__W_o = _M__0_3[_j]
            mean__1 = _M__1_0
            mean__17 = _M__18_0
            mean__18 = _M__19_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            mean__7 = _M__7_0
            mean__8 = _M__8_0
            bc = P__bc[_j]
            gc = P__gc[_j]
            gh_f = P__gh_f[_j]
            gh_g = P__gh_g[_j]
            gh_i = P__gh_i[_j]
            gh_o = P__gh_o[_j]
            c = _S__c_0[_j]
            c__new = _S__c_next_0[_j]
            da__18 = _dA__18_0[_j]
            da__19 = _dA__19_0[_j]
            da__5 = _dA__5_0[_j]
            da__6 = _dA__5_0[_j]
            da__7 = _dA__5_0[_j]
            da__8 = _dA__5_0[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = gc / np.sqrt(mean__18 + _c_1em05)
            _x1 = _tanh(_x0 * (c__new - mean__17) + bc)
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            _x2 = _c_2 * mh
            vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
            sh = np.sqrt(vh + _c_1em05)
            _x3 = _c_1 / sh
            d__h__new = dy__out + g__h__new
            d__c__new = _x0 * d__h__new * o * (_c_1 - _x1 * _x1) + da__18 + da__19 * (_c_2 * c__new - _c_2 * mean__17) + g__c__new
            d__o = _x1 * d__h__new
            d__g = d__c__new * i
            d__f = c * d__c__new
            d__i = d__c__new * g
            d__mh = -(_x3 * d__f * f * gh_f * (_c_1 - f)) - _x3 * d__g * gh_g * (_c_1 - g * g) - _x3 * d__i * gh_i * i * (_c_1 - i) - _x3 * d__o * gh_o * o * (_c_1 - o) + da__5 * (_x2 - _c_2 * mv__W_i) + da__6 * (_x2 - _c_2 * mv__W_f) + da__7 * (_x2 - _c_2 * mv__W_g) + da__8 * (_x2 - _c_2 * mv__W_o)
            d__mean__1 = _c_0_25 * d__mh
            _dM__1_0[_j] = d__mean__1


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _backward_level1(_t, _td, _b0, _b1, _H, G__c, G__h, K__f, K__g, K__i, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, dA__1, dA__18, dA__19, dA__5, dM__0, dy__seq, _L, _k):
    # adjoints ready after the level-2 GEMMs
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    G__c = _unowned(G__c)
    G__h = _unowned(G__h)
    K__f = _unowned(K__f)
    K__g = _unowned(K__g)
    K__i = _unowned(K__i)
    K__o = _unowned(K__o)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__18 = _unowned(M__18)
    M__19 = _unowned(M__19)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    M__7 = _unowned(M__7)
    M__8 = _unowned(M__8)
    P__bc = _unowned(P__bc)
    P__gc = _unowned(P__gc)
    P__gh_f = _unowned(P__gh_f)
    P__gh_g = _unowned(P__gh_g)
    P__gh_i = _unowned(P__gh_i)
    P__gh_o = _unowned(P__gh_o)
    S__c = _unowned(S__c)
    dA__1 = _unowned(dA__1)
    dA__18 = _unowned(dA__18)
    dA__19 = _unowned(dA__19)
    dA__5 = _unowned(dA__5)
    dM__0 = _unowned(dM__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__c_0 = G__c[_b, :_H]
        _G__h_0 = G__h[_b, :_H]
        _K__f_0 = K__f[_t, _b, :_H]
        _K__g_0 = K__g[_t, _b, :_H]
        _K__i_0 = K__i[_t, _b, :_H]
        _K__o_0 = K__o[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_t, _b, 3 * _H:4 * _H]
        _M__18_0 = M__18[_t, _b]
        _M__19_0 = M__19[_t, _b]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _M__7_0 = M__7[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _dA__18_0 = dA__18[_b, :_H]
        _dA__19_0 = dA__19[_b, :_H]
        _dA__1_0 = dA__1[_b, :_H]
        _dA__5_0 = dA__5[_b, :_H]
        _dM__0_0 = dM__0[_t, _b, :_H]
        _dM__0_1 = dM__0[_t, _b, _H:2 * _H]
        _dM__0_2 = dM__0[_t, _b, 2 * _H:3 * _H]
        _dM__0_3 = dM__0[_t, _b, 3 * _H:4 * _H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__0_0[_j] = 0
                _dM__0_1[_j] = 0
                _dM__0_2[_j] = 0
                _dM__0_3[_j] = 0
            continue
        for _j in range(_H):
            g__c__new = _G__c_0[_j]
            g__h__new = _G__h_0[_j]
            f = _K__f_0[_j]
            g = _K__g_0[_j]
            i = _K__i_0[_j]
            o = _K__o_0[_j]
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mv__W_o = _M__0_3[_j]
            mean__1 = _M__1_0
            mean__17 = _M__18_0
            mean__18 = _M__19_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            mean__7 = _M__7_0
            mean__8 = _M__8_0
            bc = P__bc[_j]
            gc = P__gc[_j]
            gh_f = P__gh_f[_j]
            gh_g = P__gh_g[_j]
            gh_i = P__gh_i[_j]
            gh_o = P__gh_o[_j]
            c = _S__c_0[_j]
            c__new = _S__c_next_0[_j]
            da__1 = _dA__1_0[_j]
            da__2 = _dA__1_0[_j]
            da__3 = _dA__1_0[_j]
            da__4 = _dA__1_0[_j]
            da__18 = _dA__18_0[_j]
            da__19 = _dA__19_0[_j]
            da__5 = _dA__5_0[_j]
            da__6 = _dA__5_0[_j]
            da__7 = _dA__5_0[_j]
            da__8 = _dA__5_0[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = gc / np.sqrt(mean__18 + _c_1em05)
            _x1 = _tanh(_x0 * (c__new - mean__17) + bc)
            mh = _c_0_25 * mean__1 + _c_0_25 * mean__2 + _c_0_25 * mean__3 + _c_0_25 * mean__4
            _x2 = _c_2 * mh
            vh = _c_0_25 * mean__5 + _c_0_25 * mean__6 + _c_0_25 * mean__7 + _c_0_25 * mean__8
            sh = np.sqrt(vh + _c_1em05)
            _x3 = _c_1 / sh
            d__h__new = dy__out + g__h__new
            d__c__new = _x0 * d__h__new * o * (_c_1 - _x1 * _x1) + da__18 + da__19 * (_c_2 * c__new - _c_2 * mean__17) + g__c__new
            d__o = _x1 * d__h__new
            d__g = d__c__new * i
            d__f = c * d__c__new
            d__i = d__c__new * g
            d__mv__W_o = _x3 * d__o * gh_o * o * (_c_1 - o) + da__4 + da__8 * (-_x2 + _c_2 * mv__W_o)
            d__mv__W_g = _x3 * d__g * gh_g * (_c_1 - g * g) + da__3 + da__7 * (-_x2 + _c_2 * mv__W_g)
            d__mv__W_f = _x3 * d__f * f * gh_f * (_c_1 - f) + da__2 + da__6 * (-_x2 + _c_2 * mv__W_f)
            d__mv__W_i = _x3 * d__i * gh_i * i * (_c_1 - i) + da__1 + da__5 * (-_x2 + _c_2 * mv__W_i)
            _dM__0_0[_j] = d__mv__W_i
            _dM__0_1[_j] = d__mv__W_f
            _dM__0_2[_j] = d__mv__W_g
            _dM__0_3[_j] = d__mv__W_o


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_level1(_t, _td, _b0, _b1, _H, A__14, A__15, A__16, A__17, M__10, M__11, M__12, M__13, X__9, _L, _k):
    # operands of the input's level-2 means
    _c_0_25 = _k[_C_0_25]
    A__14 = _unowned(A__14)
    A__15 = _unowned(A__15)
    A__16 = _unowned(A__16)
    A__17 = _unowned(A__17)
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    X__9 = _unowned(X__9)
    for _b in range(_b0, _b1):
        _A__14_0 = A__14[_t, _b, :_H]
        _A__15_0 = A__15[_t, _b, :_H]
        _A__16_0 = A__16[_t, _b, :_H]
        _A__17_0 = A__17[_t, _b, :_H]
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _X__9_0 = X__9[_t, _b, :_H]
        _X__9_1 = X__9[_t, _b, _H:2 * _H]
        _X__9_2 = X__9[_t, _b, 2 * _H:3 * _H]
        _X__9_3 = X__9[_t, _b, 3 * _H:4 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__14_0[_j] = 0
                _A__15_0[_j] = 0
                _A__16_0[_j] = 0
                _A__17_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mv__U_i = _X__9_0[_j]
            mv__U_f = _X__9_1[_j]
            mv__U_g = _X__9_2[_j]
            mv__U_o = _X__9_3[_j]
            mx = _c_0_25 * mean__10 + _c_0_25 * mean__11 + _c_0_25 * mean__12 + _c_0_25 * mean__9
            _x0 = -mx
            _A__14_0[_j] = _pow2(_x0 + mv__U_i)
            _A__15_0[_j] = _pow2(_x0 + mv__U_f)
            _A__16_0[_j] = _pow2(_x0 + mv__U_g)
            _A__17_0[_j] = _pow2(_x0 + mv__U_o)


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_terms(_t, _td, _b0, _b1, _H, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__b_f, P__b_g, P__b_i, P__b_o, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, _L, _k):
    # the input's terms of every step, for the recurrence
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    K__xterm__1 = _unowned(K__xterm__1)
    K__xterm__2 = _unowned(K__xterm__2)
    K__xterm__3 = _unowned(K__xterm__3)
    K__xterm__4 = _unowned(K__xterm__4)
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__14 = _unowned(M__14)
    M__15 = _unowned(M__15)
    M__16 = _unowned(M__16)
    M__17 = _unowned(M__17)
    P__b_f = _unowned(P__b_f)
    P__b_g = _unowned(P__b_g)
    P__b_i = _unowned(P__b_i)
    P__b_o = _unowned(P__b_o)
    P__gx_f = _unowned(P__gx_f)
    P__gx_g = _unowned(P__gx_g)
    P__gx_i = _unowned(P__gx_i)
    P__gx_o = _unowned(P__gx_o)
    X__9 = _unowned(X__9)
    for _b in range(_b0, _b1):
        _K__xterm__1_0 = K__xterm__1[_t, _b, :_H]
        _K__xterm__2_0 = K__xterm__2[_t, _b, :_H]
        _K__xterm__3_0 = K__xterm__3[_t, _b, :_H]
        _K__xterm__4_0 = K__xterm__4[_t, _b, :_H]
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__14_0 = M__14[_t, _b]
        _M__15_0 = M__15[_t, _b]
        _M__16_0 = M__16[_t, _b]
        _M__17_0 = M__17[_t, _b]
        _X__9_0 = X__9[_t, _b, :_H]
        _X__9_1 = X__9[_t, _b, _H:2 * _H]
        _X__9_2 = X__9[_t, _b, 2 * _H:3 * _H]
        _X__9_3 = X__9[_t, _b, 3 * _H:4 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _K__xterm__1_0[_j] = 0
                _K__xterm__2_0[_j] = 0
                _K__xterm__3_0[_j] = 0
                _K__xterm__4_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__13 = _M__14_0
            mean__14 = _M__15_0
            mean__15 = _M__16_0
            mean__16 = _M__17_0
            b_f = P__b_f[_j]
            b_g = P__b_g[_j]
            b_i = P__b_i[_j]
            b_o = P__b_o[_j]
            gx_f = P__gx_f[_j]
            gx_g = P__gx_g[_j]
            gx_i = P__gx_i[_j]
            gx_o = P__gx_o[_j]
            mv__U_i = _X__9_0[_j]
            mv__U_f = _X__9_1[_j]
            mv__U_g = _X__9_2[_j]
            mv__U_o = _X__9_3[_j]
            mx = _c_0_25 * mean__10 + _c_0_25 * mean__11 + _c_0_25 * mean__12 + _c_0_25 * mean__9
            _x1 = -mx
            vx = _c_0_25 * mean__13 + _c_0_25 * mean__14 + _c_0_25 * mean__15 + _c_0_25 * mean__16
            sx = np.sqrt(vx + _c_1em05)
            _x0 = _c_1 / sx
            xterm__1 = _x0 * gx_i * (_x1 + mv__U_i) + b_i
            xterm__2 = _x0 * gx_f * (_x1 + mv__U_f) + b_f
            xterm__3 = _x0 * gx_g * (_x1 + mv__U_g) + b_g
            xterm__4 = _x0 * gx_o * (_x1 + mv__U_o) + b_o
            _K__xterm__1_0[_j] = xterm__1
            _K__xterm__2_0[_j] = xterm__2
            _K__xterm__3_0[_j] = xterm__3
            _K__xterm__4_0[_j] = xterm__4


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _input_backward_level2(_t, _td, _b0, _b1, _H, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dM__14, dV__gx_f, dV__gx_g, dV__gx_i, dV__gx_o, _L, _k):
    # adjoints of the input's level-2 means
    _c_0_25 = _k[_C_0_25]
    _c_0_5 = _k[_C_0_5]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__14 = _unowned(M__14)
    M__15 = _unowned(M__15)
    M__16 = _unowned(M__16)
    M__17 = _unowned(M__17)
    P__gx_f = _unowned(P__gx_f)
    P__gx_g = _unowned(P__gx_g)
    P__gx_i = _unowned(P__gx_i)
    P__gx_o = _unowned(P__gx_o)
    X__9 = _unowned(X__9)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dK__xterm__4 = _unowned(dK__xterm__4)
    dM__14 = _unowned(dM__14)
    dV__gx_f = _unowned(dV__gx_f)
    dV__gx_g = _unowned(dV__gx_g)
    dV__gx_i = _unowned(dV__gx_i)
    dV__gx_o = _unowned(dV__gx_o)
    for _b in range(_b0, _b1):
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__14_0 = M__14[_t, _b]
        _M__15_0 = M__15[_t, _b]
        _M__16_0 = M__16[_t, _b]
        _M__17_0 = M__17[_t, _b]
        _X__9_0 = X__9[_t, _b, :_H]
        _X__9_1 = X__9[_t, _b, _H:2 * _H]
        _X__9_2 = X__9[_t, _b, 2 * _H:3 * _H]
        _X__9_3 = X__9[_t, _b, 3 * _H:4 * _H]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dK__xterm__4_0 = dK__xterm__4[_t, _b, :_H]
        _dM__14_0 = dM__14[_t, _b, :_H]
        _dV__gx_f_0 = dV__gx_f[_t, _b, :_H]
        _dV__gx_g_0 = dV__gx_g[_t, _b, :_H]
        _dV__gx_i_0 = dV__gx_i[_t, _b, :_H]
        _dV__gx_o_0 = dV__gx_o[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__14_0[_j] = 0
                _dV__gx_i_0[_j] = 0
                _dV__gx_f_0[_j] = 0
                _dV__gx_g_0[_j] = 0
                _dV__gx_o_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__13 = _M__14_0
            mean__14 = _M__15_0
            mean__15 = _M__16_0
            mean__16 = _M__17_0
            gx_f = P__gx_f[_j]
            gx_g = P__gx_g[_j]
            gx_i = P__gx_i[_j]
            gx_o = P__gx_o[_j]
            mv__U_i = _X__9_0[_j]
            mv__U_f = _X__9_1[_j]
            mv__U_g = _X__9_2[_j]
            mv__U_o = _X__9_3[_j]
            d__xterm__1 = _dK__xterm__1_0[_j]
            d__xterm__2 = _dK__xterm__2_0[_j]
            d__xterm__3 = _dK__xterm__3_0[_j]
            d__xterm__4 = _dK__xterm__4_0[_j]
            mx = _c_0_25 * mean__10 + _c_0_25 * mean__11 + _c_0_25 * mean__12 + _c_0_25 * mean__9
            _x2 = -mx
            _x3 = d__xterm__1 * (_x2 + mv__U_i)
            _x4 = d__xterm__2 * (_x2 + mv__U_f)
            _x5 = d__xterm__3 * (_x2 + mv__U_g)
            _x6 = d__xterm__4 * (_x2 + mv__U_o)
            vx = _c_0_25 * mean__13 + _c_0_25 * mean__14 + _c_0_25 * mean__15 + _c_0_25 * mean__16
            _x0 = np.sqrt(vx + _c_1em05)
            sx = _x0
            _x1 = _c_1 / (sx * sx)
            _x7 = _c_1 / sx
            d__sx = -(_x1 * _x3 * gx_i) - _x1 * _x4 * gx_f - _x1 * _x5 * gx_g - _x1 * _x6 * gx_o
            d__vx = _c_0_5 * d__sx / _x0
            d__mean__13 = _c_0_25 * d__vx
            d__gx_i = _x3 * _x7
            d__gx_f = _x4 * _x7
            d__gx_g = _x5 * _x7
            d__gx_o = _x6 * _x7
            _dM__14_0[_j] = d__mean__13
            _dV__gx_i_0[_j] = d__gx_i
            _dV__gx_f_0[_j] = d__gx_f
            _dV__gx_g_0[_j] = d__gx_g
            _dV__gx_o_0[_j] = d__gx_o


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_backward_level1(_t, _td, _b0, _b1, _H, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, dA__14, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dM__10, _L, _k):
    # adjoints of the input's level-1 means
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__14 = _unowned(M__14)
    M__15 = _unowned(M__15)
    M__16 = _unowned(M__16)
    M__17 = _unowned(M__17)
    P__gx_f = _unowned(P__gx_f)
    P__gx_g = _unowned(P__gx_g)
    P__gx_i = _unowned(P__gx_i)
    P__gx_o = _unowned(P__gx_o)
    X__9 = _unowned(X__9)
    dA__14 = _unowned(dA__14)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dK__xterm__4 = _unowned(dK__xterm__4)
    dM__10 = _unowned(dM__10)
    for _b in range(_b0, _b1):
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__14_0 = M__14[_t, _b]
        _M__15_0 = M__15[_t, _b]
        _M__16_0 = M__16[_t, _b]
        _M__17_0 = M__17[_t, _b]
        _X__9_0 = X__9[_t, _b, :_H]
        _X__9_1 = X__9[_t, _b, _H:2 * _H]
        _X__9_2 = X__9[_t, _b, 2 * _H:3 * _H]
        _X__9_3 = X__9[_t, _b, 3 * _H:4 * _H]
        _dA__14_0 = dA__14[_t, _b]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dK__xterm__4_0 = dK__xterm__4[_t, _b, :_H]
        _dM__10_0 = dM__10[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__10_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__13 = _M__14_0
            mean__14 = _M__15_0
            mean__15 = _M__16_0
            mean__16 = _M__17_0
            gx_f = P__gx_f[_j]
            gx_g = P__gx_g[_j]
            gx_i = P__gx_i[_j]
            gx_o = P__gx_o[_j]
            mv__U_i = _X__9_0[_j]
            mv__U_f = _X__9_1[_j]
            mv__U_g = _X__9_2[_j]
            mv__U_o = _X__9_3[_j]
            da__14 = _dA__14_0
            da__15 = _dA__14_0
            da__16 = _dA__14_0
            da__17 = _dA__14_0
            d__xterm__1 = _dK__xterm__1_0[_j]
            d__xterm__2 = _dK__xterm__2_0[_j]
            d__xterm__3 = _dK__xterm__3_0[_j]
            d__xterm__4 = _dK__xterm__4_0[_j]
            mx = _c_0_25 * mean__10 + _c_0_25 * mean__11 + _c_0_25 * mean__12 + _c_0_25 * mean__9
            _x1 = -(_c_2 * mx)
            vx = _c_0_25 * mean__13 + _c_0_25 * mean__14 + _c_0_25 * mean__15 + _c_0_25 * mean__16
            sx = np.sqrt(vx + _c_1em05)
            _x0 = _c_1 / sx
            d__mx = -(_x0 * d__xterm__1 * gx_i) - _x0 * d__xterm__2 * gx_f - _x0 * d__xterm__3 * gx_g - _x0 * d__xterm__4 * gx_o + da__14 * (-_x1 - _c_2 * mv__U_i) + da__15 * (-_x1 - _c_2 * mv__U_f) + da__16 * (-_x1 - _c_2 * mv__U_g) + da__17 * (-_x1 - _c_2 * mv__U_o)
            d__mean__9 = _c_0_25 * d__mx
            _dM__10_0[_j] = d__mean__9


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_backward_level0(_t, _td, _b0, _b1, _H, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, dA__10, dA__14, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dX__9, _L, _k):
    # the input's gradients after BPTT
    _c_0_25 = _k[_C_0_25]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__14 = _unowned(M__14)
    M__15 = _unowned(M__15)
    M__16 = _unowned(M__16)
    M__17 = _unowned(M__17)
    P__gx_f = _unowned(P__gx_f)
    P__gx_g = _unowned(P__gx_g)
    P__gx_i = _unowned(P__gx_i)
    P__gx_o = _unowned(P__gx_o)
    X__9 = _unowned(X__9)
    dA__10 = _unowned(dA__10)
    dA__14 = _unowned(dA__14)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dK__xterm__4 = _unowned(dK__xterm__4)
    dX__9 = _unowned(dX__9)
    for _b in range(_b0, _b1):
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__14_0 = M__14[_t, _b]
        _M__15_0 = M__15[_t, _b]
        _M__16_0 = M__16[_t, _b]
        _M__17_0 = M__17[_t, _b]
        _X__9_0 = X__9[_t, _b, :_H]
        _X__9_1 = X__9[_t, _b, _H:2 * _H]
        _X__9_2 = X__9[_t, _b, 2 * _H:3 * _H]
        _X__9_3 = X__9[_t, _b, 3 * _H:4 * _H]
        _dA__10_0 = dA__10[_t, _b]
        _dA__14_0 = dA__14[_t, _b]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dK__xterm__4_0 = dK__xterm__4[_t, _b, :_H]
        _dX__9_0 = dX__9[_t, _b, :_H]
        _dX__9_1 = dX__9[_t, _b, _H:2 * _H]
        _dX__9_2 = dX__9[_t, _b, 2 * _H:3 * _H]
        _dX__9_3 = dX__9[_t, _b, 3 * _H:4 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dX__9_0[_j] = 0
                _dX__9_1[_j] = 0
                _dX__9_2[_j] = 0
                _dX__9_3[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__13 = _M__14_0
            mean__14 = _M__15_0
            mean__15 = _M__16_0
            mean__16 = _M__17_0
            gx_f = P__gx_f[_j]
            gx_g = P__gx_g[_j]
            gx_i = P__gx_i[_j]
            gx_o = P__gx_o[_j]
            mv__U_i = _X__9_0[_j]
            mv__U_f = _X__9_1[_j]
            mv__U_g = _X__9_2[_j]
            mv__U_o = _X__9_3[_j]
            da__10 = _dA__10_0
            da__11 = _dA__10_0
            da__12 = _dA__10_0
            da__13 = _dA__10_0
            da__14 = _dA__14_0
            da__15 = _dA__14_0
            da__16 = _dA__14_0
            da__17 = _dA__14_0
            d__xterm__1 = _dK__xterm__1_0[_j]
            d__xterm__2 = _dK__xterm__2_0[_j]
            d__xterm__3 = _dK__xterm__3_0[_j]
            d__xterm__4 = _dK__xterm__4_0[_j]
            mx = _c_0_25 * mean__10 + _c_0_25 * mean__11 + _c_0_25 * mean__12 + _c_0_25 * mean__9
            _x1 = -(_c_2 * mx)
            vx = _c_0_25 * mean__13 + _c_0_25 * mean__14 + _c_0_25 * mean__15 + _c_0_25 * mean__16
            sx = np.sqrt(vx + _c_1em05)
            _x0 = _c_1 / sx
            d__mv__U_o = _x0 * d__xterm__4 * gx_o + da__13 + da__17 * (_x1 + _c_2 * mv__U_o)
            d__mv__U_g = _x0 * d__xterm__3 * gx_g + da__12 + da__16 * (_x1 + _c_2 * mv__U_g)
            d__mv__U_f = _x0 * d__xterm__2 * gx_f + da__11 + da__15 * (_x1 + _c_2 * mv__U_f)
            d__mv__U_i = _x0 * d__xterm__1 * gx_i + da__10 + da__14 * (_x1 + _c_2 * mv__U_i)
            _dX__9_0[_j] = d__mv__U_i
            _dX__9_1[_j] = d__mv__U_f
            _dX__9_2[_j] = d__mv__U_g
            _dX__9_3[_j] = d__mv__U_o


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, S__c, X__9, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__7, M__8, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, M__18, M__19, A__5, A__6, A__7, A__8, A__14, A__15, A__16, A__17, A__18, A__19, K__i, K__f, K__g, K__o, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, Wt__9, Wt__0__panels, P__gh_i, P__gx_i, P__b_i, P__gh_f, P__gx_f, P__b_f, P__gh_g, P__gx_g, P__b_g, P__gh_o, P__gx_o, P__b_o, P__gc, P__bc, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_t, _b0:_b1], _tail)  # (W_i, W_f, W_g, W_o) @ h
        _row_means(M__0[_t], _b0, _b1, 0, _H, M__1[_t])  # mean((W_i @ h))
        _row_means(M__0[_t], _b0, _b1, _H, 2 * _H, M__2[_t])  # mean((W_f @ h))
        _row_means(M__0[_t], _b0, _b1, 2 * _H, 3 * _H, M__3[_t])  # mean((W_g @ h))
        _row_means(M__0[_t], _b0, _b1, 3 * _H, 4 * _H, M__4[_t])  # mean((W_o @ h))
        _forward_level2(_t, 0, _b0, _b1, _H, A__5, A__6, A__7, A__8, M__0, M__1, M__2, M__3, M__4, _L, _k)
        _row_means(A__5, _b0, _b1, 0, _H, M__5[_t])  # mean(((W_i @ h) - mh)**2)
        _row_means(A__6, _b0, _b1, 0, _H, M__6[_t])  # mean(((W_f @ h) - mh)**2)
        _row_means(A__7, _b0, _b1, 0, _H, M__7[_t])  # mean(((W_g @ h) - mh)**2)
        _row_means(A__8, _b0, _b1, 0, _H, M__8[_t])  # mean(((W_o @ h) - mh)**2)
        _forward_level3(_t, 0, _b0, _b1, _H, A__18, K__xterm__1, K__xterm__2, K__xterm__3, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__gh_f, P__gh_g, P__gh_i, S__c, _L, _k)
        _row_means(A__18, _b0, _b1, 0, _H, M__18[_t])  # mean(c')
        _forward_level4(_t, 0, _b0, _b1, _H, A__19, K__xterm__1, K__xterm__2, K__xterm__3, M__0, M__1, M__18, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__gh_f, P__gh_g, P__gh_i, S__c, _L, _k)
        _row_means(A__19, _b0, _b1, 0, _H, M__19[_t])  # mean((c' - mean(c'))**2)
        _forward_step(_t, 0, _b0, _b1, _H, K__f, K__g, K__i, K__o, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, S__h, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, S__c, X__9, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__7, M__8, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, M__18, M__19, K__i, K__f, K__g, K__o, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, W__9, W__0__panels, P__gh_i, P__gx_i, P__b_i, P__gh_f, P__gx_f, P__b_f, P__gh_g, P__gx_g, P__b_g, P__gh_o, P__gx_o, P__b_o, P__gc, P__bc, dy__seq, G__h, G__c, Gn__h, Gn__c, dM__0, dM__1, dM__5, dM__10, dM__14, dM__18, dM__19, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dX__9, dA__1, dA__5, dA__10, dA__14, dA__18, dA__19, dV__gx_i, dV__gx_f, dV__gx_g, dV__gh_o, dV__gx_o, dV__gc, dV__bc, dR__gh_i, dR__gh_f, dR__gh_g, dP__dV__gh_o, dP__dV__gc, dP__dV__bc, dP__dV__gx_i, dP__dK__xterm__1, dP__dV__gx_f, dP__dK__xterm__2, dP__dV__gx_g, dP__dK__xterm__3, dP__dV__gx_o, dP__dK__xterm__4, dW__0, dW__9, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, G__c, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level5(_t, _td, _b0, _b1, _H, G__h, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, S__c, dK__xterm__4, dM__19, dV__bc, dV__gc, dV__gh_o, dy__seq, _L, _k)
        _row_means(dM__19, _b0, _b1, 0, _H, dA__19)  # d((c' - mean(c'))**2) from d(mean((c' - mean(c'))**2))
        _backward_level4(_t, _td, _b0, _b1, _H, G__h, K__o, M__18, M__19, P__bc, P__gc, S__c, dA__19, dM__18, dy__seq, _L, _k)
        _row_means(dM__18, _b0, _b1, 0, _H, dA__18)  # d(c') from d(mean(c'))
        _backward_level3(_t, _td, _b0, _b1, _H, G__c, G__h, Gn__c, K__f, K__g, K__i, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, dA__18, dA__19, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__5, dR__gh_f, dR__gh_g, dR__gh_i, dy__seq, _L, _k)
        _row_means(dM__5, _b0, _b1, 0, _H, dA__5)  # d(((W_i @ h) - mh)**2) from d(mean(((W_i @ h) - mh)**2))
        _backward_level2(_t, _td, _b0, _b1, _H, G__c, G__h, K__f, K__g, K__i, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, dA__18, dA__19, dA__5, dM__1, dy__seq, _L, _k)
        _row_means(dM__1, _b0, _b1, 0, _H, dA__1)  # d((W_i @ h)) from d(mean((W_i @ h)))
        _backward_level1(_t, _td, _b0, _b1, _H, G__c, G__h, K__f, K__g, K__i, K__o, M__0, M__1, M__18, M__19, M__2, M__3, M__4, M__5, M__6, M__7, M__8, P__bc, P__gc, P__gh_f, P__gh_g, P__gh_i, P__gh_o, S__c, dA__1, dA__18, dA__19, dA__5, dM__0, dy__seq, _L, _k)
        _step_product(dM__0[_t, _b0:_b1], W__0__panels, Gn__h[_b0:_b1], _tail)  # d(h) from d(W_i, W_f, W_g, W_o @ h)
        _freeze_rows(_t, _L, G__h, Gn__h, _b0, _b1)  # a carry the product wrote
        G__h, Gn__h = Gn__h, G__h
        G__c, Gn__c = Gn__c, G__c
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)
        _copy_rows(G__c, Gn__c, _b0, _b1)



@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_stage(x__rows, S__h, S__c, X__9, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__7, M__8, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, M__18, M__19, A__5, A__6, A__7, A__8, A__14, A__15, A__16, A__17, A__18, A__19, K__i, K__f, K__g, K__o, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, Wt__9, Wt__0__panels, P__gh_i, P__gx_i, P__b_i, P__gh_f, P__gx_f, P__b_f, P__gh_g, P__gx_g, P__b_g, P__gh_o, P__gx_o, P__b_o, P__gc, P__bc, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Before the recurrence, the input's terms of every step (pass hoist_input_norms): the
    # driver passes the [T, B] arrays as one step of T * B rows, rows _b0.._b1 of them.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _t = 0
    for _c0 in range(_b0, _b1, _STAGE_ROWS):
        _c1 = min(_c0 + _STAGE_ROWS, _b1)
        _row_means(X__9[_t], _c0, _c1, 0, _H, M__10[_t])  # mean((U_i @ x))
        _row_means(X__9[_t], _c0, _c1, _H, 2 * _H, M__11[_t])  # mean((U_f @ x))
        _row_means(X__9[_t], _c0, _c1, 2 * _H, 3 * _H, M__12[_t])  # mean((U_g @ x))
        _row_means(X__9[_t], _c0, _c1, 3 * _H, 4 * _H, M__13[_t])  # mean((U_o @ x))
        _input_level1(_t, 0, _c0, _c1, _H, A__14, A__15, A__16, A__17, M__10, M__11, M__12, M__13, X__9, _L, _k)
        _row_means(A__14[_t], _c0, _c1, 0, _H, M__14[_t])  # mean(((U_i @ x) - mx)**2)
        _row_means(A__15[_t], _c0, _c1, 0, _H, M__15[_t])  # mean(((U_f @ x) - mx)**2)
        _row_means(A__16[_t], _c0, _c1, 0, _H, M__16[_t])  # mean(((U_g @ x) - mx)**2)
        _row_means(A__17[_t], _c0, _c1, 0, _H, M__17[_t])  # mean(((U_o @ x) - mx)**2)
        _input_terms(_t, 0, _c0, _c1, _H, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__b_f, P__b_g, P__b_i, P__b_o, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, _L, _k)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_stage(x__rows, S__h, S__c, X__9, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__7, M__8, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, M__18, M__19, K__i, K__f, K__g, K__o, K__xterm__1, K__xterm__2, K__xterm__3, K__xterm__4, W__9, W__0__panels, P__gh_i, P__gx_i, P__b_i, P__gh_f, P__gx_f, P__b_f, P__gh_g, P__gx_g, P__b_g, P__gh_o, P__gx_o, P__b_o, P__gc, P__bc, dy__seq, G__h, G__c, Gn__h, Gn__c, dM__0, dM__1, dM__5, dM__10, dM__14, dM__18, dM__19, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dX__9, dA__1, dA__5, dA__10, dA__14, dA__18, dA__19, dV__gx_i, dV__gx_f, dV__gx_g, dV__gh_o, dV__gx_o, dV__gc, dV__bc, dR__gh_i, dR__gh_f, dR__gh_g, dP__dV__gh_o, dP__dV__gc, dP__dV__bc, dP__dV__gx_i, dP__dK__xterm__1, dP__dV__gx_f, dP__dK__xterm__2, dP__dV__gx_g, dP__dK__xterm__3, dP__dV__gx_o, dP__dK__xterm__4, dW__0, dW__9, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # After BPTT, the gradients through the input's terms, over the same rows.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _t = 0
    for _c0 in range(_b0, _b1, _STAGE_ROWS):
        _c1 = min(_c0 + _STAGE_ROWS, _b1)
        _input_backward_level2(_t, 0, _c0, _c1, _H, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dM__14, dV__gx_f, dV__gx_g, dV__gx_i, dV__gx_o, _L, _k)
        _row_means(dM__14[_t], _c0, _c1, 0, _H, dA__14[_t])  # d(((U_i @ x) - mx)**2) from d(mean(((U_i @ x) - mx)**2))
        _input_backward_level1(_t, 0, _c0, _c1, _H, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, dA__14, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dM__10, _L, _k)
        _row_means(dM__10[_t], _c0, _c1, 0, _H, dA__10[_t])  # d((U_i @ x)) from d(mean((U_i @ x)))
        _input_backward_level0(_t, 0, _c0, _c1, _H, M__10, M__11, M__12, M__13, M__14, M__15, M__16, M__17, P__gx_f, P__gx_g, P__gx_i, P__gx_o, X__9, dA__10, dA__14, dK__xterm__1, dK__xterm__2, dK__xterm__3, dK__xterm__4, dX__9, _L, _k)


_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W_i", "W_f", "W_g", "W_o", ),
        9: ("U_i", "U_f", "U_g", "U_o", ),
    },
    widest=4,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('S__c', 'state', shape=('T+1', 'B', 'H'), index=1),
        _Array('X__9', 'tape', shape=('T', 'B', '4H')),
        _Array('M__0', 'tape', shape=('T', 'B', '4H')),
        _Array('M__1', 'tape', shape=('T', 'B')),
        _Array('M__2', 'tape', shape=('T', 'B')),
        _Array('M__3', 'tape', shape=('T', 'B')),
        _Array('M__4', 'tape', shape=('T', 'B')),
        _Array('M__5', 'tape', shape=('T', 'B')),
        _Array('M__6', 'tape', shape=('T', 'B')),
        _Array('M__7', 'tape', shape=('T', 'B')),
        _Array('M__8', 'tape', shape=('T', 'B')),
        _Array('M__10', 'tape', shape=('T', 'B')),
        _Array('M__11', 'tape', shape=('T', 'B')),
        _Array('M__12', 'tape', shape=('T', 'B')),
        _Array('M__13', 'tape', shape=('T', 'B')),
        _Array('M__14', 'tape', shape=('T', 'B')),
        _Array('M__15', 'tape', shape=('T', 'B')),
        _Array('M__16', 'tape', shape=('T', 'B')),
        _Array('M__17', 'tape', shape=('T', 'B')),
        _Array('M__18', 'tape', shape=('T', 'B')),
        _Array('M__19', 'tape', shape=('T', 'B')),
        _Array('A__5', 'scratch', shape=('B', 'H')),
        _Array('A__6', 'scratch', shape=('B', 'H')),
        _Array('A__7', 'scratch', shape=('B', 'H')),
        _Array('A__8', 'scratch', shape=('B', 'H')),
        _Array('A__14', 'work', shape=('T', 'B', 'H')),
        _Array('A__15', 'work', shape=('T', 'B', 'H')),
        _Array('A__16', 'work', shape=('T', 'B', 'H')),
        _Array('A__17', 'work', shape=('T', 'B', 'H')),
        _Array('A__18', 'scratch', shape=('B', 'H')),
        _Array('A__19', 'scratch', shape=('B', 'H')),
        _Array('K__i', 'tape', shape=('T', 'B', 'H')),
        _Array('K__f', 'tape', shape=('T', 'B', 'H')),
        _Array('K__g', 'tape', shape=('T', 'B', 'H')),
        _Array('K__o', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__1', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__2', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__3', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__4', 'tape', shape=('T', 'B', 'H')),
        _Array('Wt__9', 'weights', group=9, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('P__gh_i', 'vector', param='gh_i'),
        _Array('P__gx_i', 'vector', param='gx_i'),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__gh_f', 'vector', param='gh_f'),
        _Array('P__gx_f', 'vector', param='gx_f'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__gh_g', 'vector', param='gh_g'),
        _Array('P__gx_g', 'vector', param='gx_g'),
        _Array('P__b_g', 'vector', param='b_g'),
        _Array('P__gh_o', 'vector', param='gh_o'),
        _Array('P__gx_o', 'vector', param='gx_o'),
        _Array('P__b_o', 'vector', param='b_o'),
        _Array('P__gc', 'vector', param='gc'),
        _Array('P__bc', 'vector', param='bc'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('S__c', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__9', 'tape', shape=('T', 'B', '4H')),
        _Array('M__0', 'tape', shape=('T', 'B', '4H')),
        _Array('M__1', 'tape', shape=('T', 'B')),
        _Array('M__2', 'tape', shape=('T', 'B')),
        _Array('M__3', 'tape', shape=('T', 'B')),
        _Array('M__4', 'tape', shape=('T', 'B')),
        _Array('M__5', 'tape', shape=('T', 'B')),
        _Array('M__6', 'tape', shape=('T', 'B')),
        _Array('M__7', 'tape', shape=('T', 'B')),
        _Array('M__8', 'tape', shape=('T', 'B')),
        _Array('M__10', 'tape', shape=('T', 'B')),
        _Array('M__11', 'tape', shape=('T', 'B')),
        _Array('M__12', 'tape', shape=('T', 'B')),
        _Array('M__13', 'tape', shape=('T', 'B')),
        _Array('M__14', 'tape', shape=('T', 'B')),
        _Array('M__15', 'tape', shape=('T', 'B')),
        _Array('M__16', 'tape', shape=('T', 'B')),
        _Array('M__17', 'tape', shape=('T', 'B')),
        _Array('M__18', 'tape', shape=('T', 'B')),
        _Array('M__19', 'tape', shape=('T', 'B')),
        _Array('K__i', 'tape', shape=('T', 'B', 'H')),
        _Array('K__f', 'tape', shape=('T', 'B', 'H')),
        _Array('K__g', 'tape', shape=('T', 'B', 'H')),
        _Array('K__o', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__1', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__2', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__3', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__4', 'tape', shape=('T', 'B', 'H')),
        _Array('W__9', 'weights', group=9),
        _Array('W__0__panels', 'panels', group=0),
        _Array('P__gh_i', 'vector', param='gh_i'),
        _Array('P__gx_i', 'vector', param='gx_i'),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__gh_f', 'vector', param='gh_f'),
        _Array('P__gx_f', 'vector', param='gx_f'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__gh_g', 'vector', param='gh_g'),
        _Array('P__gx_g', 'vector', param='gx_g'),
        _Array('P__b_g', 'vector', param='b_g'),
        _Array('P__gh_o', 'vector', param='gh_o'),
        _Array('P__gx_o', 'vector', param='gx_o'),
        _Array('P__b_o', 'vector', param='b_o'),
        _Array('P__gc', 'vector', param='gc'),
        _Array('P__bc', 'vector', param='bc'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('G__c', 'carry', shape=('B', 'H'), index=1),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('Gn__c', 'carry_next', shape=('B', 'H'), index=1),
        _Array('dM__0', 'work', shape=('T', 'B', '4H')),
        _Array('dM__1', 'scratch', shape=('B', 'H')),
        _Array('dM__5', 'scratch', shape=('B', 'H')),
        _Array('dM__10', 'work', shape=('T', 'B', 'H')),
        _Array('dM__14', 'work', shape=('T', 'B', 'H')),
        _Array('dM__18', 'scratch', shape=('B', 'H')),
        _Array('dM__19', 'scratch', shape=('B', 'H')),
        _Array('dK__xterm__1', 'work', shape=('T', 'B', 'H')),
        _Array('dK__xterm__2', 'work', shape=('T', 'B', 'H')),
        _Array('dK__xterm__3', 'work', shape=('T', 'B', 'H')),
        _Array('dK__xterm__4', 'work', shape=('T', 'B', 'H')),
        _Array('dX__9', 'work', shape=('T', 'B', '4H')),
        _Array('dA__1', 'scratch', shape=('B', 'H')),
        _Array('dA__5', 'scratch', shape=('B', 'H')),
        _Array('dA__10', 'work', shape=('T', 'B')),
        _Array('dA__14', 'work', shape=('T', 'B')),
        _Array('dA__18', 'scratch', shape=('B', 'H')),
        _Array('dA__19', 'scratch', shape=('B', 'H')),
        _Array('dV__gx_i', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gx_f', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gx_g', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gh_o', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gx_o', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gc', 'work', shape=('T', 'B', 'H')),
        _Array('dV__bc', 'work', shape=('T', 'B', 'H')),
        _Array('dR__gh_i', 'vector_rows', shape=('B', 'H')),
        _Array('dR__gh_f', 'vector_rows', shape=('B', 'H')),
        _Array('dR__gh_g', 'vector_rows', shape=('B', 'H')),
        _Array('dP__dV__gh_o', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gc', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__bc', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gx_i', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__1', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gx_f', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__2', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gx_g', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__3', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gx_o', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__4', 'vector_grad', shape=('1', 'H')),
        _Array('dW__0', 'weight_grad', shape=('H', '4H')),
        _Array('dW__9', 'weight_grad', shape=('I', '4H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "W_i": (("dW__0", 0), ),
        "W_f": (("dW__0", 1), ),
        "W_g": (("dW__0", 2), ),
        "W_o": (("dW__0", 3), ),
        "U_i": (("dW__9", 0), ),
        "U_f": (("dW__9", 1), ),
        "U_g": (("dW__9", 2), ),
        "U_o": (("dW__9", 3), ),
        "gh_i": (("dR__gh_i", 0), ),
        "gx_i": (("dP__dV__gx_i", 0), ),
        "b_i": (("dP__dK__xterm__1", 0), ),
        "gh_f": (("dR__gh_f", 0), ),
        "gx_f": (("dP__dV__gx_f", 0), ),
        "b_f": (("dP__dK__xterm__2", 0), ),
        "gh_g": (("dR__gh_g", 0), ),
        "gx_g": (("dP__dV__gx_g", 0), ),
        "b_g": (("dP__dK__xterm__3", 0), ),
        "gh_o": (("dP__dV__gh_o", 0), ),
        "gx_o": (("dP__dV__gx_o", 0), ),
        "b_o": (("dP__dK__xterm__4", 0), ),
        "gc": (("dP__dV__gc", 0), ),
        "bc": (("dP__dV__bc", 0), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows, _forward_stage, _backward_stage),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__9'), _Rows('X__9', columns='4H'), comment='(U_i, U_f, U_g, U_o) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dM__0', columns='4H'), _Rows('dW__0'), transpose_a=True, comment='d(W_i, W_f, W_g, W_o), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dX__9', columns='4H'), _Rows('dW__9'), transpose_a=True, comment='d(U_i, U_f, U_g, U_o), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dX__9', columns='4H'), _Rows('W__9'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_i, U_f, U_g, U_o @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dV__gh_o', columns='H'), (0,), 'dP__dV__gh_o'),
        _VectorSum(_Rows('dV__gc', columns='H'), (0,), 'dP__dV__gc'),
        _VectorSum(_Rows('dV__bc', columns='H'), (0,), 'dP__dV__bc'),
        _VectorSum(_Rows('dV__gx_i', columns='H'), (0,), 'dP__dV__gx_i'),
        _VectorSum(_Rows('dK__xterm__1', columns='H'), (0,), 'dP__dK__xterm__1'),
        _VectorSum(_Rows('dV__gx_f', columns='H'), (0,), 'dP__dV__gx_f'),
        _VectorSum(_Rows('dK__xterm__2', columns='H'), (0,), 'dP__dK__xterm__2'),
        _VectorSum(_Rows('dV__gx_g', columns='H'), (0,), 'dP__dV__gx_g'),
        _VectorSum(_Rows('dK__xterm__3', columns='H'), (0,), 'dP__dK__xterm__3'),
        _VectorSum(_Rows('dV__gx_o', columns='H'), (0,), 'dP__dV__gx_o'),
        _VectorSum(_Rows('dK__xterm__4', columns='H'), (0,), 'dP__dK__xterm__4'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
