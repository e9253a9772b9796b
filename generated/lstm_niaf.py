"""lstm_niaf: a recurrent cell compiled by cellgen 0.1.0 from lstm_niaf.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h, c are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    i = sigmoid(W_i @ h + U_i @ x + b_i)
    f = sigmoid(W_f @ h + U_f @ x + b_f)
    g = W_g @ h + U_g @ x + b_g
    o = sigmoid(W_o @ h + U_o @ x + b_o)
    c' = f * c + i * g
    h' = o * tanh(c')
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dc' = dh'*o*(1 - tanh(c')**2) + g_c
    do = dh'*tanh(c')
    d(U_o @ x) = do*o*(1 - o)
    d(W_o @ h) = do*o*(1 - o)
    dg = dc'*i
    d(U_g @ x) = dg
    d(W_g @ h) = dg
    df = c*dc'
    d(U_f @ x) = df*f*(1 - f)
    d(W_f @ h) = df*f*(1 - f)
    di = dc'*g
    d(U_i @ x) = di*i*(1 - i)
    d(W_i @ h) = di*i*(1 - i)
    dh = dA0
    dc = dc'*f
    db_i = di*i*(1 - i)
    db_f = df*f*(1 - f)
    db_g = dg
    db_o = do*o*(1 - o)
    dx += dA1
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    g_c: gradient of the loss w.r.t. c at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_i; W_f; W_g; W_o]^T @ [d(W_i @ h); d(W_f @ h); d(W_g @ h); d(W_o @ h)], one GEMM
"""
import numba
import numpy as np

import cellgen.runtime as _runtime
from cellgen.runtime import buffers as _buffers, driver as _driver, packed as _packed
from cellgen.runtime.activations import sigmoid as _sigmoid, tanh as _tanh
from cellgen.runtime.rows import copy_rows as _copy_rows, freeze_rows as _freeze_rows, unowned as _unowned
from cellgen.runtime.step_products import PANEL as _PANEL, TILE_ROWS as _TILE_ROWS, step_product as _step_product
from cellgen.runtime.table import Array as _Array, Cell as _Cell, Drivers as _Drivers, Product as _Product
from cellgen.runtime.table import RowKernel as _RowKernel, Rows as _Rows, VectorSum as _VectorSum

RUNTIME = "f5be83476c73fab6"  # the cellgen.runtime this module was built against
BUILD = "3656010c77fbd95c"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "lstm_niaf"
INPUT = "x"
STATES = ("h", "c", )
OUTPUT = "h"
PARAMS = {
    "W_i": ("hidden", "hidden", ),
    "U_i": ("hidden", "input", ),
    "b_i": ("hidden", ),
    "W_f": ("hidden", "hidden", ),
    "U_f": ("hidden", "input", ),
    "b_f": ("hidden", ),
    "W_g": ("hidden", "hidden", ),
    "U_g": ("hidden", "input", ),
    "b_g": ("hidden", ),
    "W_o": ("hidden", "hidden", ),
    "U_o": ("hidden", "input", ),
    "b_o": ("hidden", ),
}
INIT = {
}
SIZES = ()  # sizes beyond input and hidden
STATE_SIZES = ("hidden", "hidden", )  # each state's size, in STATES order
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
def _forward_step(_t, _td, _b0, _b1, _H, M__0, P__b_f, P__b_g, P__b_i, P__b_o, S__c, S__h, X__1, _L, _k):
    # new states
    M__0 = _unowned(M__0)
    P__b_f = _unowned(P__b_f)
    P__b_g = _unowned(P__b_g)
    P__b_i = _unowned(P__b_i)
    P__b_o = _unowned(P__b_o)
    S__c = _unowned(S__c)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    for _b in range(_b0, _b1):
        _M__0_0 = M__0[_b, :_H]
        _M__0_1 = M__0[_b, _H:2 * _H]
        _M__0_2 = M__0[_b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_b, 3 * _H:4 * _H]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        _X__1_3 = X__1[_t, _b, 3 * _H:4 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _S__c_next_0[_j] = S__c[_t, _b, _j]
                _X__1_0[_j] = 0
                _X__1_1[_j] = 0
                _X__1_2[_j] = 0
                _X__1_3[_j] = 0
            continue
        for _j in range(_H):
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mv__W_o = _M__0_3[_j]
            b_f = P__b_f[_j]
            b_g = P__b_g[_j]
            b_i = P__b_i[_j]
            b_o = P__b_o[_j]
            c = _S__c_0[_j]
            mv__U_i = _X__1_0[_j]
            mv__U_f = _X__1_1[_j]
            mv__U_g = _X__1_2[_j]
            mv__U_o = _X__1_3[_j]
            i = _sigmoid(b_i + mv__U_i + mv__W_i)
            f = _sigmoid(b_f + mv__U_f + mv__W_f)
            g = b_g + mv__U_g + mv__W_g
            o = _sigmoid(b_o + mv__U_o + mv__W_o)
            c__new = c * f + g * i
            h__new = o * _tanh(c__new)
            _S__h_next_0[_j] = h__new
            _S__c_next_0[_j] = c__new
            _X__1_0[_j] = i
            _X__1_1[_j] = f
            _X__1_2[_j] = g
            _X__1_3[_j] = o


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, G__c, G__h, Gn__c, S__c, X__1, dM__0, dy__seq, _L, _k):
    # adjoints from the step's outputs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G__c = _unowned(G__c)
    G__h = _unowned(G__h)
    Gn__c = _unowned(Gn__c)
    S__c = _unowned(S__c)
    X__1 = _unowned(X__1)
    dM__0 = _unowned(dM__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__c_0 = G__c[_b, :_H]
        _G__h_0 = G__h[_b, :_H]
        _Gn__c_0 = Gn__c[_b, :_H]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        _X__1_3 = X__1[_t, _b, 3 * _H:4 * _H]
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
                _Gn__c_0[_j] = G__c[_b, _j]
            continue
        for _j in range(_H):
            g__c__new = _G__c_0[_j]
            g__h__new = _G__h_0[_j]
            c = _S__c_0[_j]
            c__new = _S__c_next_0[_j]
            i = _X__1_0[_j]
            f = _X__1_1[_j]
            g = _X__1_2[_j]
            o = _X__1_3[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = _tanh(c__new)
            d__h__new = dy__out + g__h__new
            d__c__new = d__h__new * o * (_c_1 - _x0 * _x0) + g__c__new
            d__o = _x0 * d__h__new
            d__mv__W_o = d__o * o * (_c_1 - o)
            d__g = d__c__new * i
            d__mv__W_g = d__g
            d__f = c * d__c__new
            d__mv__W_f = d__f * f * (_c_1 - f)
            d__i = d__c__new * g
            d__mv__W_i = d__i * i * (_c_1 - i)
            d__c = d__c__new * f
            _dM__0_0[_j] = d__mv__W_i
            _dM__0_1[_j] = d__mv__W_f
            _dM__0_2[_j] = d__mv__W_g
            _dM__0_3[_j] = d__mv__W_o
            _Gn__c_0[_j] = d__c


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, S__c, X__1, M__0, Wt__1, Wt__0__panels, P__b_i, P__b_f, P__b_g, P__b_o, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_b0:_b1], _tail)  # (W_i, W_f, W_g, W_o) @ h
        _forward_step(_t, 0, _b0, _b1, _H, M__0, P__b_f, P__b_g, P__b_i, P__b_o, S__c, S__h, X__1, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, S__c, X__1, W__1, W__0__panels, P__b_i, P__b_f, P__b_g, P__b_o, dy__seq, G__h, G__c, Gn__h, Gn__c, dM__0, dP__dM__0, dW__0, dW__1, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, G__c, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level1(_t, _td, _b0, _b1, _H, G__c, G__h, Gn__c, S__c, X__1, dM__0, dy__seq, _L, _k)
        _step_product(dM__0[_t, _b0:_b1], W__0__panels, Gn__h[_b0:_b1], _tail)  # d(h) from d(W_i, W_f, W_g, W_o @ h)
        _freeze_rows(_t, _L, G__h, Gn__h, _b0, _b1)  # a carry the product wrote
        G__h, Gn__h = Gn__h, G__h
        G__c, Gn__c = Gn__c, G__c
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)
        _copy_rows(G__c, Gn__c, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W_i", "W_f", "W_g", "W_o", ),
        1: ("U_i", "U_f", "U_g", "U_o", ),
    },
    widest=4,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('S__c', 'state', shape=('T+1', 'B', 'H'), index=1),
        _Array('X__1', 'tape', shape=('T', 'B', '4H')),
        _Array('M__0', 'scratch', shape=('B', '4H')),
        _Array('Wt__1', 'weights', group=1, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__b_g', 'vector', param='b_g'),
        _Array('P__b_o', 'vector', param='b_o'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('S__c', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__1', 'tape', shape=('T', 'B', '4H')),
        _Array('W__1', 'weights', group=1),
        _Array('W__0__panels', 'panels', group=0),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__b_g', 'vector', param='b_g'),
        _Array('P__b_o', 'vector', param='b_o'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('G__c', 'carry', shape=('B', 'H'), index=1),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('Gn__c', 'carry_next', shape=('B', 'H'), index=1),
        _Array('dM__0', 'work', shape=('T', 'B', '4H')),
        _Array('dP__dM__0', 'vector_grad', shape=('4', 'H')),
        _Array('dW__0', 'weight_grad', shape=('H', '4H')),
        _Array('dW__1', 'weight_grad', shape=('I', '4H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "W_i": (("dW__0", 0), ),
        "U_i": (("dW__1", 0), ),
        "b_i": (("dP__dM__0", 0), ),
        "W_f": (("dW__0", 1), ),
        "U_f": (("dW__1", 1), ),
        "b_f": (("dP__dM__0", 1), ),
        "W_g": (("dW__0", 2), ),
        "U_g": (("dW__1", 2), ),
        "b_g": (("dP__dM__0", 2), ),
        "W_o": (("dW__0", 3), ),
        "U_o": (("dW__1", 3), ),
        "b_o": (("dP__dM__0", 3), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__1'), _Rows('X__1', columns='4H'), comment='(U_i, U_f, U_g, U_o) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dM__0', columns='4H'), _Rows('dW__0'), transpose_a=True, comment='d(W_i, W_f, W_g, W_o), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dM__0', columns='4H'), _Rows('dW__1'), transpose_a=True, comment='d(U_i, U_f, U_g, U_o), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dM__0', columns='4H'), _Rows('W__1'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_i, U_f, U_g, U_o @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dM__0', columns='4H'), (0, 1, 2, 3), 'dP__dM__0'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
