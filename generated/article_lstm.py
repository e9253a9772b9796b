"""article_lstm: a recurrent cell compiled by cellgen 0.1.0 from article_lstm.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    i = sigmoid(W_s @ h + U_i @ x + b_i)
    s = sigmoid(W_i @ h + U_s @ x + b_s)
    g = sigmoid(W_g @ h + U_g @ x + b_g)
    h' = h * s + i * sigmoid(W @ h + U @ x + b)
    o = tanh(h') * g
    output: o

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    do = dy
    dh' = do*g*(1 - tanh(h')**2) + g_h
    d(U @ x) = dh'*i*(1 - sigmoid((U @ x) + (W @ h) + b))*sigmoid((U @ x) + (W @ h) + b)
    d(W @ h) = dh'*i*(1 - sigmoid((U @ x) + (W @ h) + b))*sigmoid((U @ x) + (W @ h) + b)
    dg = do*tanh(h')
    d(U_g @ x) = dg*g*(1 - g)
    d(W_g @ h) = dg*g*(1 - g)
    ds = dh'*h
    d(U_s @ x) = ds*s*(1 - s)
    d(W_i @ h) = ds*s*(1 - s)
    di = dh'*sigmoid((U @ x) + (W @ h) + b)
    d(U_i @ x) = di*i*(1 - i)
    d(W_s @ h) = di*i*(1 - i)
    dh = dA0 + dh'*s
    db_i = di*i*(1 - i)
    db_s = ds*s*(1 - s)
    db_g = dg*g*(1 - g)
    db = dh'*i*(1 - sigmoid((U @ x) + (W @ h) + b))*sigmoid((U @ x) + (W @ h) + b)
    dx += dA1
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_s; W_i; W_g; W]^T @ [d(W_s @ h); d(W_i @ h); d(W_g @ h); d(W @ h)], one GEMM
"""
import numba
import numpy as np

import cellgen.runtime as _runtime
from cellgen.runtime import buffers as _buffers, driver as _driver, packed as _packed
from cellgen.runtime.activations import pow2 as _pow2, sigmoid as _sigmoid, tanh as _tanh
from cellgen.runtime.rows import copy_rows as _copy_rows, freeze_rows as _freeze_rows, unowned as _unowned
from cellgen.runtime.step_products import PANEL as _PANEL, TILE_ROWS as _TILE_ROWS, step_product as _step_product
from cellgen.runtime.table import Array as _Array, Cell as _Cell, Drivers as _Drivers, Product as _Product
from cellgen.runtime.table import RowKernel as _RowKernel, Rows as _Rows, VectorSum as _VectorSum

RUNTIME = "f5be83476c73fab6"  # the cellgen.runtime this module was built against
BUILD = "e5951c3158dcfad2"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "article_lstm"
INPUT = "x"
STATES = ("h", )
OUTPUT = "o"
PARAMS = {
    "W_s": ("hidden", "hidden", ),
    "U_i": ("hidden", "input", ),
    "b_i": ("hidden", ),
    "W_i": ("hidden", "hidden", ),
    "U_s": ("hidden", "input", ),
    "b_s": ("hidden", ),
    "W_g": ("hidden", "hidden", ),
    "U_g": ("hidden", "input", ),
    "b_g": ("hidden", ),
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
def _forward_step(_t, _td, _b0, _b1, _H, M__0, P__b, P__b_g, P__b_i, P__b_s, S__h, X__1, y__seq, _L, _k):
    # new states and the output
    M__0 = _unowned(M__0)
    P__b = _unowned(P__b)
    P__b_g = _unowned(P__b_g)
    P__b_i = _unowned(P__b_i)
    P__b_s = _unowned(P__b_s)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    y__seq = _unowned(y__seq)
    for _b in range(_b0, _b1):
        _M__0_0 = M__0[_b, :_H]
        _M__0_1 = M__0[_b, _H:2 * _H]
        _M__0_2 = M__0[_b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_b, 3 * _H:4 * _H]
        _S__h_0 = S__h[_t, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        _X__1_3 = X__1[_t, _b, 3 * _H:4 * _H]
        _y__seq_0 = y__seq[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _y__seq_0[_j] = 0
                _X__1_0[_j] = 0
                _X__1_1[_j] = 0
                _X__1_2[_j] = 0
                _X__1_3[_j] = 0
            continue
        for _j in range(_H):
            mv__W_s = _M__0_0[_j]
            mv__W_i = _M__0_1[_j]
            mv__W_g = _M__0_2[_j]
            mv__W = _M__0_3[_j]
            b = P__b[_j]
            b_g = P__b_g[_j]
            b_i = P__b_i[_j]
            b_s = P__b_s[_j]
            h = _S__h_0[_j]
            mv__U_i = _X__1_0[_j]
            mv__U_s = _X__1_1[_j]
            mv__U_g = _X__1_2[_j]
            mv__U = _X__1_3[_j]
            _x0 = mv__U + mv__W
            i = _sigmoid(b_i + mv__U_i + mv__W_s)
            s = _sigmoid(b_s + mv__U_s + mv__W_i)
            g = _sigmoid(b_g + mv__U_g + mv__W_g)
            h__new = h * s + i * _sigmoid(_x0 + b)
            o = g * _tanh(h__new)
            _S__h_next_0[_j] = h__new
            _y__seq_0[_j] = o
            _X__1_0[_j] = i
            _X__1_1[_j] = s
            _X__1_2[_j] = g
            _X__1_3[_j] = _x0


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, G__h, P__b, S__h, X__1, dM__0, dy__seq, _L, _k):
    # adjoints from the step's outputs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G__h = _unowned(G__h)
    P__b = _unowned(P__b)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    dM__0 = _unowned(dM__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _S__h_0 = S__h[_t, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
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
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            b = P__b[_j]
            h = _S__h_0[_j]
            h__new = _S__h_next_0[_j]
            i = _X__1_0[_j]
            s = _X__1_1[_j]
            g = _X__1_2[_j]
            mv__U = _X__1_3[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = _tanh(h__new)
            _x1 = _sigmoid(b + mv__U)
            d__o = dy__out
            d__h__new = d__o * g * (_c_1 - _x0 * _x0) + g__h__new
            _x2 = _x1 * d__h__new
            d__mv__W = _x2 * i * (_c_1 - _x1)
            d__g = _x0 * d__o
            d__mv__W_g = d__g * g * (_c_1 - g)
            d__s = d__h__new * h
            d__mv__W_i = d__s * s * (_c_1 - s)
            d__i = _x2
            d__mv__W_s = d__i * i * (_c_1 - i)
            _dM__0_0[_j] = d__mv__W_s
            _dM__0_1[_j] = d__mv__W_i
            _dM__0_2[_j] = d__mv__W_g
            _dM__0_3[_j] = d__mv__W


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, S__h, X__1, dA__0, dy__seq, _L, _k):
    # adjoints ready after the level-1 GEMMs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G__h = _unowned(G__h)
    Gn__h = _unowned(Gn__h)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    dA__0 = _unowned(dA__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _Gn__h_0 = Gn__h[_b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        _dA__0_0 = dA__0[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _Gn__h_0[_j] = G__h[_b, _j]
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            h__new = _S__h_next_0[_j]
            s = _X__1_1[_j]
            g = _X__1_2[_j]
            da__0 = _dA__0_0[_j]
            dy__out = _dy__seq_0[_j]
            d__o = dy__out
            d__h__new = d__o * g * (_c_1 - _pow2(_tanh(h__new))) + g__h__new
            d__h = d__h__new * s + da__0
            _Gn__h_0[_j] = d__h


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, X__1, M__0, Wt__1, Wt__0__panels, P__b_i, P__b_s, P__b_g, P__b, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_b0:_b1], _tail)  # (W_s, W_i, W_g, W) @ h
        _forward_step(_t, 0, _b0, _b1, _H, M__0, P__b, P__b_g, P__b_i, P__b_s, S__h, X__1, y__seq, _L, _k)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, X__1, W__1, W__0__panels, P__b_i, P__b_s, P__b_g, P__b, dy__seq, G__h, Gn__h, dM__0, dA__0, dP__dM__0, dW__0, dW__1, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level1(_t, _td, _b0, _b1, _H, G__h, P__b, S__h, X__1, dM__0, dy__seq, _L, _k)
        _step_product(dM__0[_t, _b0:_b1], W__0__panels, dA__0[_b0:_b1], _tail)  # d(h) from d(W_s, W_i, W_g, W @ h)
        _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, S__h, X__1, dA__0, dy__seq, _L, _k)
        G__h, Gn__h = Gn__h, G__h
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=False, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W_s", "W_i", "W_g", "W", ),
        1: ("U_i", "U_s", "U_g", "U", ),
    },
    widest=4,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('X__1', 'tape', shape=('T', 'B', '4H')),
        _Array('M__0', 'scratch', shape=('B', '4H')),
        _Array('Wt__1', 'weights', group=1, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__b_s', 'vector', param='b_s'),
        _Array('P__b_g', 'vector', param='b_g'),
        _Array('P__b', 'vector', param='b'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__1', 'tape', shape=('T', 'B', '4H')),
        _Array('W__1', 'weights', group=1),
        _Array('W__0__panels', 'panels', group=0),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__b_s', 'vector', param='b_s'),
        _Array('P__b_g', 'vector', param='b_g'),
        _Array('P__b', 'vector', param='b'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('dM__0', 'work', shape=('T', 'B', '4H')),
        _Array('dA__0', 'scratch', shape=('B', 'H')),
        _Array('dP__dM__0', 'vector_grad', shape=('4', 'H')),
        _Array('dW__0', 'weight_grad', shape=('H', '4H')),
        _Array('dW__1', 'weight_grad', shape=('I', '4H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "W_s": (("dW__0", 0), ),
        "U_i": (("dW__1", 0), ),
        "b_i": (("dP__dM__0", 0), ),
        "W_i": (("dW__0", 1), ),
        "U_s": (("dW__1", 1), ),
        "b_s": (("dP__dM__0", 1), ),
        "W_g": (("dW__0", 2), ),
        "U_g": (("dW__1", 2), ),
        "b_g": (("dP__dM__0", 2), ),
        "W": (("dW__0", 3), ),
        "U": (("dW__1", 3), ),
        "b": (("dP__dM__0", 3), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__1'), _Rows('X__1', columns='4H'), comment='(U_i, U_s, U_g, U) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dM__0', columns='4H'), _Rows('dW__0'), transpose_a=True, comment='d(W_s, W_i, W_g, W), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dM__0', columns='4H'), _Rows('dW__1'), transpose_a=True, comment='d(U_i, U_s, U_g, U), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dM__0', columns='4H'), _Rows('W__1'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_i, U_s, U_g, U @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dM__0', columns='4H'), (0, 1, 2, 3), 'dP__dM__0'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
