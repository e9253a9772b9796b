"""rnn: a recurrent cell compiled by cellgen 0.1.0 from rnn.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    h' = tanh(W @ h + U @ x + b)
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    d(U @ x) = dh'*(1 - h'**2)
    d(W @ h) = dh'*(1 - h'**2)
    dh = dA0
    db = dh'*(1 - h'**2)
    dx += dA1
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W]^T @ [d(W @ h)], one GEMM
"""
import numba
import numpy as np

import cellgen.runtime as _runtime
from cellgen.runtime import buffers as _buffers, driver as _driver, packed as _packed
from cellgen.runtime.activations import tanh as _tanh
from cellgen.runtime.rows import copy_rows as _copy_rows, freeze_rows as _freeze_rows, unowned as _unowned
from cellgen.runtime.step_products import PANEL as _PANEL, TILE_ROWS as _TILE_ROWS, step_product as _step_product
from cellgen.runtime.table import Array as _Array, Cell as _Cell, Drivers as _Drivers, Product as _Product
from cellgen.runtime.table import RowKernel as _RowKernel, Rows as _Rows, VectorSum as _VectorSum

RUNTIME = "f5be83476c73fab6"  # the cellgen.runtime this module was built against
BUILD = "40a38ca7e2cc90ca"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "rnn"
INPUT = "x"
STATES = ("h", )
OUTPUT = "h"
PARAMS = {
    "W": ("hidden", "hidden", ),
    "U": ("hidden", "input", ),
    "b": ("hidden", ),
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
def _forward_step(_t, _td, _b0, _b1, _H, M__0, P__b, S__h, X__1, _L, _k):
    # new states
    M__0 = _unowned(M__0)
    P__b = _unowned(P__b)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    for _b in range(_b0, _b1):
        _M__0_0 = M__0[_b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _X__1_0[_j] = 0
            continue
        for _j in range(_H):
            mv__W = _M__0_0[_j]
            b = P__b[_j]
            mv__U = _X__1_0[_j]
            h__new = _tanh(b + mv__U + mv__W)
            _S__h_next_0[_j] = h__new
            _X__1_0[_j] = h__new


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, G__h, S__h, dM__0, dy__seq, _L, _k):
    # adjoints from the step's outputs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G__h = _unowned(G__h)
    S__h = _unowned(S__h)
    dM__0 = _unowned(dM__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _dM__0_0 = dM__0[_t, _b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM__0_0[_j] = 0
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            h__new = _S__h_next_0[_j]
            dy__out = _dy__seq_0[_j]
            d__h__new = dy__out + g__h__new
            d__mv__W = d__h__new * (_c_1 - h__new * h__new)
            _dM__0_0[_j] = d__mv__W


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, X__1, M__0, Wt__1, Wt__0__panels, P__b, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_b0:_b1], _tail)  # (W) @ h
        _forward_step(_t, 0, _b0, _b1, _H, M__0, P__b, S__h, X__1, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, X__1, W__1, W__0__panels, P__b, dy__seq, G__h, Gn__h, dM__0, dP__dM__0, dW__0, dW__1, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level1(_t, _td, _b0, _b1, _H, G__h, S__h, dM__0, dy__seq, _L, _k)
        _step_product(dM__0[_t, _b0:_b1], W__0__panels, Gn__h[_b0:_b1], _tail)  # d(h) from d(W @ h)
        _freeze_rows(_t, _L, G__h, Gn__h, _b0, _b1)  # a carry the product wrote
        G__h, Gn__h = Gn__h, G__h
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W", ),
        1: ("U", ),
    },
    widest=1,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('X__1', 'tape', shape=('T', 'B', 'H')),
        _Array('M__0', 'scratch', shape=('B', 'H')),
        _Array('Wt__1', 'weights', group=1, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('P__b', 'vector', param='b'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__1', 'tape', shape=('T', 'B', 'H')),
        _Array('W__1', 'weights', group=1),
        _Array('W__0__panels', 'panels', group=0),
        _Array('P__b', 'vector', param='b'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('dM__0', 'work', shape=('T', 'B', 'H')),
        _Array('dP__dM__0', 'vector_grad', shape=('1', 'H')),
        _Array('dW__0', 'weight_grad', shape=('H', 'H')),
        _Array('dW__1', 'weight_grad', shape=('I', 'H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "W": (("dW__0", 0), ),
        "U": (("dW__1", 0), ),
        "b": (("dP__dM__0", 0), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__1'), _Rows('X__1', columns='H'), comment='(U) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dM__0', columns='H'), _Rows('dW__0'), transpose_a=True, comment='d(W), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dM__0', columns='H'), _Rows('dW__1'), transpose_a=True, comment='d(U), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dM__0', columns='H'), _Rows('W__1'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dM__0', columns='H'), (0,), 'dP__dM__0'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
