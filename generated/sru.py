"""sru: a recurrent cell compiled by cellgen 0.1.0 from sru.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (c are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    f = sigmoid(U_f @ x + v_f * c + b_f)
    r = sigmoid(U_r @ x + v_r * c + b_r)
    c' = f * c + (1 - f) * U_c @ x
    h = r * c' + (1 - r) * U_h @ x
    output: h

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh = dy
    d(U_h @ x) = dh*(1 - r)
    dc' = dh*r + g_c
    d(U_c @ x) = dc'*(1 - f)
    dr = dh*(-(U_h @ x) + c')
    d(U_r @ x) = dr*r*(1 - r)
    df = dc'*(-(U_c @ x) + c)
    d(U_f @ x) = df*f*(1 - f)
    dc = dc'*f + df*f*v_f*(1 - f) + dr*r*v_r*(1 - r)
    dv_f = c*df*f*(1 - f)
    db_f = df*f*(1 - f)
    dv_r = c*dr*r*(1 - r)
    db_r = dr*r*(1 - r)
    dx += dA0
where
    g_c: gradient of the loss w.r.t. c at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
"""
import numba
import numpy as np

import cellgen.runtime as _runtime
from cellgen.runtime import buffers as _buffers, driver as _driver, packed as _packed
from cellgen.runtime.activations import sigmoid as _sigmoid
from cellgen.runtime.rows import copy_rows as _copy_rows, freeze_rows as _freeze_rows, unowned as _unowned
from cellgen.runtime.step_products import PANEL as _PANEL, TILE_ROWS as _TILE_ROWS, step_product as _step_product
from cellgen.runtime.table import Array as _Array, Cell as _Cell, Drivers as _Drivers, Product as _Product
from cellgen.runtime.table import RowKernel as _RowKernel, Rows as _Rows, VectorSum as _VectorSum

RUNTIME = "f5be83476c73fab6"  # the cellgen.runtime this module was built against
BUILD = "fecc452af3daa594"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "sru"
INPUT = "x"
STATES = ("c", )
OUTPUT = "h"
PARAMS = {
    "U_f": ("hidden", "input", ),
    "v_f": ("hidden", ),
    "b_f": ("hidden", ),
    "U_r": ("hidden", "input", ),
    "v_r": ("hidden", ),
    "b_r": ("hidden", ),
    "U_c": ("hidden", "input", ),
    "U_h": ("hidden", "input", ),
}
INIT = {
}
SIZES = ()  # sizes beyond input and hidden
STATE_SIZES = ("hidden", )  # each state's size, in STATES order
OUTPUT_SIZE = "hidden"
MASKS = {  # values the caller gives: "step" [T, B, size], "sequence" [B, size]
}

# One name for these bytes under any import name: Numba's cache stores it (see adopt).
__name__ = _runtime.adopt(globals(), BUILD)

# Every number of the equations, read in the data's dtype so float32 stays float32.
_CONSTANTS = (1.0, )
_C_1 = 0



# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_step(_t, _td, _b0, _b1, _H, P__b_f, P__b_r, P__v_f, P__v_r, S__c, X__0, y__seq, _L, _k):
    # new states and the output
    _c_1 = _k[_C_1]
    P__b_f = _unowned(P__b_f)
    P__b_r = _unowned(P__b_r)
    P__v_f = _unowned(P__v_f)
    P__v_r = _unowned(P__v_r)
    S__c = _unowned(S__c)
    X__0 = _unowned(X__0)
    y__seq = _unowned(y__seq)
    for _b in range(_b0, _b1):
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _X__0_0 = X__0[_t, _b, :_H]
        _X__0_1 = X__0[_t, _b, _H:2 * _H]
        _X__0_2 = X__0[_t, _b, 2 * _H:3 * _H]
        _X__0_3 = X__0[_t, _b, 3 * _H:4 * _H]
        _y__seq_0 = y__seq[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__c_next_0[_j] = S__c[_t, _b, _j]
                _y__seq_0[_j] = 0
            continue
        for _j in range(_H):
            b_f = P__b_f[_j]
            b_r = P__b_r[_j]
            v_f = P__v_f[_j]
            v_r = P__v_r[_j]
            c = _S__c_0[_j]
            mv__U_f = _X__0_0[_j]
            mv__U_r = _X__0_1[_j]
            mv__U_c = _X__0_2[_j]
            mv__U_h = _X__0_3[_j]
            f = _sigmoid(b_f + c * v_f + mv__U_f)
            r = _sigmoid(b_r + c * v_r + mv__U_r)
            c__new = c * f + mv__U_c * (_c_1 - f)
            h = c__new * r + mv__U_h * (_c_1 - r)
            _S__c_next_0[_j] = c__new
            _y__seq_0[_j] = h


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level0(_t, _td, _b0, _b1, _H, G__c, Gn__c, P__b_f, P__b_r, P__v_f, P__v_r, S__c, X__0, dV__v_f, dV__v_r, dX__0, dy__seq, _L, _k):
    # adjoints from the step's outputs
    _c_1 = _k[_C_1]
    G__c = _unowned(G__c)
    Gn__c = _unowned(Gn__c)
    P__b_f = _unowned(P__b_f)
    P__b_r = _unowned(P__b_r)
    P__v_f = _unowned(P__v_f)
    P__v_r = _unowned(P__v_r)
    S__c = _unowned(S__c)
    X__0 = _unowned(X__0)
    dV__v_f = _unowned(dV__v_f)
    dV__v_r = _unowned(dV__v_r)
    dX__0 = _unowned(dX__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__c_0 = G__c[_b, :_H]
        _Gn__c_0 = Gn__c[_b, :_H]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _X__0_0 = X__0[_t, _b, :_H]
        _X__0_1 = X__0[_t, _b, _H:2 * _H]
        _X__0_2 = X__0[_t, _b, 2 * _H:3 * _H]
        _X__0_3 = X__0[_t, _b, 3 * _H:4 * _H]
        _dV__v_f_0 = dV__v_f[_t, _b, :_H]
        _dV__v_r_0 = dV__v_r[_t, _b, :_H]
        _dX__0_0 = dX__0[_t, _b, :_H]
        _dX__0_1 = dX__0[_t, _b, _H:2 * _H]
        _dX__0_2 = dX__0[_t, _b, 2 * _H:3 * _H]
        _dX__0_3 = dX__0[_t, _b, 3 * _H:4 * _H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dX__0_0[_j] = 0
                _dX__0_1[_j] = 0
                _dX__0_2[_j] = 0
                _dX__0_3[_j] = 0
                _Gn__c_0[_j] = G__c[_b, _j]
                _dV__v_f_0[_j] = 0
                _dV__v_r_0[_j] = 0
            continue
        for _j in range(_H):
            g__c__new = _G__c_0[_j]
            b_f = P__b_f[_j]
            b_r = P__b_r[_j]
            v_f = P__v_f[_j]
            v_r = P__v_r[_j]
            c = _S__c_0[_j]
            c__new = _S__c_next_0[_j]
            mv__U_f = _X__0_0[_j]
            mv__U_r = _X__0_1[_j]
            mv__U_c = _X__0_2[_j]
            mv__U_h = _X__0_3[_j]
            dy__out = _dy__seq_0[_j]
            f = _sigmoid(b_f + c * v_f + mv__U_f)
            _x1 = _c_1 - f
            r = _sigmoid(b_r + c * v_r + mv__U_r)
            _x0 = _c_1 - r
            d__h = dy__out
            d__mv__U_h = _x0 * d__h
            d__c__new = d__h * r + g__c__new
            d__mv__U_c = _x1 * d__c__new
            d__r = d__h * (c__new - mv__U_h)
            _x2 = _x0 * d__r * r
            d__mv__U_r = _x2
            d__f = d__c__new * (c - mv__U_c)
            _x3 = _x1 * d__f * f
            d__mv__U_f = _x3
            d__c = _x2 * v_r + _x3 * v_f + d__c__new * f
            d__v_f = _x3 * c
            d__v_r = _x2 * c
            _dX__0_0[_j] = d__mv__U_f
            _dX__0_1[_j] = d__mv__U_r
            _dX__0_2[_j] = d__mv__U_c
            _dX__0_3[_j] = d__mv__U_h
            _Gn__c_0[_j] = d__c
            _dV__v_f_0[_j] = d__v_f
            _dV__v_r_0[_j] = d__v_r


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__c, X__0, Wt__0, P__v_f, P__b_f, P__v_r, P__b_r, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__c.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _forward_step(_t, 0, _b0, _b1, _H, P__b_f, P__b_r, P__v_f, P__v_r, S__c, X__0, y__seq, _L, _k)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__c, X__0, W__0, P__v_f, P__b_f, P__v_r, P__b_r, dy__seq, G__c, Gn__c, dX__0, dV__v_f, dV__v_r, dP__dX__0, dP__dV__v_f, dP__dV__v_r, dW__0, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__c, so the next chunk of steps picks them up.
    _H = S__c.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level0(_t, _td, _b0, _b1, _H, G__c, Gn__c, P__b_f, P__b_r, P__v_f, P__v_r, S__c, X__0, dV__v_f, dV__v_r, dX__0, dy__seq, _L, _k)
        G__c, Gn__c = Gn__c, G__c
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__c, Gn__c, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=False, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("U_f", "U_r", "U_c", "U_h", ),
    },
    widest=4,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__c', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('X__0', 'tape', shape=('T', 'B', '4H')),
        _Array('Wt__0', 'weights', group=0, transpose=True),
        _Array('P__v_f', 'vector', param='v_f'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__v_r', 'vector', param='v_r'),
        _Array('P__b_r', 'vector', param='b_r'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__c', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__0', 'tape', shape=('T', 'B', '4H')),
        _Array('W__0', 'weights', group=0),
        _Array('P__v_f', 'vector', param='v_f'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__v_r', 'vector', param='v_r'),
        _Array('P__b_r', 'vector', param='b_r'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__c', 'carry', shape=('B', 'H'), index=0),
        _Array('Gn__c', 'carry_next', shape=('B', 'H'), index=0),
        _Array('dX__0', 'work', shape=('T', 'B', '4H')),
        _Array('dV__v_f', 'work', shape=('T', 'B', 'H')),
        _Array('dV__v_r', 'work', shape=('T', 'B', 'H')),
        _Array('dP__dX__0', 'vector_grad', shape=('2', 'H')),
        _Array('dP__dV__v_f', 'vector_grad', shape=('1', 'H')),
        _Array('dP__dV__v_r', 'vector_grad', shape=('1', 'H')),
        _Array('dW__0', 'weight_grad', shape=('I', '4H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "U_f": (("dW__0", 0), ),
        "v_f": (("dP__dV__v_f", 0), ),
        "b_f": (("dP__dX__0", 0), ),
        "U_r": (("dW__0", 1), ),
        "v_r": (("dP__dV__v_r", 0), ),
        "b_r": (("dP__dX__0", 1), ),
        "U_c": (("dW__0", 2), ),
        "U_h": (("dW__0", 3), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__0'), _Rows('X__0', columns='4H'), comment='(U_f, U_r, U_c, U_h) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('x__rows', columns='I'), _Rows('dX__0', columns='4H'), _Rows('dW__0'), transpose_a=True, comment='d(U_f, U_r, U_c, U_h), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dX__0', columns='4H'), _Rows('W__0'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_f, U_r, U_c, U_h @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dX__0', columns='4H'), (0, 1), 'dP__dX__0'),
        _VectorSum(_Rows('dV__v_f', columns='H'), (0,), 'dP__dV__v_f'),
        _VectorSum(_Rows('dV__v_r', columns='H'), (0,), 'dP__dV__v_r'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
