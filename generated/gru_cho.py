"""gru_cho: a recurrent cell compiled by cellgen 0.1.0 from gru_cho.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    r = sigmoid(W_r @ h + U_r @ x + b_r)
    z = sigmoid(W_z @ h + U_z @ x + b_z)
    n = tanh(W_n @ (r * h) + U_n @ x + b_n)
    h' = (1 - z) * n + z * h
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dn = dh'*(1 - z)
    d(U_n @ x) = dn*(1 - n**2)
    d(W_n @ (h*r)) = dn*(1 - n**2)
    dz = dh'*(h - n)
    d(U_z @ x) = dz*z*(1 - z)
    d(W_z @ h) = dz*z*(1 - z)
    dr = dA2*h
    d(U_r @ x) = dr*r*(1 - r)
    d(W_r @ h) = dr*r*(1 - r)
    dh = dA0 + dA2*r + dh'*z
    db_r = dr*r*(1 - r)
    db_z = dz*z*(1 - z)
    db_n = dn*(1 - n**2)
    dx += dA1
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_r; W_z]^T @ [d(W_r @ h); d(W_z @ h)], one GEMM
    dA2 = [W_n]^T @ [d(W_n @ (h*r))], one GEMM
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
BUILD = "52bd98fc56202b17"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "gru_cho"
INPUT = "x"
STATES = ("h", )
OUTPUT = "h"
PARAMS = {
    "W_r": ("hidden", "hidden", ),
    "U_r": ("hidden", "input", ),
    "b_r": ("hidden", ),
    "W_z": ("hidden", "hidden", ),
    "U_z": ("hidden", "input", ),
    "b_z": ("hidden", ),
    "W_n": ("hidden", "hidden", ),
    "U_n": ("hidden", "input", ),
    "b_n": ("hidden", ),
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
def _forward_level1(_t, _td, _b0, _b1, _H, A__2, M__0, P__b_r, S__h, X__1, _L, _k):
    # operands of the level-2 products
    A__2 = _unowned(A__2)
    M__0 = _unowned(M__0)
    P__b_r = _unowned(P__b_r)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    for _b in range(_b0, _b1):
        _A__2_0 = A__2[_t, _b, :_H]
        _M__0_0 = M__0[_b, :_H]
        _S__h_0 = S__h[_t, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _A__2_0[_j] = 0
            continue
        for _j in range(_H):
            mv__W_r = _M__0_0[_j]
            b_r = P__b_r[_j]
            h = _S__h_0[_j]
            mv__U_r = _X__1_0[_j]
            r = _sigmoid(b_r + mv__U_r + mv__W_r)
            _A__2_0[_j] = h * r


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _forward_step(_t, _td, _b0, _b1, _H, M__0, M__2, P__b_n, P__b_r, P__b_z, S__h, X__1, _L, _k):
    # new states
    _c_1 = _k[_C_1]
    M__0 = _unowned(M__0)
    M__2 = _unowned(M__2)
    P__b_n = _unowned(P__b_n)
    P__b_r = _unowned(P__b_r)
    P__b_z = _unowned(P__b_z)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    for _b in range(_b0, _b1):
        _M__0_0 = M__0[_b, :_H]
        _M__0_1 = M__0[_b, _H:2 * _H]
        _M__2_0 = M__2[_b, :_H]
        _S__h_0 = S__h[_t, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _X__1_0[_j] = 0
                _X__1_1[_j] = 0
                _X__1_2[_j] = 0
            continue
        for _j in range(_H):
            mv__W_r = _M__0_0[_j]
            mv__W_z = _M__0_1[_j]
            mv__W_n = _M__2_0[_j]
            b_n = P__b_n[_j]
            b_r = P__b_r[_j]
            b_z = P__b_z[_j]
            h = _S__h_0[_j]
            mv__U_r = _X__1_0[_j]
            mv__U_z = _X__1_1[_j]
            mv__U_n = _X__1_2[_j]
            r = _sigmoid(b_r + mv__U_r + mv__W_r)
            z = _sigmoid(b_z + mv__U_z + mv__W_z)
            n = _tanh(b_n + mv__U_n + mv__W_n)
            h__new = h * z + n * (_c_1 - z)
            _S__h_next_0[_j] = h__new
            _X__1_0[_j] = r
            _X__1_1[_j] = z
            _X__1_2[_j] = n


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level2(_t, _td, _b0, _b1, _H, G__h, S__h, X__1, dX__1, dy__seq, _L, _k):
    # adjoints from the step's outputs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G__h = _unowned(G__h)
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    dX__1 = _unowned(dX__1)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _S__h_0 = S__h[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        _dX__1_1 = dX__1[_t, _b, _H:2 * _H]
        _dX__1_2 = dX__1[_t, _b, 2 * _H:3 * _H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dX__1_1[_j] = 0
                _dX__1_2[_j] = 0
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            h = _S__h_0[_j]
            z = _X__1_1[_j]
            n = _X__1_2[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = _c_1 - z
            d__h__new = dy__out + g__h__new
            d__n = _x0 * d__h__new
            d__mv__U_n = d__n * (_c_1 - n * n)
            d__z = d__h__new * (h - n)
            d__mv__U_z = _x0 * d__z * z
            _dX__1_1[_j] = d__mv__U_z
            _dX__1_2[_j] = d__mv__U_n


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, S__h, X__1, dA__2, dX__1, _L, _k):
    # adjoints ready after the level-2 GEMMs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    S__h = _unowned(S__h)
    X__1 = _unowned(X__1)
    dA__2 = _unowned(dA__2)
    dX__1 = _unowned(dX__1)
    for _b in range(_b0, _b1):
        _S__h_0 = S__h[_t, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _dA__2_0 = dA__2[_b, :_H]
        _dX__1_0 = dX__1[_t, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dX__1_0[_j] = 0
            continue
        for _j in range(_H):
            h = _S__h_0[_j]
            r = _X__1_0[_j]
            da__2 = _dA__2_0[_j]
            d__r = da__2 * h
            d__mv__U_r = d__r * r * (_c_1 - r)
            _dX__1_0[_j] = d__mv__U_r


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, X__1, dA__0, dA__2, dy__seq, _L, _k):
    # adjoints ready after the level-1 GEMMs (gates as the forward stored them)
    G__h = _unowned(G__h)
    Gn__h = _unowned(Gn__h)
    X__1 = _unowned(X__1)
    dA__0 = _unowned(dA__0)
    dA__2 = _unowned(dA__2)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__h_0 = G__h[_b, :_H]
        _Gn__h_0 = Gn__h[_b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _dA__0_0 = dA__0[_b, :_H]
        _dA__2_0 = dA__2[_b, :_H]
        _dy__seq_0 = dy__seq[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _Gn__h_0[_j] = G__h[_b, _j]
            continue
        for _j in range(_H):
            g__h__new = _G__h_0[_j]
            r = _X__1_0[_j]
            z = _X__1_1[_j]
            da__0 = _dA__0_0[_j]
            da__2 = _dA__2_0[_j]
            dy__out = _dy__seq_0[_j]
            d__h__new = dy__out + g__h__new
            d__h = d__h__new * z + da__0 + da__2 * r
            _Gn__h_0[_j] = d__h


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, X__1, M__0, M__2, A__2, Wt__1, Wt__0__panels, Wt__2__panels, P__b_r, P__b_z, P__b_n, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_b0:_b1], _tail)  # (W_r, W_z) @ h
        _forward_level1(_t, 0, _b0, _b1, _H, A__2, M__0, P__b_r, S__h, X__1, _L, _k)
        _step_product(A__2[_t, _b0:_b1], Wt__2__panels, M__2[_b0:_b1], _tail)  # (W_n) @ h*r
        _forward_step(_t, 0, _b0, _b1, _H, M__0, M__2, P__b_n, P__b_r, P__b_z, S__h, X__1, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, X__1, A__2, W__1, W__0__panels, W__2__panels, P__b_r, P__b_z, P__b_n, dy__seq, G__h, Gn__h, dX__1, dA__0, dA__2, dP__dX__1, dW__0, dW__1, dW__2, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level2(_t, _td, _b0, _b1, _H, G__h, S__h, X__1, dX__1, dy__seq, _L, _k)
        _step_product(dX__1[_t, _b0:_b1, 2 * _H:3 * _H], W__2__panels, dA__2[_b0:_b1], _tail)  # d(h*r) from d(W_n @ h*r)
        _backward_level1(_t, _td, _b0, _b1, _H, S__h, X__1, dA__2, dX__1, _L, _k)
        _step_product(dX__1[_t, _b0:_b1, 0:2 * _H], W__0__panels, dA__0[_b0:_b1], _tail)  # d(h) from d(W_r, W_z @ h)
        _backward_level0(_t, _td, _b0, _b1, _H, G__h, Gn__h, X__1, dA__0, dA__2, dy__seq, _L, _k)
        G__h, Gn__h = Gn__h, G__h
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W_r", "W_z", ),
        1: ("U_r", "U_z", "U_n", ),
        2: ("W_n", ),
    },
    widest=3,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('X__1', 'tape', shape=('T', 'B', '3H')),
        _Array('M__0', 'scratch', shape=('B', '2H')),
        _Array('M__2', 'scratch', shape=('B', 'H')),
        _Array('A__2', 'tape', shape=('T', 'B', 'H')),
        _Array('Wt__1', 'weights', group=1, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('Wt__2__panels', 'panels', group=2, transpose=True),
        _Array('P__b_r', 'vector', param='b_r'),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__b_n', 'vector', param='b_n'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__1', 'tape', shape=('T', 'B', '3H')),
        _Array('A__2', 'tape', shape=('T', 'B', 'H')),
        _Array('W__1', 'weights', group=1),
        _Array('W__0__panels', 'panels', group=0),
        _Array('W__2__panels', 'panels', group=2),
        _Array('P__b_r', 'vector', param='b_r'),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__b_n', 'vector', param='b_n'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('dX__1', 'work', shape=('T', 'B', '3H')),
        _Array('dA__0', 'scratch', shape=('B', 'H')),
        _Array('dA__2', 'scratch', shape=('B', 'H')),
        _Array('dP__dX__1', 'vector_grad', shape=('3', 'H')),
        _Array('dW__0', 'weight_grad', shape=('H', '2H')),
        _Array('dW__1', 'weight_grad', shape=('I', '3H')),
        _Array('dW__2', 'weight_grad', shape=('H', 'H')),
        _Array('dx__rows', 'dx', shape=('T*B', 'I')),
    ),
    param_grads={
        "W_r": (("dW__0", 0), ),
        "U_r": (("dW__1", 0), ),
        "b_r": (("dP__dX__1", 0), ),
        "W_z": (("dW__0", 1), ),
        "U_z": (("dW__1", 1), ),
        "b_z": (("dP__dX__1", 1), ),
        "W_n": (("dW__2", 0), ),
        "U_n": (("dW__1", 2), ),
        "b_n": (("dP__dX__1", 2), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__1'), _Rows('X__1', columns='3H'), comment='(U_r, U_z, U_n) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dX__1', columns='3H', blocks=(0, 2)), _Rows('dW__0'), transpose_a=True, comment='d(W_r, W_z), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dX__1', columns='3H'), _Rows('dW__1'), transpose_a=True, comment='d(U_r, U_z, U_n), transposed'),
        _Product(_Rows('A__2', columns='H'), _Rows('dX__1', columns='3H', blocks=(2, 3)), _Rows('dW__2'), transpose_a=True, comment='d(W_n), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dX__1', columns='3H'), _Rows('W__1'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_r, U_z, U_n @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dX__1', columns='3H'), (0, 1, 2), 'dP__dX__1'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
