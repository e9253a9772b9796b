"""gru_layernorm: a recurrent cell compiled by cellgen 0.1.0 from gru_layernorm.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    mh = (mean(W_r @ h) + mean(W_z @ h) + mean(W_n @ h)) / 3
    vh = (mean((W_r @ h - mh) ** 2) + mean((W_z @ h - mh) ** 2) + mean((W_n @ h - mh) ** 2)) / 3
    sh = sqrt(vh + 0.00001)
    mx = (mean(U_r @ x) + mean(U_z @ x) + mean(U_n @ x)) / 3
    vx = (mean((U_r @ x - mx) ** 2) + mean((U_z @ x - mx) ** 2) + mean((U_n @ x - mx) ** 2)) / 3
    sx = sqrt(vx + 0.00001)
    r = sigmoid(gx_r * (U_r @ x - mx) / sx + gh_r * (W_r @ h - mh) / sh + b_r)
    z = sigmoid(gx_z * (U_z @ x - mx) / sx + gh_z * (W_z @ h - mh) / sh + b_z)
    n = tanh(gx_n * (U_n @ x - mx) / sx + b_n + r * (gh_n * (W_n @ h - mh) / sh + bh_n))
    h' = (1 - z) * n + z * h
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dn = dh'*(1 - z)
    dxterm3 = dn*(1 - n**2)
    dz = dh'*(h - n)
    dxterm2 = dz*z*(1 - z)
    dr = dn*(1 - n**2)*(bh_n + gh_n*((W_n @ h) - mh)/sh)
    dxterm1 = dr*r*(1 - r)
    dsx = -dxterm1*gx_r*((U_r @ x) - mx)/sx**2 - dxterm2*gx_z*((U_z @ x) - mx)/sx**2 - dxterm3*gx_n*((U_n @ x) - mx)/sx**2
    dvx = dsx/(2*sqrt(vx + 1/100000))
    dmean(((U_n @ x) - mx)**2) = dvx/3
    dmean(((U_z @ x) - mx)**2) = dvx/3
    dmean(((U_r @ x) - mx)**2) = dvx/3
    dmx = dA11*(-2*(U_r @ x) + 2*mx) + dA12*(-2*(U_z @ x) + 2*mx) + dA13*(-2*(U_n @ x) + 2*mx) - dxterm1*gx_r/sx - dxterm2*gx_z/sx - dxterm3*gx_n/sx
    dmean(U_n @ x) = dmx/3
    d(U_n @ x) = dA10 + dA13*(2*(U_n @ x) - 2*mx) + dxterm3*gx_n/sx
    dmean(U_z @ x) = dmx/3
    d(U_z @ x) = dA12*(2*(U_z @ x) - 2*mx) + dA9 + dxterm2*gx_z/sx
    dmean(U_r @ x) = dmx/3
    d(U_r @ x) = dA11*(2*(U_r @ x) - 2*mx) + dA8 + dxterm1*gx_r/sx
    dsh = -dn*gh_n*r*(1 - n**2)*((W_n @ h) - mh)/sh**2 - dr*gh_r*r*(1 - r)*((W_r @ h) - mh)/sh**2 - dz*gh_z*z*(1 - z)*((W_z @ h) - mh)/sh**2
    dvh = dsh/(2*sqrt(vh + 1/100000))
    dmean(((W_n @ h) - mh)**2) = dvh/3
    dmean(((W_z @ h) - mh)**2) = dvh/3
    dmean(((W_r @ h) - mh)**2) = dvh/3
    dmh = dA4*(-2*(W_r @ h) + 2*mh) + dA5*(-2*(W_z @ h) + 2*mh) + dA6*(-2*(W_n @ h) + 2*mh) - dn*gh_n*r*(1 - n**2)/sh - dr*gh_r*r*(1 - r)/sh - dz*gh_z*z*(1 - z)/sh
    dmean(W_n @ h) = dmh/3
    d(W_n @ h) = dA3 + dA6*(2*(W_n @ h) - 2*mh) + dn*gh_n*r*(1 - n**2)/sh
    dmean(W_z @ h) = dmh/3
    d(W_z @ h) = dA2 + dA5*(2*(W_z @ h) - 2*mh) + dz*gh_z*z*(1 - z)/sh
    dmean(W_r @ h) = dmh/3
    d(W_r @ h) = dA1 + dA4*(2*(W_r @ h) - 2*mh) + dr*gh_r*r*(1 - r)/sh
    dh = dA0 + dh'*z
    dgx_r = dxterm1*((U_r @ x) - mx)/sx
    dgh_r = dr*r*(1 - r)*((W_r @ h) - mh)/sh
    db_r = dxterm1
    dgx_z = dxterm2*((U_z @ x) - mx)/sx
    dgh_z = dz*z*(1 - z)*((W_z @ h) - mh)/sh
    db_z = dxterm2
    dgx_n = dxterm3*((U_n @ x) - mx)/sx
    db_n = dxterm3
    dgh_n = dn*r*(1 - n**2)*((W_n @ h) - mh)/sh
    dbh_n = dn*r*(1 - n**2)
    dx += dA7
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_r; W_z; W_n]^T @ [d(W_r @ h); d(W_z @ h); d(W_n @ h)], one GEMM
    dA1 = the mean over the units of dmean(W_r @ h)
    dA2 = the mean over the units of dmean(W_z @ h)
    dA3 = the mean over the units of dmean(W_n @ h)
    dA4 = the mean over the units of dmean(((W_r @ h) - mh)**2)
    dA5 = the mean over the units of dmean(((W_z @ h) - mh)**2)
    dA6 = the mean over the units of dmean(((W_n @ h) - mh)**2)
    dA8 = the mean over the units of dmean(U_r @ x)
    dA9 = the mean over the units of dmean(U_z @ x)
    dA10 = the mean over the units of dmean(U_n @ x)
    dA11 = the mean over the units of dmean(((U_r @ x) - mx)**2)
    dA12 = the mean over the units of dmean(((U_z @ x) - mx)**2)
    dA13 = the mean over the units of dmean(((U_n @ x) - mx)**2)
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
BUILD = "8db3e5c11b97da33"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "gru_layernorm"
INPUT = "x"
STATES = ("h", )
OUTPUT = "h"
PARAMS = {
    "W_r": ("hidden", "hidden", ),
    "W_z": ("hidden", "hidden", ),
    "W_n": ("hidden", "hidden", ),
    "U_r": ("hidden", "input", ),
    "U_z": ("hidden", "input", ),
    "U_n": ("hidden", "input", ),
    "gx_r": ("hidden", ),
    "gh_r": ("hidden", ),
    "b_r": ("hidden", ),
    "gx_z": ("hidden", ),
    "gh_z": ("hidden", ),
    "b_z": ("hidden", ),
    "gx_n": ("hidden", ),
    "b_n": ("hidden", ),
    "gh_n": ("hidden", ),
    "bh_n": ("hidden", ),
}
INIT = {
    "gh_r": 1.0,
    "gh_z": 1.0,
    "gh_n": 1.0,
    "gx_r": 1.0,
    "gx_z": 1.0,
    "gx_n": 1.0,
}
SIZES = ()  # sizes beyond input and hidden
STATE_SIZES = ("hidden", )  # each state's size, in STATES order
OUTPUT_SIZE = "hidden"
MASKS = {  # values the caller gives: "step" [T, B, size], "sequence" [B, size]
}

# One name for these bytes under any import name: Numba's cache stores it (see adopt).
__name__ = _runtime.adopt(globals(), BUILD)

# Every number of the equations, read in the data's dtype so float32 stays float32.
_CONSTANTS = (1e-05, 0.3333333333333333, 0.5, 1.0, 2.0, )
_C_1EM05 = 0
_C_0_3333333333333333 = 1
_C_0_5 = 2
_C_1 = 3
_C_2 = 4



# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_level2(_t, _td, _b0, _b1, _H, A__4, A__5, A__6, M__0, M__1, M__2, M__3, _L, _k):
    # operands of the level-3 products
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    A__4 = _unowned(A__4)
    A__5 = _unowned(A__5)
    A__6 = _unowned(A__6)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    for _b in range(_b0, _b1):
        _A__4_0 = A__4[_b, :_H]
        _A__5_0 = A__5[_b, :_H]
        _A__6_0 = A__6[_b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__4_0[_j] = 0
                _A__5_0[_j] = 0
                _A__6_0[_j] = 0
            continue
        for _j in range(_H):
            mv__W_r = _M__0_0[_j]
            mv__W_z = _M__0_1[_j]
            mv__W_n = _M__0_2[_j]
            mean__1 = _M__1_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mh = _c_0_3333333333333333 * mean__1 + _c_0_3333333333333333 * mean__2 + _c_0_3333333333333333 * mean__3
            _A__4_0[_j] = _pow2(-mh + mv__W_r)
            _A__5_0[_j] = _pow2(-mh + mv__W_z)
            _A__6_0[_j] = _pow2(-mh + mv__W_n)


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_step(_t, _td, _b0, _b1, _H, K__n, K__r, K__xterm__1, K__xterm__2, K__xterm__3, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, _L, _k):
    # new states
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    K__n = _unowned(K__n)
    K__r = _unowned(K__r)
    K__xterm__1 = _unowned(K__xterm__1)
    K__xterm__2 = _unowned(K__xterm__2)
    K__xterm__3 = _unowned(K__xterm__3)
    K__z = _unowned(K__z)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    P__bh_n = _unowned(P__bh_n)
    P__gh_n = _unowned(P__gh_n)
    P__gh_r = _unowned(P__gh_r)
    P__gh_z = _unowned(P__gh_z)
    S__h = _unowned(S__h)
    for _b in range(_b0, _b1):
        _K__n_0 = K__n[_t, _b, :_H]
        _K__r_0 = K__r[_t, _b, :_H]
        _K__xterm__1_0 = K__xterm__1[_t, _b, :_H]
        _K__xterm__2_0 = K__xterm__2[_t, _b, :_H]
        _K__xterm__3_0 = K__xterm__3[_t, _b, :_H]
        _K__z_0 = K__z[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _S__h_0 = S__h[_t, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _K__r_0[_j] = 0
                _K__z_0[_j] = 0
                _K__n_0[_j] = 0
            continue
        for _j in range(_H):
            xterm__1 = _K__xterm__1_0[_j]
            xterm__2 = _K__xterm__2_0[_j]
            xterm__3 = _K__xterm__3_0[_j]
            mv__W_r = _M__0_0[_j]
            mv__W_z = _M__0_1[_j]
            mv__W_n = _M__0_2[_j]
            mean__1 = _M__1_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            bh_n = P__bh_n[_j]
            gh_n = P__gh_n[_j]
            gh_r = P__gh_r[_j]
            gh_z = P__gh_z[_j]
            h = _S__h_0[_j]
            mh = _c_0_3333333333333333 * mean__1 + _c_0_3333333333333333 * mean__2 + _c_0_3333333333333333 * mean__3
            vh = _c_0_3333333333333333 * mean__4 + _c_0_3333333333333333 * mean__5 + _c_0_3333333333333333 * mean__6
            sh = np.sqrt(vh + _c_1em05)
            _x0 = _c_1 / sh
            r = _sigmoid(_x0 * gh_r * (-mh + mv__W_r) + xterm__1)
            z = _sigmoid(_x0 * gh_z * (-mh + mv__W_z) + xterm__2)
            n = _tanh(r * (_x0 * gh_n * (-mh + mv__W_n) + bh_n) + xterm__3)
            h__new = h * z + n * (_c_1 - z)
            _S__h_next_0[_j] = h__new
            _K__r_0[_j] = r
            _K__z_0[_j] = z
            _K__n_0[_j] = n


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def _backward_level3(_t, _td, _b0, _b1, _H, G__h, K__n, K__r, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__4, dR__bh_n, dR__gh_n, dR__gh_r, dR__gh_z, dy__seq, _L, _k):
    # adjoints from the step's outputs
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_0_5 = _k[_C_0_5]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    G__h = _unowned(G__h)
    K__n = _unowned(K__n)
    K__r = _unowned(K__r)
    K__z = _unowned(K__z)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    P__bh_n = _unowned(P__bh_n)
    P__gh_n = _unowned(P__gh_n)
    P__gh_r = _unowned(P__gh_r)
    P__gh_z = _unowned(P__gh_z)
    S__h = _unowned(S__h)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dM__4 = _unowned(dM__4)
    dR__bh_n = _unowned(dR__bh_n)
    dR__gh_n = _unowned(dR__gh_n)
    dR__gh_r = _unowned(dR__gh_r)
    dR__gh_z = _unowned(dR__gh_z)
    dy__seq = _unowned(dy__seq)
    _s0 = _staging_row(dM__4)
    _s1 = _staging_row(dK__xterm__1)
    _s2 = _staging_row(dK__xterm__2)
    _s3 = _staging_row(dK__xterm__3)
    _s4 = _staging_row(dR__gh_r)
    _s5 = _staging_row(dR__gh_z)
    _s6 = _staging_row(dR__gh_n)
    _s7 = _staging_row(dR__bh_n)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _K__n_0 = K__n[_t, _b, :_H]
        _K__r_0 = K__r[_t, _b, :_H]
        _K__z_0 = K__z[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _S__h_0 = S__h[_t, _b, :_H]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dM__4_0 = dM__4[_b, :_H]
        _dR__bh_n_0 = dR__bh_n[_b, :_H]
        _dR__gh_n_0 = dR__gh_n[_b, :_H]
        _dR__gh_r_0 = dR__gh_r[_b, :_H]
        _dR__gh_z_0 = dR__gh_z[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__4_0[_j] = 0
                _dK__xterm__1_0[_j] = 0
                _dK__xterm__2_0[_j] = 0
                _dK__xterm__3_0[_j] = 0
            continue
        for _j0 in range(0, _H, _STAGE):  # a stage of units: written on the stack, then copied out
            _n = min(_STAGE, _H - _j0)
            _c_G__h_0 = _G__h_0[_j0:_j0 + _n]
            _c_K__n_0 = _K__n_0[_j0:_j0 + _n]
            _c_K__r_0 = _K__r_0[_j0:_j0 + _n]
            _c_K__z_0 = _K__z_0[_j0:_j0 + _n]
            _c_M__0_0 = _M__0_0[_j0:_j0 + _n]
            _c_M__0_1 = _M__0_1[_j0:_j0 + _n]
            _c_M__0_2 = _M__0_2[_j0:_j0 + _n]
            _c_P__bh_n = P__bh_n[_j0:_j0 + _n]
            _c_P__gh_n = P__gh_n[_j0:_j0 + _n]
            _c_P__gh_r = P__gh_r[_j0:_j0 + _n]
            _c_P__gh_z = P__gh_z[_j0:_j0 + _n]
            _c_S__h_0 = _S__h_0[_j0:_j0 + _n]
            _c_dK__xterm__1_0 = _dK__xterm__1_0[_j0:_j0 + _n]
            _c_dK__xterm__2_0 = _dK__xterm__2_0[_j0:_j0 + _n]
            _c_dK__xterm__3_0 = _dK__xterm__3_0[_j0:_j0 + _n]
            _c_dM__4_0 = _dM__4_0[_j0:_j0 + _n]
            _c_dR__bh_n_0 = _dR__bh_n_0[_j0:_j0 + _n]
            _c_dR__gh_n_0 = _dR__gh_n_0[_j0:_j0 + _n]
            _c_dR__gh_r_0 = _dR__gh_r_0[_j0:_j0 + _n]
            _c_dR__gh_z_0 = _dR__gh_z_0[_j0:_j0 + _n]
            _c_dy__seq_0 = _dy__seq_0[_j0:_j0 + _n]
            for _j in range(_n):
                g__h__new = _c_G__h_0[_j]
                n = _c_K__n_0[_j]
                r = _c_K__r_0[_j]
                z = _c_K__z_0[_j]
                mv__W_r = _c_M__0_0[_j]
                mv__W_z = _c_M__0_1[_j]
                mv__W_n = _c_M__0_2[_j]
                mean__1 = _M__1_0
                mean__2 = _M__2_0
                mean__3 = _M__3_0
                mean__4 = _M__4_0
                mean__5 = _M__5_0
                mean__6 = _M__6_0
                bh_n = _c_P__bh_n[_j]
                gh_n = _c_P__gh_n[_j]
                gh_r = _c_P__gh_r[_j]
                gh_z = _c_P__gh_z[_j]
                h = _c_S__h_0[_j]
                dy__out = _c_dy__seq_0[_j]
                _x1 = _c_1 - z
                mh = _c_0_3333333333333333 * mean__1 + _c_0_3333333333333333 * mean__2 + _c_0_3333333333333333 * mean__3
                _x5 = -mh + mv__W_n
                vh = _c_0_3333333333333333 * mean__4 + _c_0_3333333333333333 * mean__5 + _c_0_3333333333333333 * mean__6
                _x0 = np.sqrt(vh + _c_1em05)
                sh = _x0
                _x4 = _c_1 / sh
                _x6 = _x4 * _x5
                _x8 = _c_1 / (sh * sh)
                d__h__new = dy__out + g__h__new
                d__n = _x1 * d__h__new
                _x2 = d__n * (_c_1 - n * n)
                _x11 = _x2 * r
                d__xterm__3 = _x2
                d__z = d__h__new * (h - n)
                _x3 = _x1 * d__z * z
                _x10 = _x3 * (-mh + mv__W_z)
                d__xterm__2 = _x3
                d__r = _x2 * (_x6 * gh_n + bh_n)
                _x7 = d__r * r * (_c_1 - r)
                _x9 = _x7 * (-mh + mv__W_r)
                d__xterm__1 = _x7
                d__sh = -(_x10 * _x8 * gh_z) - _x11 * _x5 * _x8 * gh_n - _x8 * _x9 * gh_r
                d__vh = _c_0_5 * d__sh / _x0
                d__mean__4 = _c_0_3333333333333333 * d__vh
                d__gh_r = _x4 * _x9
                d__gh_z = _x10 * _x4
                d__gh_n = _x11 * _x6
                d__bh_n = _x11
                _s0[_j] = d__mean__4
                _s1[_j] = d__xterm__1
                _s2[_j] = d__xterm__2
                _s3[_j] = d__xterm__3
                _s4[_j] = d__gh_r
                _s5[_j] = d__gh_z
                _s6[_j] = d__gh_n
                _s7[_j] = d__bh_n
            for _j in range(_n):
                _c_dM__4_0[_j] = _s0[_j]
            for _j in range(_n):
                _c_dK__xterm__1_0[_j] = _s1[_j]
            for _j in range(_n):
                _c_dK__xterm__2_0[_j] = _s2[_j]
            for _j in range(_n):
                _c_dK__xterm__3_0[_j] = _s3[_j]
            for _j in range(_n):
                _c_dR__gh_r_0[_j] += _s4[_j]
            for _j in range(_n):
                _c_dR__gh_z_0[_j] += _s5[_j]
            for _j in range(_n):
                _c_dR__gh_n_0[_j] += _s6[_j]
            for _j in range(_n):
                _c_dR__bh_n_0[_j] += _s7[_j]


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level2(_t, _td, _b0, _b1, _H, G__h, K__n, K__r, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, dA__4, dM__1, dy__seq, _L, _k):
    # adjoints ready after the level-3 GEMMs
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    G__h = _unowned(G__h)
    K__n = _unowned(K__n)
    K__r = _unowned(K__r)
    K__z = _unowned(K__z)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    P__bh_n = _unowned(P__bh_n)
    P__gh_n = _unowned(P__gh_n)
    P__gh_r = _unowned(P__gh_r)
    P__gh_z = _unowned(P__gh_z)
    S__h = _unowned(S__h)
    dA__4 = _unowned(dA__4)
    dM__1 = _unowned(dM__1)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _K__n_0 = K__n[_t, _b, :_H]
        _K__r_0 = K__r[_t, _b, :_H]
        _K__z_0 = K__z[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _S__h_0 = S__h[_t, _b, :_H]
        _dA__4_0 = dA__4[_b, :_H]
        _dM__1_0 = dM__1[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__1_0[_j] = 0
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            n = _K__n_0[_j]
            r = _K__r_0[_j]
            z = _K__z_0[_j]
            mv__W_r = _M__0_0[_j]
            mv__W_z = _M__0_1[_j]
            mv__W_n = _M__0_2[_j]
            mean__1 = _M__1_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            bh_n = P__bh_n[_j]
            gh_n = P__gh_n[_j]
            gh_r = P__gh_r[_j]
            gh_z = P__gh_z[_j]
            h = _S__h_0[_j]
            da__4 = _dA__4_0[_j]
            da__5 = _dA__4_0[_j]
            da__6 = _dA__4_0[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = _c_1 - z
            mh = _c_0_3333333333333333 * mean__1 + _c_0_3333333333333333 * mean__2 + _c_0_3333333333333333 * mean__3
            _x4 = _c_2 * mh
            vh = _c_0_3333333333333333 * mean__4 + _c_0_3333333333333333 * mean__5 + _c_0_3333333333333333 * mean__6
            sh = np.sqrt(vh + _c_1em05)
            _x1 = _c_1 / sh
            _x2 = _x1 * gh_n
            d__h__new = dy__out + g__h__new
            d__n = _x0 * d__h__new
            _x3 = d__n * (_c_1 - n * n)
            d__z = d__h__new * (h - n)
            d__r = _x3 * (_x2 * (-mh + mv__W_n) + bh_n)
            d__mh = -(_x0 * _x1 * d__z * gh_z * z) - _x1 * d__r * gh_r * r * (_c_1 - r) - _x2 * _x3 * r + da__4 * (_x4 - _c_2 * mv__W_r) + da__5 * (_x4 - _c_2 * mv__W_z) + da__6 * (_x4 - _c_2 * mv__W_n)
            d__mean__1 = _c_0_3333333333333333 * d__mh
            _dM__1_0[_j] = d__mean__1


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, G__h, K__n, K__r, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, dA__1, dA__4, dM__0, dy__seq, _L, _k):
    # adjoints ready after the level-2 GEMMs
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    G__h = _unowned(G__h)
    K__n = _unowned(K__n)
    K__r = _unowned(K__r)
    K__z = _unowned(K__z)
    M__0 = _unowned(M__0)
    M__1 = _unowned(M__1)
    M__2 = _unowned(M__2)
    M__3 = _unowned(M__3)
    M__4 = _unowned(M__4)
    M__5 = _unowned(M__5)
    M__6 = _unowned(M__6)
    P__bh_n = _unowned(P__bh_n)
    P__gh_n = _unowned(P__gh_n)
    P__gh_r = _unowned(P__gh_r)
    P__gh_z = _unowned(P__gh_z)
    S__h = _unowned(S__h)
    dA__1 = _unowned(dA__1)
    dA__4 = _unowned(dA__4)
    dM__0 = _unowned(dM__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _K__n_0 = K__n[_t, _b, :_H]
        _K__r_0 = K__r[_t, _b, :_H]
        _K__z_0 = K__z[_t, _b, :_H]
        _M__0_0 = M__0[_t, _b, :_H]
        _M__0_1 = M__0[_t, _b, _H:2 * _H]
        _M__0_2 = M__0[_t, _b, 2 * _H:3 * _H]
        _M__1_0 = M__1[_t, _b]
        _M__2_0 = M__2[_t, _b]
        _M__3_0 = M__3[_t, _b]
        _M__4_0 = M__4[_t, _b]
        _M__5_0 = M__5[_t, _b]
        _M__6_0 = M__6[_t, _b]
        _S__h_0 = S__h[_t, _b, :_H]
        _dA__1_0 = dA__1[_b, :_H]
        _dA__4_0 = dA__4[_b, :_H]
        _dM__0_0 = dM__0[_t, _b, :_H]
        _dM__0_1 = dM__0[_t, _b, _H:2 * _H]
        _dM__0_2 = dM__0[_t, _b, 2 * _H:3 * _H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__0_0[_j] = 0
                _dM__0_1[_j] = 0
                _dM__0_2[_j] = 0
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            n = _K__n_0[_j]
            r = _K__r_0[_j]
            z = _K__z_0[_j]
            mv__W_r = _M__0_0[_j]
            mv__W_z = _M__0_1[_j]
            mv__W_n = _M__0_2[_j]
            mean__1 = _M__1_0
            mean__2 = _M__2_0
            mean__3 = _M__3_0
            mean__4 = _M__4_0
            mean__5 = _M__5_0
            mean__6 = _M__6_0
            bh_n = P__bh_n[_j]
            gh_n = P__gh_n[_j]
            gh_r = P__gh_r[_j]
            gh_z = P__gh_z[_j]
            h = _S__h_0[_j]
            da__1 = _dA__1_0[_j]
            da__2 = _dA__1_0[_j]
            da__3 = _dA__1_0[_j]
            da__4 = _dA__4_0[_j]
            da__5 = _dA__4_0[_j]
            da__6 = _dA__4_0[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = _c_1 - z
            mh = _c_0_3333333333333333 * mean__1 + _c_0_3333333333333333 * mean__2 + _c_0_3333333333333333 * mean__3
            _x4 = _c_2 * mh
            vh = _c_0_3333333333333333 * mean__4 + _c_0_3333333333333333 * mean__5 + _c_0_3333333333333333 * mean__6
            sh = np.sqrt(vh + _c_1em05)
            _x1 = _c_1 / sh
            _x2 = _x1 * gh_n
            d__h__new = dy__out + g__h__new
            d__n = _x0 * d__h__new
            _x3 = d__n * (_c_1 - n * n)
            d__z = d__h__new * (h - n)
            d__r = _x3 * (_x2 * (-mh + mv__W_n) + bh_n)
            d__mv__W_n = _x2 * _x3 * r + da__3 + da__6 * (-_x4 + _c_2 * mv__W_n)
            d__mv__W_z = _x0 * _x1 * d__z * gh_z * z + da__2 + da__5 * (-_x4 + _c_2 * mv__W_z)
            d__mv__W_r = _x1 * d__r * gh_r * r * (_c_1 - r) + da__1 + da__4 * (-_x4 + _c_2 * mv__W_r)
            _dM__0_0[_j] = d__mv__W_r
            _dM__0_1[_j] = d__mv__W_z
            _dM__0_2[_j] = d__mv__W_n


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, K__z, dA__0, dy__seq, _L, _k):
    # adjoints ready after the level-1 GEMMs
    G__h = _unowned(G__h)
    Gn__h = _unowned(Gn__h)
    K__z = _unowned(K__z)
    dA__0 = _unowned(dA__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _Gn__h_0 = Gn__h[_b, :_H]
        _K__z_0 = K__z[_t, _b, :_H]
        _dA__0_0 = dA__0[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _Gn__h_0[_j] = G__h[_b, _j]
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            z = _K__z_0[_j]
            da__0 = _dA__0_0[_j]
            dy__out = _dy__seq_0[_j]
            d__h__new = dy__out + g__h__new
            d__h = d__h__new * z + da__0
            _Gn__h_0[_j] = d__h


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_level1(_t, _td, _b0, _b1, _H, A__11, A__12, A__13, M__10, M__8, M__9, X__7, _L, _k):
    # operands of the input's level-2 means
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    A__11 = _unowned(A__11)
    A__12 = _unowned(A__12)
    A__13 = _unowned(A__13)
    M__10 = _unowned(M__10)
    M__8 = _unowned(M__8)
    M__9 = _unowned(M__9)
    X__7 = _unowned(X__7)
    for _b in range(_b0, _b1):
        _A__11_0 = A__11[_t, _b, :_H]
        _A__12_0 = A__12[_t, _b, :_H]
        _A__13_0 = A__13[_t, _b, :_H]
        _M__10_0 = M__10[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _M__9_0 = M__9[_t, _b]
        _X__7_0 = X__7[_t, _b, :_H]
        _X__7_1 = X__7[_t, _b, _H:2 * _H]
        _X__7_2 = X__7[_t, _b, 2 * _H:3 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__11_0[_j] = 0
                _A__12_0[_j] = 0
                _A__13_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__7 = _M__8_0
            mean__8 = _M__9_0
            mv__U_r = _X__7_0[_j]
            mv__U_z = _X__7_1[_j]
            mv__U_n = _X__7_2[_j]
            mx = _c_0_3333333333333333 * mean__7 + _c_0_3333333333333333 * mean__8 + _c_0_3333333333333333 * mean__9
            _x0 = -mx
            _A__11_0[_j] = _pow2(_x0 + mv__U_r)
            _A__12_0[_j] = _pow2(_x0 + mv__U_z)
            _A__13_0[_j] = _pow2(_x0 + mv__U_n)


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_terms(_t, _td, _b0, _b1, _H, K__xterm__1, K__xterm__2, K__xterm__3, M__10, M__11, M__12, M__13, M__8, M__9, P__b_n, P__b_r, P__b_z, P__gx_n, P__gx_r, P__gx_z, X__7, _L, _k):
    # the input's terms of every step, for the recurrence
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    K__xterm__1 = _unowned(K__xterm__1)
    K__xterm__2 = _unowned(K__xterm__2)
    K__xterm__3 = _unowned(K__xterm__3)
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__8 = _unowned(M__8)
    M__9 = _unowned(M__9)
    P__b_n = _unowned(P__b_n)
    P__b_r = _unowned(P__b_r)
    P__b_z = _unowned(P__b_z)
    P__gx_n = _unowned(P__gx_n)
    P__gx_r = _unowned(P__gx_r)
    P__gx_z = _unowned(P__gx_z)
    X__7 = _unowned(X__7)
    for _b in range(_b0, _b1):
        _K__xterm__1_0 = K__xterm__1[_t, _b, :_H]
        _K__xterm__2_0 = K__xterm__2[_t, _b, :_H]
        _K__xterm__3_0 = K__xterm__3[_t, _b, :_H]
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _M__9_0 = M__9[_t, _b]
        _X__7_0 = X__7[_t, _b, :_H]
        _X__7_1 = X__7[_t, _b, _H:2 * _H]
        _X__7_2 = X__7[_t, _b, 2 * _H:3 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _K__xterm__1_0[_j] = 0
                _K__xterm__2_0[_j] = 0
                _K__xterm__3_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__7 = _M__8_0
            mean__8 = _M__9_0
            b_n = P__b_n[_j]
            b_r = P__b_r[_j]
            b_z = P__b_z[_j]
            gx_n = P__gx_n[_j]
            gx_r = P__gx_r[_j]
            gx_z = P__gx_z[_j]
            mv__U_r = _X__7_0[_j]
            mv__U_z = _X__7_1[_j]
            mv__U_n = _X__7_2[_j]
            mx = _c_0_3333333333333333 * mean__7 + _c_0_3333333333333333 * mean__8 + _c_0_3333333333333333 * mean__9
            _x1 = -mx
            vx = _c_0_3333333333333333 * mean__10 + _c_0_3333333333333333 * mean__11 + _c_0_3333333333333333 * mean__12
            sx = np.sqrt(vx + _c_1em05)
            _x0 = _c_1 / sx
            xterm__1 = _x0 * gx_r * (_x1 + mv__U_r) + b_r
            xterm__2 = _x0 * gx_z * (_x1 + mv__U_z) + b_z
            xterm__3 = _x0 * gx_n * (_x1 + mv__U_n) + b_n
            _K__xterm__1_0[_j] = xterm__1
            _K__xterm__2_0[_j] = xterm__2
            _K__xterm__3_0[_j] = xterm__3


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_backward_level2(_t, _td, _b0, _b1, _H, M__10, M__11, M__12, M__13, M__8, M__9, P__gx_n, P__gx_r, P__gx_z, X__7, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__11, dV__gx_n, dV__gx_r, dV__gx_z, _L, _k):
    # adjoints of the input's level-2 means
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_0_5 = _k[_C_0_5]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__8 = _unowned(M__8)
    M__9 = _unowned(M__9)
    P__gx_n = _unowned(P__gx_n)
    P__gx_r = _unowned(P__gx_r)
    P__gx_z = _unowned(P__gx_z)
    X__7 = _unowned(X__7)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dM__11 = _unowned(dM__11)
    dV__gx_n = _unowned(dV__gx_n)
    dV__gx_r = _unowned(dV__gx_r)
    dV__gx_z = _unowned(dV__gx_z)
    for _b in range(_b0, _b1):
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _M__9_0 = M__9[_t, _b]
        _X__7_0 = X__7[_t, _b, :_H]
        _X__7_1 = X__7[_t, _b, _H:2 * _H]
        _X__7_2 = X__7[_t, _b, 2 * _H:3 * _H]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dM__11_0 = dM__11[_t, _b, :_H]
        _dV__gx_n_0 = dV__gx_n[_t, _b, :_H]
        _dV__gx_r_0 = dV__gx_r[_t, _b, :_H]
        _dV__gx_z_0 = dV__gx_z[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__11_0[_j] = 0
                _dV__gx_r_0[_j] = 0
                _dV__gx_z_0[_j] = 0
                _dV__gx_n_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__7 = _M__8_0
            mean__8 = _M__9_0
            gx_n = P__gx_n[_j]
            gx_r = P__gx_r[_j]
            gx_z = P__gx_z[_j]
            mv__U_r = _X__7_0[_j]
            mv__U_z = _X__7_1[_j]
            mv__U_n = _X__7_2[_j]
            d__xterm__1 = _dK__xterm__1_0[_j]
            d__xterm__2 = _dK__xterm__2_0[_j]
            d__xterm__3 = _dK__xterm__3_0[_j]
            mx = _c_0_3333333333333333 * mean__7 + _c_0_3333333333333333 * mean__8 + _c_0_3333333333333333 * mean__9
            _x2 = -mx
            _x3 = d__xterm__1 * (_x2 + mv__U_r)
            _x4 = d__xterm__2 * (_x2 + mv__U_z)
            _x5 = d__xterm__3 * (_x2 + mv__U_n)
            vx = _c_0_3333333333333333 * mean__10 + _c_0_3333333333333333 * mean__11 + _c_0_3333333333333333 * mean__12
            _x0 = np.sqrt(vx + _c_1em05)
            sx = _x0
            _x1 = _c_1 / (sx * sx)
            _x6 = _c_1 / sx
            d__sx = -(_x1 * _x3 * gx_r) - _x1 * _x4 * gx_z - _x1 * _x5 * gx_n
            d__vx = _c_0_5 * d__sx / _x0
            d__mean__10 = _c_0_3333333333333333 * d__vx
            d__gx_r = _x3 * _x6
            d__gx_z = _x4 * _x6
            d__gx_n = _x5 * _x6
            _dM__11_0[_j] = d__mean__10
            _dV__gx_r_0[_j] = d__gx_r
            _dV__gx_z_0[_j] = d__gx_z
            _dV__gx_n_0[_j] = d__gx_n


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_backward_level1(_t, _td, _b0, _b1, _H, M__10, M__11, M__12, M__13, M__8, M__9, P__gx_n, P__gx_r, P__gx_z, X__7, dA__11, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__8, _L, _k):
    # adjoints of the input's level-1 means
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__8 = _unowned(M__8)
    M__9 = _unowned(M__9)
    P__gx_n = _unowned(P__gx_n)
    P__gx_r = _unowned(P__gx_r)
    P__gx_z = _unowned(P__gx_z)
    X__7 = _unowned(X__7)
    dA__11 = _unowned(dA__11)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dM__8 = _unowned(dM__8)
    for _b in range(_b0, _b1):
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _M__9_0 = M__9[_t, _b]
        _X__7_0 = X__7[_t, _b, :_H]
        _X__7_1 = X__7[_t, _b, _H:2 * _H]
        _X__7_2 = X__7[_t, _b, 2 * _H:3 * _H]
        _dA__11_0 = dA__11[_t, _b]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dM__8_0 = dM__8[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__8_0[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__7 = _M__8_0
            mean__8 = _M__9_0
            gx_n = P__gx_n[_j]
            gx_r = P__gx_r[_j]
            gx_z = P__gx_z[_j]
            mv__U_r = _X__7_0[_j]
            mv__U_z = _X__7_1[_j]
            mv__U_n = _X__7_2[_j]
            da__11 = _dA__11_0
            da__12 = _dA__11_0
            da__13 = _dA__11_0
            d__xterm__1 = _dK__xterm__1_0[_j]
            d__xterm__2 = _dK__xterm__2_0[_j]
            d__xterm__3 = _dK__xterm__3_0[_j]
            mx = _c_0_3333333333333333 * mean__7 + _c_0_3333333333333333 * mean__8 + _c_0_3333333333333333 * mean__9
            _x1 = -(_c_2 * mx)
            vx = _c_0_3333333333333333 * mean__10 + _c_0_3333333333333333 * mean__11 + _c_0_3333333333333333 * mean__12
            sx = np.sqrt(vx + _c_1em05)
            _x0 = _c_1 / sx
            d__mx = -(_x0 * d__xterm__1 * gx_r) - _x0 * d__xterm__2 * gx_z - _x0 * d__xterm__3 * gx_n + da__11 * (-_x1 - _c_2 * mv__U_r) + da__12 * (-_x1 - _c_2 * mv__U_z) + da__13 * (-_x1 - _c_2 * mv__U_n)
            d__mean__7 = _c_0_3333333333333333 * d__mx
            _dM__8_0[_j] = d__mean__7


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _input_backward_level0(_t, _td, _b0, _b1, _H, M__10, M__11, M__12, M__13, M__8, M__9, P__gx_n, P__gx_r, P__gx_z, X__7, dA__11, dA__8, dK__xterm__1, dK__xterm__2, dK__xterm__3, dX__7, _L, _k):
    # the input's gradients after BPTT
    _c_0_3333333333333333 = _k[_C_0_3333333333333333]
    _c_1 = _k[_C_1]
    _c_1em05 = _k[_C_1EM05]
    _c_2 = _k[_C_2]
    M__10 = _unowned(M__10)
    M__11 = _unowned(M__11)
    M__12 = _unowned(M__12)
    M__13 = _unowned(M__13)
    M__8 = _unowned(M__8)
    M__9 = _unowned(M__9)
    P__gx_n = _unowned(P__gx_n)
    P__gx_r = _unowned(P__gx_r)
    P__gx_z = _unowned(P__gx_z)
    X__7 = _unowned(X__7)
    dA__11 = _unowned(dA__11)
    dA__8 = _unowned(dA__8)
    dK__xterm__1 = _unowned(dK__xterm__1)
    dK__xterm__2 = _unowned(dK__xterm__2)
    dK__xterm__3 = _unowned(dK__xterm__3)
    dX__7 = _unowned(dX__7)
    for _b in range(_b0, _b1):
        _M__10_0 = M__10[_t, _b]
        _M__11_0 = M__11[_t, _b]
        _M__12_0 = M__12[_t, _b]
        _M__13_0 = M__13[_t, _b]
        _M__8_0 = M__8[_t, _b]
        _M__9_0 = M__9[_t, _b]
        _X__7_0 = X__7[_t, _b, :_H]
        _X__7_1 = X__7[_t, _b, _H:2 * _H]
        _X__7_2 = X__7[_t, _b, 2 * _H:3 * _H]
        _dA__11_0 = dA__11[_t, _b]
        _dA__8_0 = dA__8[_t, _b]
        _dK__xterm__1_0 = dK__xterm__1[_t, _b, :_H]
        _dK__xterm__2_0 = dK__xterm__2[_t, _b, :_H]
        _dK__xterm__3_0 = dK__xterm__3[_t, _b, :_H]
        _dX__7_0 = dX__7[_t, _b, :_H]
        _dX__7_1 = dX__7[_t, _b, _H:2 * _H]
        _dX__7_2 = dX__7[_t, _b, 2 * _H:3 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dX__7_0[_j] = 0
                _dX__7_1[_j] = 0
                _dX__7_2[_j] = 0
            continue
        for _j in range(_H):
            mean__9 = _M__10_0
            mean__10 = _M__11_0
            mean__11 = _M__12_0
            mean__12 = _M__13_0
            mean__7 = _M__8_0
            mean__8 = _M__9_0
            gx_n = P__gx_n[_j]
            gx_r = P__gx_r[_j]
            gx_z = P__gx_z[_j]
            mv__U_r = _X__7_0[_j]
            mv__U_z = _X__7_1[_j]
            mv__U_n = _X__7_2[_j]
            da__11 = _dA__11_0
            da__12 = _dA__11_0
            da__13 = _dA__11_0
            da__10 = _dA__8_0
            da__8 = _dA__8_0
            da__9 = _dA__8_0
            d__xterm__1 = _dK__xterm__1_0[_j]
            d__xterm__2 = _dK__xterm__2_0[_j]
            d__xterm__3 = _dK__xterm__3_0[_j]
            mx = _c_0_3333333333333333 * mean__7 + _c_0_3333333333333333 * mean__8 + _c_0_3333333333333333 * mean__9
            _x1 = -(_c_2 * mx)
            vx = _c_0_3333333333333333 * mean__10 + _c_0_3333333333333333 * mean__11 + _c_0_3333333333333333 * mean__12
            sx = np.sqrt(vx + _c_1em05)
            _x0 = _c_1 / sx
            d__mv__U_n = _x0 * d__xterm__3 * gx_n + da__10 + da__13 * (_x1 + _c_2 * mv__U_n)
            d__mv__U_z = _x0 * d__xterm__2 * gx_z + da__12 * (_x1 + _c_2 * mv__U_z) + da__9
            d__mv__U_r = _x0 * d__xterm__1 * gx_r + da__11 * (_x1 + _c_2 * mv__U_r) + da__8
            _dX__7_0[_j] = d__mv__U_r
            _dX__7_1[_j] = d__mv__U_z
            _dX__7_2[_j] = d__mv__U_n


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, X__7, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__8, M__9, M__10, M__11, M__12, M__13, A__4, A__5, A__6, A__11, A__12, A__13, K__r, K__z, K__n, K__xterm__1, K__xterm__2, K__xterm__3, Wt__7, Wt__0__panels, P__gx_r, P__gh_r, P__b_r, P__gx_z, P__gh_z, P__b_z, P__gx_n, P__b_n, P__gh_n, P__bh_n, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_t, _b0:_b1], _tail)  # (W_r, W_z, W_n) @ h
        _row_means(M__0[_t], _b0, _b1, 0, _H, M__1[_t])  # mean((W_r @ h))
        _row_means(M__0[_t], _b0, _b1, _H, 2 * _H, M__2[_t])  # mean((W_z @ h))
        _row_means(M__0[_t], _b0, _b1, 2 * _H, 3 * _H, M__3[_t])  # mean((W_n @ h))
        _forward_level2(_t, 0, _b0, _b1, _H, A__4, A__5, A__6, M__0, M__1, M__2, M__3, _L, _k)
        _row_means(A__4, _b0, _b1, 0, _H, M__4[_t])  # mean(((W_r @ h) - mh)**2)
        _row_means(A__5, _b0, _b1, 0, _H, M__5[_t])  # mean(((W_z @ h) - mh)**2)
        _row_means(A__6, _b0, _b1, 0, _H, M__6[_t])  # mean(((W_n @ h) - mh)**2)
        _forward_step(_t, 0, _b0, _b1, _H, K__n, K__r, K__xterm__1, K__xterm__2, K__xterm__3, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, X__7, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__8, M__9, M__10, M__11, M__12, M__13, K__r, K__z, K__n, K__xterm__1, K__xterm__2, K__xterm__3, W__7, W__0__panels, P__gx_r, P__gh_r, P__b_r, P__gx_z, P__gh_z, P__b_z, P__gx_n, P__b_n, P__gh_n, P__bh_n, dy__seq, G__h, Gn__h, dM__0, dM__1, dM__4, dM__8, dM__11, dK__xterm__1, dK__xterm__2, dK__xterm__3, dX__7, dA__0, dA__1, dA__4, dA__8, dA__11, dV__gx_r, dV__gx_z, dV__gx_n, dR__gh_r, dR__gh_z, dR__gh_n, dR__bh_n, dP__dV__gx_r, dP__dK__xterm__1, dP__dV__gx_z, dP__dK__xterm__2, dP__dV__gx_n, dP__dK__xterm__3, dW__0, dW__7, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level3(_t, _td, _b0, _b1, _H, G__h, K__n, K__r, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__4, dR__bh_n, dR__gh_n, dR__gh_r, dR__gh_z, dy__seq, _L, _k)
        _row_means(dM__4, _b0, _b1, 0, _H, dA__4)  # d(((W_r @ h) - mh)**2) from d(mean(((W_r @ h) - mh)**2))
        _backward_level2(_t, _td, _b0, _b1, _H, G__h, K__n, K__r, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, dA__4, dM__1, dy__seq, _L, _k)
        _row_means(dM__1, _b0, _b1, 0, _H, dA__1)  # d((W_r @ h)) from d(mean((W_r @ h)))
        _backward_level1(_t, _td, _b0, _b1, _H, G__h, K__n, K__r, K__z, M__0, M__1, M__2, M__3, M__4, M__5, M__6, P__bh_n, P__gh_n, P__gh_r, P__gh_z, S__h, dA__1, dA__4, dM__0, dy__seq, _L, _k)
        _step_product(dM__0[_t, _b0:_b1], W__0__panels, dA__0[_b0:_b1], _tail)  # d(h) from d(W_r, W_z, W_n @ h)
        _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, K__z, dA__0, dy__seq, _L, _k)
        G__h, Gn__h = Gn__h, G__h
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)



@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_stage(x__rows, S__h, X__7, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__8, M__9, M__10, M__11, M__12, M__13, A__4, A__5, A__6, A__11, A__12, A__13, K__r, K__z, K__n, K__xterm__1, K__xterm__2, K__xterm__3, Wt__7, Wt__0__panels, P__gx_r, P__gh_r, P__b_r, P__gx_z, P__gh_z, P__b_z, P__gx_n, P__b_n, P__gh_n, P__bh_n, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Before the recurrence, the input's terms of every step (pass hoist_input_norms): the
    # driver passes the [T, B] arrays as one step of T * B rows, rows _b0.._b1 of them.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _t = 0
    for _c0 in range(_b0, _b1, _STAGE_ROWS):
        _c1 = min(_c0 + _STAGE_ROWS, _b1)
        _row_means(X__7[_t], _c0, _c1, 0, _H, M__8[_t])  # mean((U_r @ x))
        _row_means(X__7[_t], _c0, _c1, _H, 2 * _H, M__9[_t])  # mean((U_z @ x))
        _row_means(X__7[_t], _c0, _c1, 2 * _H, 3 * _H, M__10[_t])  # mean((U_n @ x))
        _input_level1(_t, 0, _c0, _c1, _H, A__11, A__12, A__13, M__10, M__8, M__9, X__7, _L, _k)
        _row_means(A__11[_t], _c0, _c1, 0, _H, M__11[_t])  # mean(((U_r @ x) - mx)**2)
        _row_means(A__12[_t], _c0, _c1, 0, _H, M__12[_t])  # mean(((U_z @ x) - mx)**2)
        _row_means(A__13[_t], _c0, _c1, 0, _H, M__13[_t])  # mean(((U_n @ x) - mx)**2)
        _input_terms(_t, 0, _c0, _c1, _H, K__xterm__1, K__xterm__2, K__xterm__3, M__10, M__11, M__12, M__13, M__8, M__9, P__b_n, P__b_r, P__b_z, P__gx_n, P__gx_r, P__gx_z, X__7, _L, _k)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_stage(x__rows, S__h, X__7, M__0, M__1, M__2, M__3, M__4, M__5, M__6, M__8, M__9, M__10, M__11, M__12, M__13, K__r, K__z, K__n, K__xterm__1, K__xterm__2, K__xterm__3, W__7, W__0__panels, P__gx_r, P__gh_r, P__b_r, P__gx_z, P__gh_z, P__b_z, P__gx_n, P__b_n, P__gh_n, P__bh_n, dy__seq, G__h, Gn__h, dM__0, dM__1, dM__4, dM__8, dM__11, dK__xterm__1, dK__xterm__2, dK__xterm__3, dX__7, dA__0, dA__1, dA__4, dA__8, dA__11, dV__gx_r, dV__gx_z, dV__gx_n, dR__gh_r, dR__gh_z, dR__gh_n, dR__bh_n, dP__dV__gx_r, dP__dK__xterm__1, dP__dV__gx_z, dP__dK__xterm__2, dP__dV__gx_n, dP__dK__xterm__3, dW__0, dW__7, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # After BPTT, the gradients through the input's terms, over the same rows.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _t = 0
    for _c0 in range(_b0, _b1, _STAGE_ROWS):
        _c1 = min(_c0 + _STAGE_ROWS, _b1)
        _input_backward_level2(_t, 0, _c0, _c1, _H, M__10, M__11, M__12, M__13, M__8, M__9, P__gx_n, P__gx_r, P__gx_z, X__7, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__11, dV__gx_n, dV__gx_r, dV__gx_z, _L, _k)
        _row_means(dM__11[_t], _c0, _c1, 0, _H, dA__11[_t])  # d(((U_r @ x) - mx)**2) from d(mean(((U_r @ x) - mx)**2))
        _input_backward_level1(_t, 0, _c0, _c1, _H, M__10, M__11, M__12, M__13, M__8, M__9, P__gx_n, P__gx_r, P__gx_z, X__7, dA__11, dK__xterm__1, dK__xterm__2, dK__xterm__3, dM__8, _L, _k)
        _row_means(dM__8[_t], _c0, _c1, 0, _H, dA__8[_t])  # d((U_r @ x)) from d(mean((U_r @ x)))
        _input_backward_level0(_t, 0, _c0, _c1, _H, M__10, M__11, M__12, M__13, M__8, M__9, P__gx_n, P__gx_r, P__gx_z, X__7, dA__11, dA__8, dK__xterm__1, dK__xterm__2, dK__xterm__3, dX__7, _L, _k)


_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W_r", "W_z", "W_n", ),
        7: ("U_r", "U_z", "U_n", ),
    },
    widest=3,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('X__7', 'tape', shape=('T', 'B', '3H')),
        _Array('M__0', 'tape', shape=('T', 'B', '3H')),
        _Array('M__1', 'tape', shape=('T', 'B')),
        _Array('M__2', 'tape', shape=('T', 'B')),
        _Array('M__3', 'tape', shape=('T', 'B')),
        _Array('M__4', 'tape', shape=('T', 'B')),
        _Array('M__5', 'tape', shape=('T', 'B')),
        _Array('M__6', 'tape', shape=('T', 'B')),
        _Array('M__8', 'tape', shape=('T', 'B')),
        _Array('M__9', 'tape', shape=('T', 'B')),
        _Array('M__10', 'tape', shape=('T', 'B')),
        _Array('M__11', 'tape', shape=('T', 'B')),
        _Array('M__12', 'tape', shape=('T', 'B')),
        _Array('M__13', 'tape', shape=('T', 'B')),
        _Array('A__4', 'scratch', shape=('B', 'H')),
        _Array('A__5', 'scratch', shape=('B', 'H')),
        _Array('A__6', 'scratch', shape=('B', 'H')),
        _Array('A__11', 'work', shape=('T', 'B', 'H')),
        _Array('A__12', 'work', shape=('T', 'B', 'H')),
        _Array('A__13', 'work', shape=('T', 'B', 'H')),
        _Array('K__r', 'tape', shape=('T', 'B', 'H')),
        _Array('K__z', 'tape', shape=('T', 'B', 'H')),
        _Array('K__n', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__1', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__2', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__3', 'tape', shape=('T', 'B', 'H')),
        _Array('Wt__7', 'weights', group=7, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('P__gx_r', 'vector', param='gx_r'),
        _Array('P__gh_r', 'vector', param='gh_r'),
        _Array('P__b_r', 'vector', param='b_r'),
        _Array('P__gx_z', 'vector', param='gx_z'),
        _Array('P__gh_z', 'vector', param='gh_z'),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__gx_n', 'vector', param='gx_n'),
        _Array('P__b_n', 'vector', param='b_n'),
        _Array('P__gh_n', 'vector', param='gh_n'),
        _Array('P__bh_n', 'vector', param='bh_n'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__7', 'tape', shape=('T', 'B', '3H')),
        _Array('M__0', 'tape', shape=('T', 'B', '3H')),
        _Array('M__1', 'tape', shape=('T', 'B')),
        _Array('M__2', 'tape', shape=('T', 'B')),
        _Array('M__3', 'tape', shape=('T', 'B')),
        _Array('M__4', 'tape', shape=('T', 'B')),
        _Array('M__5', 'tape', shape=('T', 'B')),
        _Array('M__6', 'tape', shape=('T', 'B')),
        _Array('M__8', 'tape', shape=('T', 'B')),
        _Array('M__9', 'tape', shape=('T', 'B')),
        _Array('M__10', 'tape', shape=('T', 'B')),
        _Array('M__11', 'tape', shape=('T', 'B')),
        _Array('M__12', 'tape', shape=('T', 'B')),
        _Array('M__13', 'tape', shape=('T', 'B')),
        _Array('K__r', 'tape', shape=('T', 'B', 'H')),
        _Array('K__z', 'tape', shape=('T', 'B', 'H')),
        _Array('K__n', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__1', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__2', 'tape', shape=('T', 'B', 'H')),
        _Array('K__xterm__3', 'tape', shape=('T', 'B', 'H')),
        _Array('W__7', 'weights', group=7),
        _Array('W__0__panels', 'panels', group=0),
        _Array('P__gx_r', 'vector', param='gx_r'),
        _Array('P__gh_r', 'vector', param='gh_r'),
        _Array('P__b_r', 'vector', param='b_r'),
        _Array('P__gx_z', 'vector', param='gx_z'),
        _Array('P__gh_z', 'vector', param='gh_z'),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__gx_n', 'vector', param='gx_n'),
        _Array('P__b_n', 'vector', param='b_n'),
        _Array('P__gh_n', 'vector', param='gh_n'),
        _Array('P__bh_n', 'vector', param='bh_n'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('dM__0', 'work', shape=('T', 'B', '3H')),
        _Array('dM__1', 'scratch', shape=('B', 'H')),
        _Array('dM__4', 'scratch', shape=('B', 'H')),
        _Array('dM__8', 'work', shape=('T', 'B', 'H')),
        _Array('dM__11', 'work', shape=('T', 'B', 'H')),
        _Array('dK__xterm__1', 'work', shape=('T', 'B', 'H')),
        _Array('dK__xterm__2', 'work', shape=('T', 'B', 'H')),
        _Array('dK__xterm__3', 'work', shape=('T', 'B', 'H')),
        _Array('dX__7', 'work', shape=('T', 'B', '3H')),
        _Array('dA__0', 'scratch', shape=('B', 'H')),
        _Array('dA__1', 'scratch', shape=('B', 'H')),
        _Array('dA__4', 'scratch', shape=('B', 'H')),
        _Array('dA__8', 'work', shape=('T', 'B')),
        _Array('dA__11', 'work', shape=('T', 'B')),
        _Array('dV__gx_r', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gx_z', 'work', shape=('T', 'B', 'H')),
        _Array('dV__gx_n', 'work', shape=('T', 'B', 'H')),
        _Array('dR__gh_r', 'vector_rows', shape=('B', 'H')),
        _Array('dR__gh_z', 'vector_rows', shape=('B', 'H')),
        _Array('dR__gh_n', 'vector_rows', shape=('B', 'H')),
        _Array('dR__bh_n', 'vector_rows', shape=('B', 'H')),
        _Array('dP__dV__gx_r', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__1', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gx_z', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__2', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__gx_n', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dK__xterm__3', 'vector_grad', shape=('1', 'H')),
        _Array('dW__0', 'weight_grad', shape=('H', '3H')),
        _Array('dW__7', 'weight_grad', shape=('I', '3H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "W_r": (("dW__0", 0), ),
        "W_z": (("dW__0", 1), ),
        "W_n": (("dW__0", 2), ),
        "U_r": (("dW__7", 0), ),
        "U_z": (("dW__7", 1), ),
        "U_n": (("dW__7", 2), ),
        "gx_r": (("dP__dV__gx_r", 0), ),
        "gh_r": (("dR__gh_r", 0), ),
        "b_r": (("dP__dK__xterm__1", 0), ),
        "gx_z": (("dP__dV__gx_z", 0), ),
        "gh_z": (("dR__gh_z", 0), ),
        "b_z": (("dP__dK__xterm__2", 0), ),
        "gx_n": (("dP__dV__gx_n", 0), ),
        "b_n": (("dP__dK__xterm__3", 0), ),
        "gh_n": (("dR__gh_n", 0), ),
        "bh_n": (("dR__bh_n", 0), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows, _forward_stage, _backward_stage),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__7'), _Rows('X__7', columns='3H'), comment='(U_r, U_z, U_n) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dM__0', columns='3H'), _Rows('dW__0'), transpose_a=True, comment='d(W_r, W_z, W_n), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dX__7', columns='3H'), _Rows('dW__7'), transpose_a=True, comment='d(U_r, U_z, U_n), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dX__7', columns='3H'), _Rows('W__7'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_r, U_z, U_n @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dV__gx_r', columns='H'), (0,), 'dP__dV__gx_r'),
        _VectorSum(_Rows('dK__xterm__1', columns='H'), (0,), 'dP__dK__xterm__1'),
        _VectorSum(_Rows('dV__gx_z', columns='H'), (0,), 'dP__dV__gx_z'),
        _VectorSum(_Rows('dK__xterm__2', columns='H'), (0,), 'dP__dK__xterm__2'),
        _VectorSum(_Rows('dV__gx_n', columns='H'), (0,), 'dP__dV__gx_n'),
        _VectorSum(_Rows('dK__xterm__3', columns='H'), (0,), 'dP__dK__xterm__3'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
