"""slstm: a recurrent cell compiled by cellgen 0.1.0 from slstm.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports numpy, numba and
cellgen.runtime, the runtime every generated module shares.

Forward, one step (h, c, n, m are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    it = W_i @ h + U_i @ x + b_i
    ft = W_f @ h + U_f @ x + b_f
    z = tanh(W_z @ h + U_z @ x + b_z)
    o = sigmoid(W_o @ h + U_o @ x + b_o)
    lf = logsigmoid(ft)
    m' = max(lf + m, it)
    i = exp(it - m')
    f = exp(lf + m - m')
    c' = f * c + i * z
    n' = f * n + i
    h' = o * c' / n'
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dn' = -c'*dh'*o/n'**2 + g_n
    dc' = dh'*o/n' + g_c
    df = c*dc' + dn'*n
    di = dc'*z + dn'
    dm' = -df*f - di*i + g_m
    dlf = df*f + dm'*tie_step(-it + lf + m)
    do = c'*dh'/n'
    d(U_o @ x) = do*o*(1 - o)
    d(W_o @ h) = do*o*(1 - o)
    dz = dc'*i
    d(U_z @ x) = dz*(1 - z**2)
    d(W_z @ h) = dz*(1 - z**2)
    dft = dlf*sigmoid(-ft)
    d(U_f @ x) = dft
    d(W_f @ h) = dft
    dit = di*i + dm'*tie_step(it - lf - m)
    d(U_i @ x) = dit
    d(W_i @ h) = dit
    dh = dA0
    dc = dc'*f
    dn = dn'*f
    dm = df*f + dm'*tie_step(-it + lf + m)
    db_i = dit
    db_f = dft
    db_z = dz*(1 - z**2)
    db_o = do*o*(1 - o)
    dx += dA1
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    g_c: gradient of the loss w.r.t. c at step t, handed back by step t+1 (dfinal at the last step)
    g_n: gradient of the loss w.r.t. n at step t, handed back by step t+1 (dfinal at the last step)
    g_m: gradient of the loss w.r.t. m at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_i; W_f; W_z; W_o]^T @ [d(W_i @ h); d(W_f @ h); d(W_z @ h); d(W_o @ h)], one GEMM
"""
import numba
import numpy as np

import cellgen.runtime as _runtime
from cellgen.runtime import buffers as _buffers, driver as _driver, packed as _packed
from cellgen.runtime.activations import exp as _exp, logsigmoid as _logsigmoid, maximum as _maximum
from cellgen.runtime.activations import sigmoid as _sigmoid, tanh as _tanh, tie_step as _tie_step
from cellgen.runtime.rows import copy_rows as _copy_rows, freeze_rows as _freeze_rows, unowned as _unowned
from cellgen.runtime.step_products import PANEL as _PANEL, TILE_ROWS as _TILE_ROWS, step_product as _step_product
from cellgen.runtime.table import Array as _Array, Cell as _Cell, Drivers as _Drivers, Product as _Product
from cellgen.runtime.table import RowKernel as _RowKernel, Rows as _Rows, VectorSum as _VectorSum

RUNTIME = "f5be83476c73fab6"  # the cellgen.runtime this module was built against
BUILD = "a44e07f4e8b1bc76"  # a hash of this file's other lines
_runtime.require(RUNTIME, __name__)

NAME = "slstm"
INPUT = "x"
STATES = ("h", "c", "n", "m", )
OUTPUT = "h"
PARAMS = {
    "W_i": ("hidden", "hidden", ),
    "U_i": ("hidden", "input", ),
    "b_i": ("hidden", ),
    "W_f": ("hidden", "hidden", ),
    "U_f": ("hidden", "input", ),
    "b_f": ("hidden", ),
    "W_z": ("hidden", "hidden", ),
    "U_z": ("hidden", "input", ),
    "b_z": ("hidden", ),
    "W_o": ("hidden", "hidden", ),
    "U_o": ("hidden", "input", ),
    "b_o": ("hidden", ),
}
INIT = {
}
SIZES = ()  # sizes beyond input and hidden
STATE_SIZES = ("hidden", "hidden", "hidden", "hidden", )  # each state's size, in STATES order
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
def _forward_step(_t, _td, _b0, _b1, _H, M__0, P__b_f, P__b_i, P__b_o, P__b_z, S__c, S__h, S__m, S__n, X__1, _L, _k):
    # new states
    M__0 = _unowned(M__0)
    P__b_f = _unowned(P__b_f)
    P__b_i = _unowned(P__b_i)
    P__b_o = _unowned(P__b_o)
    P__b_z = _unowned(P__b_z)
    S__c = _unowned(S__c)
    S__h = _unowned(S__h)
    S__m = _unowned(S__m)
    S__n = _unowned(S__n)
    X__1 = _unowned(X__1)
    for _b in range(_b0, _b1):
        _M__0_0 = M__0[_b, :_H]
        _M__0_1 = M__0[_b, _H:2 * _H]
        _M__0_2 = M__0[_b, 2 * _H:3 * _H]
        _M__0_3 = M__0[_b, 3 * _H:4 * _H]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _S__h_next_0 = S__h[_t + 1, _b, :_H]
        _S__m_0 = S__m[_t, _b, :_H]
        _S__m_next_0 = S__m[_t + 1, _b, :_H]
        _S__n_0 = S__n[_t, _b, :_H]
        _S__n_next_0 = S__n[_t + 1, _b, :_H]
        _X__1_0 = X__1[_t, _b, :_H]
        _X__1_1 = X__1[_t, _b, _H:2 * _H]
        _X__1_2 = X__1[_t, _b, 2 * _H:3 * _H]
        _X__1_3 = X__1[_t, _b, 3 * _H:4 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S__h_next_0[_j] = S__h[_t, _b, _j]
                _S__c_next_0[_j] = S__c[_t, _b, _j]
                _S__n_next_0[_j] = S__n[_t, _b, _j]
                _S__m_next_0[_j] = S__m[_t, _b, _j]
                _X__1_0[_j] = 0
                _X__1_1[_j] = 0
                _X__1_2[_j] = 0
                _X__1_3[_j] = 0
            continue
        for _j in range(_H):
            mv__W_i = _M__0_0[_j]
            mv__W_f = _M__0_1[_j]
            mv__W_z = _M__0_2[_j]
            mv__W_o = _M__0_3[_j]
            b_f = P__b_f[_j]
            b_i = P__b_i[_j]
            b_o = P__b_o[_j]
            b_z = P__b_z[_j]
            c = _S__c_0[_j]
            m = _S__m_0[_j]
            n = _S__n_0[_j]
            mv__U_i = _X__1_0[_j]
            mv__U_f = _X__1_1[_j]
            mv__U_z = _X__1_2[_j]
            mv__U_o = _X__1_3[_j]
            it = b_i + mv__U_i + mv__W_i
            ft = b_f + mv__U_f + mv__W_f
            z = _tanh(b_z + mv__U_z + mv__W_z)
            o = _sigmoid(b_o + mv__U_o + mv__W_o)
            lf = _logsigmoid(ft)
            _x0 = lf + m
            m__new = _maximum(_x0, it)
            _x1 = -m__new
            i = _exp(_x1 + it)
            f = _exp(_x0 + _x1)
            c__new = c * f + i * z
            n__new = f * n + i
            h__new = c__new * o / n__new
            _S__h_next_0[_j] = h__new
            _S__c_next_0[_j] = c__new
            _S__n_next_0[_j] = n__new
            _S__m_next_0[_j] = m__new
            _X__1_0[_j] = it
            _X__1_1[_j] = ft
            _X__1_2[_j] = z
            _X__1_3[_j] = o


# inlined into its driver: LLVM optimizes it once there, not also on its own
@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, G__c, G__h, G__m, G__n, Gn__c, Gn__m, Gn__n, S__c, S__m, S__n, X__1, dM__0, dy__seq, _L, _k):
    # adjoints from the step's outputs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G__c = _unowned(G__c)
    G__h = _unowned(G__h)
    G__m = _unowned(G__m)
    G__n = _unowned(G__n)
    Gn__c = _unowned(Gn__c)
    Gn__m = _unowned(Gn__m)
    Gn__n = _unowned(Gn__n)
    S__c = _unowned(S__c)
    S__m = _unowned(S__m)
    S__n = _unowned(S__n)
    X__1 = _unowned(X__1)
    dM__0 = _unowned(dM__0)
    dy__seq = _unowned(dy__seq)
    for _b in range(_b0, _b1):
        _G__c_0 = G__c[_b, :_H]
        _G__h_0 = G__h[_b, :_H]
        _G__m_0 = G__m[_b, :_H]
        _G__n_0 = G__n[_b, :_H]
        _Gn__c_0 = Gn__c[_b, :_H]
        _Gn__m_0 = Gn__m[_b, :_H]
        _Gn__n_0 = Gn__n[_b, :_H]
        _S__c_0 = S__c[_t, _b, :_H]
        _S__c_next_0 = S__c[_t + 1, _b, :_H]
        _S__m_0 = S__m[_t, _b, :_H]
        _S__m_next_0 = S__m[_t + 1, _b, :_H]
        _S__n_0 = S__n[_t, _b, :_H]
        _S__n_next_0 = S__n[_t + 1, _b, :_H]
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
                _Gn__n_0[_j] = G__n[_b, _j]
                _Gn__m_0[_j] = G__m[_b, _j]
            continue
        for _j in range(_H):
            g__c__new = _G__c_0[_j]
            g__h__new = _G__h_0[_j]
            g__m__new = _G__m_0[_j]
            g__n__new = _G__n_0[_j]
            c = _S__c_0[_j]
            c__new = _S__c_next_0[_j]
            m = _S__m_0[_j]
            m__new = _S__m_next_0[_j]
            n = _S__n_0[_j]
            n__new = _S__n_next_0[_j]
            it = _X__1_0[_j]
            ft = _X__1_1[_j]
            z = _X__1_2[_j]
            o = _X__1_3[_j]
            dy__out = _dy__seq_0[_j]
            _x0 = -m__new
            lf = _logsigmoid(ft)
            _x1 = lf + m
            _x5 = _x1 - it
            i = _exp(_x0 + it)
            f = _exp(_x0 + _x1)
            d__h__new = dy__out + g__h__new
            _x2 = d__h__new / n__new
            d__n__new = -(c__new * d__h__new * o / (n__new * n__new)) + g__n__new
            d__c__new = _x2 * o + g__c__new
            d__f = c * d__c__new + d__n__new * n
            _x3 = d__f * f
            d__i = d__c__new * z + d__n__new
            _x4 = d__i * i
            d__m__new = -_x3 - _x4 + g__m__new
            _x6 = _x3 + d__m__new * _tie_step(_x5)
            d__lf = _x6
            d__o = _x2 * c__new
            d__mv__W_o = d__o * o * (_c_1 - o)
            d__z = d__c__new * i
            d__mv__W_z = d__z * (_c_1 - z * z)
            d__ft = d__lf * _sigmoid(-ft)
            d__mv__W_f = d__ft
            d__it = _x4 + d__m__new * _tie_step(-_x5)
            d__mv__W_i = d__it
            d__c = d__c__new * f
            d__n = d__n__new * f
            d__m = _x6
            _dM__0_0[_j] = d__mv__W_i
            _dM__0_1[_j] = d__mv__W_f
            _dM__0_2[_j] = d__mv__W_z
            _dM__0_3[_j] = d__mv__W_o
            _Gn__c_0[_j] = d__c
            _Gn__n_0[_j] = d__n
            _Gn__m_0[_j] = d__m


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(x__rows, S__h, S__c, S__n, S__m, X__1, M__0, Wt__1, Wt__0__panels, P__b_i, P__b_f, P__b_z, P__b_o, y__seq, _L, _k, _b0, _b1, _t0, _t1):
    # Steps _t0.._t1 of the recurrence for batch rows _b0.._b1 (rows never mix, so row
    # blocks may run at once; steps come in chunks, so that an interrupt waits for one).
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t0, _t1):
        _step_product(S__h[_t, _b0:_b1], Wt__0__panels, M__0[_b0:_b1], _tail)  # (W_i, W_f, W_z, W_o) @ h
        _forward_step(_t, 0, _b0, _b1, _H, M__0, P__b_f, P__b_i, P__b_o, P__b_z, S__c, S__h, S__m, S__n, X__1, _L, _k)
        _copy_rows(S__h[_t + 1], y__seq[_t], _b0, _b1)  # the output, while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(x__rows, S__h, S__c, S__n, S__m, X__1, W__1, W__0__panels, P__b_i, P__b_f, P__b_z, P__b_o, dy__seq, G__h, G__c, G__n, G__m, Gn__h, Gn__c, Gn__n, Gn__m, dM__0, dP__dM__0, dW__0, dW__1, dx__rows, _L, _has_dy, _k, _b0, _b1, _t0, _t1):
    # BPTT for batch rows _b0.._b1 from step _t1 - 1 down to _t0. The carries (the state
    # gradients) come in and go out in G__h, G__c, G__n, G__m, so the next chunk of steps picks them up.
    _H = S__h.shape[2]
    if _t1 <= _t0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // x__rows.itemsize), x__rows.dtype)
    for _t in range(_t1 - 1, _t0 - 1, -1):
        _td = _t if _has_dy else 0
        _backward_level1(_t, _td, _b0, _b1, _H, G__c, G__h, G__m, G__n, Gn__c, Gn__m, Gn__n, S__c, S__m, S__n, X__1, dM__0, dy__seq, _L, _k)
        _step_product(dM__0[_t, _b0:_b1], W__0__panels, Gn__h[_b0:_b1], _tail)  # d(h) from d(W_i, W_f, W_z, W_o @ h)
        _freeze_rows(_t, _L, G__h, Gn__h, _b0, _b1)  # a carry the product wrote
        G__h, Gn__h = Gn__h, G__h
        G__c, Gn__c = Gn__c, G__c
        G__n, Gn__n = Gn__n, G__n
        G__m, Gn__m = Gn__m, G__m
    if (_t1 - _t0) % 2 == 1:  # an odd number of swaps: the carries are in the other arrays
        _copy_rows(G__h, Gn__h, _b0, _b1)
        _copy_rows(G__c, Gn__c, _b0, _b1)
        _copy_rows(G__n, Gn__n, _b0, _b1)
        _copy_rows(G__m, Gn__m, _b0, _b1)



_CELL = _Cell(
    name=NAME, states=STATES, output_is_state=True, params=PARAMS, init=INIT,
    constants=_CONSTANTS,
    groups={
        0: ("W_i", "W_f", "W_z", "W_o", ),
        1: ("U_i", "U_f", "U_z", "U_o", ),
    },
    widest=4,
    forward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'state', shape=('T+1', 'B', 'H'), index=0),
        _Array('S__c', 'state', shape=('T+1', 'B', 'H'), index=1),
        _Array('S__n', 'state', shape=('T+1', 'B', 'H'), index=2),
        _Array('S__m', 'state', shape=('T+1', 'B', 'H'), index=3),
        _Array('X__1', 'tape', shape=('T', 'B', '4H')),
        _Array('M__0', 'scratch', shape=('B', '4H')),
        _Array('Wt__1', 'weights', group=1, transpose=True),
        _Array('Wt__0__panels', 'panels', group=0, transpose=True),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__b_o', 'vector', param='b_o'),
        _Array('y__seq', 'output', shape=('T', 'B', 'H')),
    ),
    backward_arrays=(
        _Array('x__rows', 'input', shape=('T*B', 'I')),
        _Array('S__h', 'tape', shape=('T+1', 'B', 'H')),
        _Array('S__c', 'tape', shape=('T+1', 'B', 'H')),
        _Array('S__n', 'tape', shape=('T+1', 'B', 'H')),
        _Array('S__m', 'tape', shape=('T+1', 'B', 'H')),
        _Array('X__1', 'tape', shape=('T', 'B', '4H')),
        _Array('W__1', 'weights', group=1),
        _Array('W__0__panels', 'panels', group=0),
        _Array('P__b_i', 'vector', param='b_i'),
        _Array('P__b_f', 'vector', param='b_f'),
        _Array('P__b_z', 'vector', param='b_z'),
        _Array('P__b_o', 'vector', param='b_o'),
        _Array('dy__seq', 'dy', shape=('T', 'B', 'H')),
        _Array('G__h', 'carry', shape=('B', 'H'), index=0),
        _Array('G__c', 'carry', shape=('B', 'H'), index=1),
        _Array('G__n', 'carry', shape=('B', 'H'), index=2),
        _Array('G__m', 'carry', shape=('B', 'H'), index=3),
        _Array('Gn__h', 'carry_next', shape=('B', 'H'), index=0),
        _Array('Gn__c', 'carry_next', shape=('B', 'H'), index=1),
        _Array('Gn__n', 'carry_next', shape=('B', 'H'), index=2),
        _Array('Gn__m', 'carry_next', shape=('B', 'H'), index=3),
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
        "W_z": (("dW__0", 2), ),
        "U_z": (("dW__1", 2), ),
        "b_z": (("dP__dM__0", 2), ),
        "W_o": (("dW__0", 3), ),
        "U_o": (("dW__1", 3), ),
        "b_o": (("dP__dM__0", 3), ),
    },
    drivers=_Drivers(_forward_rows, _backward_rows),
    input_products=(
        _Product(_Rows('x__rows', columns='I'), _Rows('Wt__1'), _Rows('X__1', columns='4H'), comment='(U_i, U_f, U_z, U_o) @ x'),
    ),
    weight_grads=(
        _Product(_Rows('S__h', columns='H', drop_last=True), _Rows('dM__0', columns='4H'), _Rows('dW__0'), transpose_a=True, comment='d(W_i, W_f, W_z, W_o), transposed'),
        _Product(_Rows('x__rows', columns='I'), _Rows('dM__0', columns='4H'), _Rows('dW__1'), transpose_a=True, comment='d(U_i, U_f, U_z, U_o), transposed'),
    ),
    operand_grads=(
        _Product(_Rows('dM__0', columns='4H'), _Rows('W__1'), _Rows('dx__rows', columns='I'), comment='d(x) from d(U_i, U_f, U_z, U_o @ x)'),
    ),
    vector_sums=(
        _VectorSum(_Rows('dM__0', columns='4H'), (0, 1, 2, 3), 'dP__dM__0'),
    ),
)
init_params, pack, forward, backward, step = _driver.api(_CELL, __name__)
Packed = _packed.Packed
release_buffers = _buffers.release_buffers
