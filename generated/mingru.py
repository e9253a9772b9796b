"""mingru: a recurrent cell compiled by cellgen 0.1.0 from mingru.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    z = sigmoid(U_z @ x + b_z)
    n = U_h @ x + b_h
    h' = (1 - z) * h + z * n
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dn = dh'*z
    d(U_h @ x) = dn
    dz = dh'*(-h + n)
    d(U_z @ x) = dz*z*(1 - z)
    dh = dh'*(1 - z)
    db_z = dz*z*(1 - z)
    db_h = dn
    dx += dA0
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
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
BUILD = "e47f29a76127ff43"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "mingru"
INPUT = "x"
STATES = ("h", )
OUTPUT = "h"
PARAMS = {
    "U_z": ("hidden", "input", ),
    "b_z": ("hidden", ),
    "U_h": ("hidden", "input", ),
    "b_h": ("hidden", ),
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
def _forward_step(_t, _td, _b0, _b1, _H, P__b_h, P__b_z, S__h, X__0, _L, _k):
    # new states
    _c_1 = _k[_C_1]
    P__b_h = _unowned(P__b_h)
    P__b_z = _unowned(P__b_z)
    S__h = _unowned(S__h)
    X__0 = _unowned(X__0)
    for _b in range(_b0, _b1):
        _S__h_0 = S__h[_t, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _X__0_0 = X__0[_t, _b, :_H]
        _X__0_1 = X__0[_t, _b, _H:2 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
            continue
        for _j in range(_H):
            b_h = P__b_h[_j]
            b_z = P__b_z[_j]
            h = _S__h_0[_j]
            mv__U_z = _X__0_0[_j]
            mv__U_h = _X__0_1[_j]
            z = _sigmoid(b_z + mv__U_z)
            n = b_h + mv__U_h
            h__new = h * (_c_1 - z) + n * z
            _S__h_next_0[_j] = h__new


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, P__b_h, P__b_z, S__h, X__0, dX__0, dy__seq, _L, _k):
    # adjoints from the step's outputs
    _c_1 = _k[_C_1]
    G__h = _unowned(G__h)
    Gn__h = _unowned(Gn__h)
    P__b_h = _unowned(P__b_h)
    P__b_z = _unowned(P__b_z)
    S__h = _unowned(S__h)
    X__0 = _unowned(X__0)
    dX__0 = _unowned(dX__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _Gn__h_0 = Gn__h[_b, :_H]
        _S__h_0 = S__h[_t, _b, :_H]
        _X__0_0 = X__0[_t, _b, :_H]
        _X__0_1 = X__0[_t, _b, _H:2 * _H]
        _dX__0_0 = dX__0[_t, _b, :_H]
        _dX__0_1 = dX__0[_t, _b, _H:2 * _H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dX__0_0[_j] = 0
                _dX__0_1[_j] = 0
                _Gn__h_0[_j] = G__h[_b, _j]
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            b_h = P__b_h[_j]
            b_z = P__b_z[_j]
            h = _S__h_0[_j]
            mv__U_z = _X__0_0[_j]
            mv__U_h = _X__0_1[_j]
            dy__out = _dy__seq_0[_j]
            z = _sigmoid(b_z + mv__U_z)
            _x0 = _c_1 - z
            n = b_h + mv__U_h
            d__h__new = dy__out + g__h__new
            d__n = d__h__new * z
            d__mv__U_h = d__n
            d__z = d__h__new * (-h + n)
            d__mv__U_z = _x0 * d__z * z
            d__h = _x0 * d__h__new
            _dX__0_0[_j] = d__mv__U_z
            _dX__0_1[_j] = d__mv__U_h
            _Gn__h_0[_j] = d__h


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, X__0, Wt__0, P__b_z, P__b_h, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _forward_step(_t, 0, _b0, _b1, _H, P__b_h, P__b_z, S__h, X__0, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, X__0, W__0, P__b_z, P__b_h, dy__seq, G__h, Gn__h, dX__0, dP__dX__0, dW__0, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, P__b_h, P__b_z, S__h, X__0, dX__0, dy__seq, _L, _k)
        G__h, Gn__h = Gn__h, G__h
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("U_z", "U_h", ),
    },
    widest=2,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('X__0', 'tape', shape=('T', 'B', '2H')),
        _Array('Wt__0', 'weights', group=0, transpose=True),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__b_h', 'vector', param='b_h'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__0', 'tape', shape=('T', 'B', '2H')),
        _Array('W__0', 'weights', group=0),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__b_h', 'vector', param='b_h'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('dX__0', 'work', shape=('T', 'B', '2H')),
        _Array('dP__dX__0', 'vector_grad', shape=('2', 'H')),
        _Array('dW__0', 'weight_grad', shape=('I', '2H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "U_z": (("dW__0", 0), ),
        "b_z": (("dP__dX__0", 0), ),
        "U_h": (("dW__0", 1), ),
        "b_h": (("dP__dX__0", 1), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__0'), _Rows('X__0', columns='2H'), comment='(U_z, U_h) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('x__rows', columns='I'), _Rows('dX__0', columns='2H'), _Rows('dW__0'), transpose_a=True, comment='d(U_z, U_h), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dX__0', columns='2H'), _Rows('W__0'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_z, U_h @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dX__0', columns='2H'), (0, 1), 'dP__dX__0'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
