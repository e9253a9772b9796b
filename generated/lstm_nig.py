"""lstm_nig: a recurrent cell compiled by cellgen 0.1.0 from lstm_nig.cell.

Generated code: do not edit, rebuild with `cellgen build`. Imports only numpy, numba and the
standard library (ctypes reaches numpy's OpenBLAS, or the one numba loaded, to call it and
to lend its threads to row blocks).

Forward, one step (h, c are the states at t-1, primed names their values at t;
x is the input at t; A @ v is a matrix-vector product):
    f = sigmoid(W_f @ h + U_f @ x + b_f)
    g = tanh(W_g @ h + U_g @ x + b_g)
    o = sigmoid(W_o @ h + U_o @ x + b_o)
    c' = f * c + g
    h' = o * tanh(c')
    output: h'

Backward, one step of BPTT, derived by cellgen (dV is the gradient of the loss
with respect to V at this step; parameter gradients are summed over batch and steps):
    dh' = dy + g_h
    dc' = dh'*o*(1 - tanh(c')**2) + g_c
    do = dh'*tanh(c')
    d(U_o @ x) = do*o*(1 - o)
    d(W_o @ h) = do*o*(1 - o)
    dg = dc'
    d(U_g @ x) = dg*(1 - g**2)
    d(W_g @ h) = dg*(1 - g**2)
    df = c*dc'
    d(U_f @ x) = df*f*(1 - f)
    d(W_f @ h) = df*f*(1 - f)
    dh = dA0
    dc = dc'*f
    db_f = df*f*(1 - f)
    db_g = dg*(1 - g**2)
    db_o = do*o*(1 - o)
    dx += dA1
where
    g_h: gradient of the loss w.r.t. h at step t, handed back by step t+1 (dfinal at the last step)
    g_c: gradient of the loss w.r.t. c at step t, handed back by step t+1 (dfinal at the last step)
    dy: gradient of the loss w.r.t. the output at step t (dys[t])
    dA0 = [W_f; W_g; W_o]^T @ [d(W_f @ h); d(W_g @ h); d(W_o @ h)], one GEMM
"""
import ctypes
import os
import sys
import threading

import numpy as np
import numba
import numba.core.cgutils
import numba.extending

NAME = "lstm_nig"
INPUT = "x"
STATES = ("h", "c", )
OUTPUT = "h"
PARAMS = {
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

# Every number of the equations, read in the data's dtype so float32 stays float32.
_CONSTANTS = (1.0, )
_C_1 = 0


# tanh and sigmoid: float64 calls libm (exact); float32 uses a rational approximation that
# LLVM vectorizes (Eigen's fast tanh), max abs error 4e-7 for tanh and 2.5e-7 for sigmoid
# over all of float32, tested by cellgen. NaN propagates, +-inf give +-1 (tanh), 1/0 (sigmoid).
# The element-wise kernels and these let LLVM fuse a * b + c into one FMA (fastmath
# 'contract', no other fast-math): one rounding instead of two, and the forward LSTM kernel
# ran 25-35% faster for it.
def _tanh(z):
    return np.tanh(z)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@numba.njit(error_model="numpy", fastmath={"contract"})
def _tanh_f32(z):
    x = min(max(z, np.float32(-7.90531110763549805)), np.float32(7.90531110763549805))
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
    if z >= np.float32(7.90531110763549805):
        return np.float32(1.0)
    if z <= np.float32(-7.90531110763549805):
        return np.float32(-1.0)
    return y


@numba.extending.overload(_tanh, jit_options={"error_model": "numpy", "fastmath": {"contract"}})
def _tanh_overload(z):
    if z == numba.types.float32:
        return lambda z: _tanh_f32(z)
    return lambda z: np.tanh(z)


@numba.extending.overload(_sigmoid, jit_options={"error_model": "numpy", "fastmath": {"contract"}})
def _sigmoid_overload(z):
    if z == numba.types.float32:
        return lambda z: np.float32(0.5) * _tanh_f32(np.float32(0.5) * z) + np.float32(0.5)

    def exact(z):
        # exp of a non-positive number only: no overflow for any z.
        if z >= 0:
            return 1 / (1 + np.exp(-z))
        e = np.exp(z)
        return e / (1 + e)
    return exact


@numba.njit(cache=True, error_model="numpy")
def _softplus(z):
    return max(z, 0) + np.log1p(np.exp(-abs(z)))


@numba.njit(cache=True, error_model="numpy")
def _relu(z):
    return z if z > 0 else z * 0


@numba.njit(cache=True, error_model="numpy")
def _step(z):
    # relu'(z): 0 at z = 0, as in PyTorch.
    return z * 0 + 1 if z > 0 else z * 0


@numba.njit(cache=True, error_model="numpy")
def _column_sum(a, begin, out):
    # Blocks of 32 rows summed in the data's dtype (vectorized, in cache), the blocks into
    # float64: thousands of float32 terms lose no precision.
    n = out.shape[0]
    block = np.zeros(n, a.dtype)
    for r0 in range(0, a.shape[0], 32):
        block[:] = 0
        for r in range(r0, min(r0 + 32, a.shape[0])):
            row = a[r, begin:begin + n]
            for j in range(n):
                block[j] += row[j]
        for j in range(n):
            out[j] += block[j]


@numba.njit(cache=True, error_model="numpy")
def _transpose(src, dst):
    # Eight source rows at a time, so each destination row gets eight neighbouring values.
    n, m = src.shape
    i0 = 0
    while i0 + 8 <= n:
        s0, s1, s2, s3 = src[i0], src[i0 + 1], src[i0 + 2], src[i0 + 3]
        s4, s5, s6, s7 = src[i0 + 4], src[i0 + 5], src[i0 + 6], src[i0 + 7]
        for j in range(m):
            d = dst[j]
            d[i0], d[i0 + 1], d[i0 + 2], d[i0 + 3] = s0[j], s1[j], s2[j], s3[j]
            d[i0 + 4], d[i0 + 5], d[i0 + 6], d[i0 + 7] = s4[j], s5[j], s6[j], s7[j]
        i0 += 8
    for i in range(i0, n):
        for j in range(m):
            dst[j, i] = src[i, j]


@numba.extending.intrinsic
def _cblas_gemm(typingctx, address, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc):
    # c = a @ b by the cblas_?gemm at `address` (row-major, 64-bit integers). An address
    # passed at run time, not a symbol or a constant: Numba's cache keeps none of a process's.
    integer = numba.types.int64
    signature = numba.types.void(integer, integer, integer, integer, integer, integer,
                                 a, integer, b, integer, c, integer)

    def codegen(context, builder, signature, args):
        ir = numba.core.cgutils.ir  # llvmlite's, through numba: the module imports numba only
        real = context.get_value_type(signature.args[6].dtype)
        i32, i64, pointer = ir.IntType(32), ir.IntType(64), real.as_pointer()
        function_type = ir.FunctionType(ir.VoidType(), [
            i32, i32, i32, i64, i64, i64, real, pointer, i64, pointer, i64, real, pointer, i64])
        function = builder.inttoptr(args[0], function_type.as_pointer())

        def data(i):
            return context.make_array(signature.args[i])(context, builder, args[i]).data
        row_major = ir.Constant(i32, 101)
        builder.call(function, [
            row_major, builder.trunc(args[1], i32), builder.trunc(args[2], i32), args[3], args[4], args[5],
            ir.Constant(real, 1.0), data(6), args[7], data(8), args[9],
            ir.Constant(real, 0.0), data(10), args[11]])
        return context.get_dummy_value()
    return signature, codegen


@numba.njit(cache=True, error_model="numpy")
def _blas_layout(a):
    # How BLAS reads matrix a: (111, ld) row-major, (112, ld) transposed; (0, 0) when neither
    # (no unit stride, or rows that overlap).
    rows, cols = a.shape
    s0, s1, unit = a.strides[0], a.strides[1], a.itemsize
    if cols == 1 or s1 == unit:
        ld = cols if rows == 1 else s0 // unit
        if ld >= max(cols, 1) and s0 % unit == 0:
            return 111, ld
    if rows == 1 or s0 == unit:
        ld = rows if cols == 1 else s1 // unit
        if ld >= max(rows, 1) and s1 % unit == 0:
            return 112, ld
    return 0, 0


def _dense(a):
    return a


@numba.extending.overload(_dense, jit_options={"error_model": "numpy"})
def _dense_overload(a):
    # np.dot takes C- or F-ordered matrices; a column block of a wider buffer (a GRU's
    # gradients read from dX) is copied first, in the np.dot path only.
    if a.layout in ("C", "F"):
        return lambda a: a
    return lambda a: np.ascontiguousarray(a)


@numba.njit(cache=True, error_model="numpy")
def _matmul(gemm, a, b, out):
    # out = a @ b by the cblas_?gemm at address gemm (_OpenBLAS.gemm), or np.dot where gemm
    # is 0. One-row products also take np.dot: 1.1 us against 4.4 through cblas (1 x 64 x 256).
    m, k = a.shape
    n = b.shape[1]
    trans_a, lda = _blas_layout(a)
    trans_b, ldb = _blas_layout(b)
    trans_c, ldc = _blas_layout(out)
    if gemm == 0 or m <= 1 or n == 0 or k == 0 or trans_a == 0 or trans_b == 0 or trans_c != 111:
        np.dot(_dense(a), _dense(b), out)
    else:
        _cblas_gemm(gemm, trans_a, trans_b, m, n, k, a, lda, b, ldb, out, ldc)


# A step's products run on a register-tiled kernel of their own, not the BLAS: OpenBLAS
# packs the weights again on every call, and for a step's few rows that packing is a large
# part of the product. Here the weights are packed once per call into panels of _PANEL
# bytes' worth of columns (_pack_panels), and each tile of _TILE_ROWS rows x one panel
# keeps its sums in vector registers over the whole inner dimension. One thread, float32,
# against numpy's OpenBLAS: 16 x 128 x 512 in 29.5 us against 35.6 (32.7 feature-major),
# 16 x 512 x 128 27.6 against 38.0, 8 x 64 x 256 3.3 against 5.1.
_PANEL = 64  # bytes: two AVX2 vectors, 16 float32 or 8 float64 columns
_TILE_ROWS = 4


def _tile_kernel(rows):
    """An intrinsic: out[o0:o0 + rows, j0:j0 + panel] = a[a0:a0 + rows] @ panel p of panels.

    Rows of a and out need unit column stride (any row stride); panels is C-ordered
    [panels, K, columns]. Each row's sums are FMA chains over k, in order."""
    @numba.extending.intrinsic
    def tile(typingctx, a, a0, panels, p, out, o0, j0):
        integer = numba.types.intp
        signature = numba.types.void(a, integer, panels, integer, out, integer, integer)

        def codegen(context, builder, signature, args):
            ir = numba.core.cgutils.ir
            cgutils = numba.core.cgutils
            a_, a0_, panels_, p_, out_, o0_, j0_ = args
            real = context.get_value_type(signature.args[0].dtype)
            size = context.get_abi_sizeof(real)
            lanes = 32 // size  # one AVX2 vector
            i64, vector = ir.IntType(64), ir.VectorType(real, lanes)
            A = context.make_array(signature.args[0])(context, builder, a_)
            P = context.make_array(signature.args[2])(context, builder, panels_)
            C = context.make_array(signature.args[4])(context, builder, out_)
            K = cgutils.unpack_tuple(builder, P.shape, 3)[1]
            width = ir.Constant(i64, _PANEL // size)

            def row(array, first, r):
                stride = builder.sdiv(cgutils.unpack_tuple(builder, array.strides, 2)[0], ir.Constant(i64, size))
                return builder.gep(array.data, [builder.mul(builder.add(first, ir.Constant(i64, r)), stride)])

            def vector_at(pointer, v):
                return builder.bitcast(builder.gep(pointer, [ir.Constant(i64, v * lanes)]), vector.as_pointer())
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vector, [vector] * 3),
                                                 f"llvm.fma.v{lanes}f{size * 8}")
            n_vectors = _PANEL // 32
            zero = ir.Constant(vector, [0.0] * lanes)
            sums = [[cgutils.alloca_once_value(builder, zero) for _ in range(n_vectors)] for _ in range(rows)]
            a_rows = [row(A, a0_, r) for r in range(rows)]
            panel = builder.gep(P.data, [builder.mul(p_, builder.mul(K, width))])
            broadcast = ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes)
            with cgutils.for_range(builder, K) as loop:
                b_row = builder.gep(panel, [builder.mul(loop.index, width)])
                b = [builder.load(vector_at(b_row, v), align=size) for v in range(n_vectors)]
                for r in range(rows):
                    x = builder.load(builder.gep(a_rows[r], [loop.index]))
                    x = builder.insert_element(ir.Constant(vector, None), x, ir.Constant(ir.IntType(32), 0))
                    x = builder.shuffle_vector(x, ir.Constant(vector, None), broadcast)
                    for v in range(n_vectors):
                        builder.store(builder.call(fma, [x, b[v], builder.load(sums[r][v])]), sums[r][v])
            for r in range(rows):
                out_row = builder.gep(row(C, o0_, r), [j0_])
                for v in range(n_vectors):
                    builder.store(builder.load(sums[r][v]), vector_at(out_row, v), align=size)
            return context.get_dummy_value()
        return signature, codegen
    return tile


_tile1, _tile2, _tile3, _tile4 = (_tile_kernel(rows) for rows in range(1, _TILE_ROWS + 1))


@numba.njit(cache=True, error_model="numpy")
def _tiles(a, a0, rows, panels, p, out, o0, j0):
    if rows == 4:
        _tile4(a, a0, panels, p, out, o0, j0)
    elif rows == 3:
        _tile3(a, a0, panels, p, out, o0, j0)
    elif rows == 2:
        _tile2(a, a0, panels, p, out, o0, j0)
    else:
        _tile1(a, a0, panels, p, out, o0, j0)


@numba.njit(cache=True, error_model="numpy")
def _pack_panels(w, transpose):
    # w (transpose: w^T) [K, N] as [ceil(N / width), K, width], zero past column N. w is
    # read along its rows, each panel row written whole: 2-2.6x faster than panel by panel
    # (H = 128 and 256), and this runs on one thread in every call.
    K, N = (w.shape[1], w.shape[0]) if transpose else w.shape
    width = _PANEL // w.itemsize
    out = np.empty(((N + width - 1) // width, K, width), w.dtype)
    for c in range(N, out.shape[0] * width):  # the last panel's padding
        for k in range(K):
            out[c // width, k, c % width] = 0
    if transpose:
        for c in range(N):
            row, panel, j = w[c], out[c // width], c % width
            for k in range(K):
                panel[k, j] = row[k]
    else:
        for k in range(K):
            row = w[k]
            for p in range(N // width):
                dst = out[p, k]
                for j in range(width):
                    dst[j] = row[p * width + j]
            for c in range(N - N % width, N):
                out[c // width, k, c % width] = row[c]
    return out


@numba.njit(cache=True, error_model="numpy")
def _step_product(a, panels, out, tail):
    # out = a @ b for one step's rows, b as _pack_panels laid it out; tail [_TILE_ROWS,
    # width] takes the last, partial panel's tile before its columns are copied.
    M, N = out.shape
    width = panels.shape[2]
    full = N // width
    for p in range(panels.shape[0]):
        for i0 in range(0, M, _TILE_ROWS):
            rows = min(_TILE_ROWS, M - i0)
            if p < full:
                _tiles(a, i0, rows, panels, p, out, i0, p * width)
            else:
                _tiles(a, i0, rows, panels, p, tail, 0, 0)
                for r in range(rows):
                    for j in range(N - p * width):
                        out[i0 + r, p * width + j] = tail[r, j]


@numba.njit(cache=True, error_model="numpy")
def _freeze_rows(t, lengths, carry, new_carry, b0, b1):
    # A carry the GEMM wrote directly: rows past their sequence's end hand theirs on unchanged.
    for b in range(b0, b1):
        if t >= lengths[b]:
            _copy_rows(carry, new_carry, b, b + 1)


@numba.njit(cache=True, error_model="numpy")
def _copy_rows(src, dst, b0, b1):
    # dst[b0:b1] = src[b0:b1] as loops: Numba compiles a slice assignment's broadcasting
    # and error formatting in seconds, and this in a fraction of one.
    for b in range(b0, b1):
        for j in range(src.shape[1]):
            dst[b, j] = src[b, j]


@numba.extending.intrinsic
def _unowned(typingctx, a):
    # The same array without its owner (NULL meminfo). Views of it need no reference count:
    # a kernel's per-row views otherwise cost two atomic operations each per row (10-15% of
    # the forward kernel at H = 32). Only for kernels, which keep no view past their return.
    def codegen(context, builder, signature, args):
        src = context.make_array(a)(context, builder, args[0])
        out = context.make_array(a)(context, builder)
        for field in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(out, field, getattr(src, field))
        out.meminfo = numba.core.cgutils.get_null_value(out.meminfo.type)
        out.parent = numba.core.cgutils.get_null_value(out.parent.type)
        return out._getvalue()
    return a(a), codegen


@numba.njit(cache=True, error_model="numpy")
def _pow2(z):
    return z * z


@numba.njit(cache=True, error_model="numpy")
def _pow3(z):
    return z * z * z


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _forward_step(_t, _td, _b0, _b1, _H, M_0, P_b_f, P_b_g, P_b_o, S_c, S_h, X_1, _L, _k):
    # new states
    M_0 = _unowned(M_0)
    P_b_f = _unowned(P_b_f)
    P_b_g = _unowned(P_b_g)
    P_b_o = _unowned(P_b_o)
    S_c = _unowned(S_c)
    S_h = _unowned(S_h)
    X_1 = _unowned(X_1)
    for _b in range(_b0, _b1):
        _M_0_0 = M_0[_b, :_H]
        _M_0_1 = M_0[_b, _H:2 * _H]
        _M_0_2 = M_0[_b, 2 * _H:3 * _H]
        _S_c_0 = S_c[_t, _b, :_H]
        _S_c_next_0 = S_c[_t + 1, _b, :_H]
        _S_h_next_0 = S_h[_t + 1, _b, :_H]
        _X_1_0 = X_1[_t, _b, :_H]
        _X_1_1 = X_1[_t, _b, _H:2 * _H]
        _X_1_2 = X_1[_t, _b, 2 * _H:3 * _H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _S_h_next_0[_j] = S_h[_t, _b, _j]
                _S_c_next_0[_j] = S_c[_t, _b, _j]
                _X_1_0[_j] = 0
                _X_1_1[_j] = 0
                _X_1_2[_j] = 0
            continue
        for _j in range(_H):
            mv__W_f = _M_0_0[_j]
            mv__W_g = _M_0_1[_j]
            mv__W_o = _M_0_2[_j]
            b_f = P_b_f[_j]
            b_g = P_b_g[_j]
            b_o = P_b_o[_j]
            c = _S_c_0[_j]
            mv__U_f = _X_1_0[_j]
            mv__U_g = _X_1_1[_j]
            mv__U_o = _X_1_2[_j]
            f = _sigmoid(b_f + mv__U_f + mv__W_f)
            g = _tanh(b_g + mv__U_g + mv__W_g)
            o = _sigmoid(b_o + mv__U_o + mv__W_o)
            c__new = c * f + g
            h__new = o * _tanh(c__new)
            _S_h_next_0[_j] = h__new
            _S_c_next_0[_j] = c__new
            _X_1_0[_j] = f
            _X_1_1[_j] = g
            _X_1_2[_j] = o


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _backward_level1(_t, _td, _b0, _b1, _H, G_c, G_h, Gn_c, S_c, X_1, dM_0, dys, _L, _k):
    # adjoints from the step's outputs (gates as the forward stored them)
    _c_1 = _k[_C_1]
    G_c = _unowned(G_c)
    G_h = _unowned(G_h)
    Gn_c = _unowned(Gn_c)
    S_c = _unowned(S_c)
    X_1 = _unowned(X_1)
    dM_0 = _unowned(dM_0)
    dys = _unowned(dys)
    for _b in range(_b0, _b1):
        _G_c_0 = G_c[_b, :_H]
        _G_h_0 = G_h[_b, :_H]
        _Gn_c_0 = Gn_c[_b, :_H]
        _S_c_0 = S_c[_t, _b, :_H]
        _S_c_next_0 = S_c[_t + 1, _b, :_H]
        _X_1_0 = X_1[_t, _b, :_H]
        _X_1_1 = X_1[_t, _b, _H:2 * _H]
        _X_1_2 = X_1[_t, _b, 2 * _H:3 * _H]
        _dM_0_0 = dM_0[_t, _b, :_H]
        _dM_0_1 = dM_0[_t, _b, _H:2 * _H]
        _dM_0_2 = dM_0[_t, _b, 2 * _H:3 * _H]
        _dys_0 = dys[_td, _b, :_H]
        if _t >= _L[_b]:  # past this sequence's end: states frozen, gradients pass through
            for _j in range(_H):
                _dM_0_0[_j] = 0
                _dM_0_1[_j] = 0
                _dM_0_2[_j] = 0
                _Gn_c_0[_j] = G_c[_b, _j]
            continue
        for _j in range(_H):
            g__c__new = _G_c_0[_j]
            g__h__new = _G_h_0[_j]
            c = _S_c_0[_j]
            c__new = _S_c_next_0[_j]
            f = _X_1_0[_j]
            g = _X_1_1[_j]
            o = _X_1_2[_j]
            dy__out = _dys_0[_j]
            _x0 = _tanh(c__new)
            d__h__new = dy__out + g__h__new
            d__c__new = d__h__new * o * (_c_1 - _x0 * _x0) + g__c__new
            d__o = _x0 * d__h__new
            d__mv__W_o = d__o * o * (_c_1 - o)
            d__g = d__c__new
            d__mv__W_g = d__g * (_c_1 - g * g)
            d__f = c * d__c__new
            d__mv__W_f = d__f * f * (_c_1 - f)
            d__c = d__c__new * f
            _dM_0_0[_j] = d__mv__W_f
            _dM_0_1[_j] = d__mv__W_g
            _dM_0_2[_j] = d__mv__W_o
            _Gn_c_0[_j] = d__c


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_inputs(xs2, S_h, S_c, X_1, M_0, Wt_1, Wt_0_panels, P_b_f, P_b_g, P_b_o, _L, _k, _gemm, _ys, _r0, _r1):
    # What the recurrence needs from the inputs, for rows _r0.._r1 of all steps' [T * B] rows.
    _T, _B = S_h.shape[0] - 1, S_h.shape[1]
    _H, _I = S_h.shape[2], xs2.shape[1]
    if _r1 <= _r0:
        return
    # input products: (U_f, U_g, U_o) @ x
    _matmul(_gemm, xs2[_r0:_r1], Wt_1, X_1.reshape(_T * _B, 3 * _H)[_r0:_r1])


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _forward_rows(xs2, S_h, S_c, X_1, M_0, Wt_1, Wt_0_panels, P_b_f, P_b_g, P_b_o, _L, _k, _gemm, _ys, _b0, _b1):
    # The recurrence for batch rows _b0.._b1 (rows never mix, so row blocks may run at once).
    _T, _H = S_h.shape[0] - 1, S_h.shape[2]
    if _T == 0 or _b1 <= _b0:
        return
    _tail = np.empty((_TILE_ROWS, _PANEL // xs2.itemsize), xs2.dtype)
    for _t in range(_T):
        _step_product(S_h[_t, _b0:_b1], Wt_0_panels, M_0[_b0:_b1], _tail)  # (W_f, W_g, W_o) @ h
        _forward_step(_t, 0, _b0, _b1, _H, M_0, P_b_f, P_b_g, P_b_o, S_c, S_h, X_1, _L, _k)
        _copy_rows(S_h[_t + 1], _ys[_t], _b0, _b1)  # the output, copied while in cache


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_rows(xs2, S_h, S_c, X_1, W_1, W_0_panels, P_b_f, P_b_g, P_b_o, dys, G_h, G_c, Gn_h, Gn_c, dM_0, dP_b_f, dP_b_g, dP_b_o, dW_0, dW_1, dxs2, _L, _has_dy, _k, _gemm, _b0, _b1):
    # BPTT for batch rows _b0.._b1; returns the carries (the state gradients at t = 0).
    _T, _H = S_h.shape[0] - 1, S_h.shape[2]
    if _T == 0 or _b1 <= _b0:
        return (G_h, G_c, )
    _tail = np.empty((_TILE_ROWS, _PANEL // xs2.itemsize), xs2.dtype)
    for _t in range(_T - 1, -1, -1):
        _td = _t if _has_dy else 0
        _backward_level1(_t, _td, _b0, _b1, _H, G_c, G_h, Gn_c, S_c, X_1, dM_0, dys, _L, _k)
        _step_product(dM_0[_t, _b0:_b1], W_0_panels, Gn_h[_b0:_b1], _tail)  # d(h) from d(W_f, W_g, W_o @ h)
        _freeze_rows(_t, _L, G_h, Gn_h, _b0, _b1)
        G_h, Gn_h = Gn_h, G_h
        G_c, Gn_c = Gn_c, G_c
    return (G_h, G_c, )


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _backward_weights(xs2, S_h, S_c, X_1, W_1, W_0_panels, P_b_f, P_b_g, P_b_o, dys, G_h, G_c, Gn_h, Gn_c, dM_0, dP_b_f, dP_b_g, dP_b_o, dW_0, dW_1, dxs2, _k, _gemm, _r0, _r1):
    # Parameter and input gradients from rows _r0.._r1 of all steps' [T * B] adjoint rows,
    # once BPTT has filled them: the parameter gradients of these rows alone.
    _T, _B = S_h.shape[0] - 1, S_h.shape[1]
    _H, _I = S_h.shape[2], xs2.shape[1]
    if _r1 <= _r0:
        return
    # Weight gradients: one GEMM over the rows for each stacked group, transposed
    # (operand^T @ adjoints: OpenBLAS ran it 1.5x faster than adjoints^T @ operand here).
    _matmul(_gemm, S_h[:_T].reshape(_T * _B, _H)[_r0:_r1].T, dM_0.reshape(_T * _B, 3 * _H)[_r0:_r1], dW_0)
    _matmul(_gemm, xs2[_r0:_r1].T, dM_0.reshape(_T * _B, 3 * _H)[_r0:_r1], dW_1)
    _matmul(_gemm, dM_0.reshape(_T * _B, 3 * _H)[_r0:_r1], W_1, dxs2[_r0:_r1])
    # Vector parameter gradients: sums over the rows of their streams.
    _column_sum(dM_0.reshape(_T * _B, 3 * _H)[_r0:_r1], 0 * _H, dP_b_f)
    _column_sum(dM_0.reshape(_T * _B, 3 * _H)[_r0:_r1], 1 * _H, dP_b_g)
    _column_sum(dM_0.reshape(_T * _B, 3 * _H)[_r0:_r1], 2 * _H, dP_b_o)


class _OpenBLAS:
    """The BLAS the whole-sequence products run on, reached through ctypes: numpy's own
    OpenBLAS where numpy ships one with 64-bit-integer cblas entry points (numpy 2's
    wheels), else the SciPy OpenBLAS behind numba's np.dot. Here numpy's (0.3.31) ran the
    gradient GEMMs 1.17x faster than SciPy's (0.3.30), one thread each.

    gemm(dtype): the address of numpy's cblas_sgemm or cblas_dgemm, 0 for np.dot.
    found(): get/set of that BLAS's thread count; None where it is not an OpenBLAS with one
    pool of pthreads, or (np.dot's) not loaded yet.
    """

    _found = False
    _numpy = None  # numpy's (sgemm and dgemm addresses, get, set, parallel); () when it has none

    @classmethod
    def gemm(cls, dtype):
        lib = cls._numpy_blas()
        return lib[0 if dtype == np.float32 else 1] if lib else 0

    @classmethod
    def found(cls):
        if cls._found is False:
            threads = cls._numpy_blas()[2:]  # (get, set, parallel)
            if not threads:
                bindings = sys.modules.get("scipy.linalg.cython_blas")  # numba's, never imported here
                if bindings is None:
                    return None
                threads = cls._entry_points(bindings.__file__, ("", "64_", "_64"), _THREAD_CALLS)
            # parallel() == 1: pthreads (an OpenMP build keeps a limit per calling thread)
            cls._found = threads[:2] if threads and threads[2]() == 1 else None
        return cls._found

    @classmethod
    def _numpy_blas(cls):
        if cls._numpy is None:
            umath = sys.modules.get("numpy._core._multiarray_umath") or sys.modules.get("numpy.core._multiarray_umath")
            path = getattr(umath, "__file__", None)
            # ILP64 only (suffix 64_): _cblas_gemm passes 64-bit integers
            lib = path and cls._entry_points(path, ("64_", "_64"), ("cblas_sgemm", "cblas_dgemm") + _THREAD_CALLS)
            addresses = tuple(ctypes.cast(f, ctypes.c_void_p).value for f in lib[:2]) if lib else ()
            cls._numpy = addresses + tuple(lib[2:]) if lib else ()
        return cls._numpy

    @staticmethod
    def _entry_points(path, suffixes, names):
        # the functions `names` under the first prefix and suffix that has them all
        try:
            lib = ctypes.CDLL(path)  # its symbols include those of the OpenBLAS it links
        except OSError:
            return None
        for prefix in ("scipy_", ""):
            for suffix in suffixes:
                functions = tuple(getattr(lib, f"{prefix}{name}{suffix}", None) for name in names)
                if all(functions):
                    return functions
        return None


_THREAD_CALLS = ("openblas_get_num_threads", "openblas_set_num_threads", "openblas_get_parallel")


# Positions in _backward_weights' arguments of the parameter gradients: sums over rows.
_PARAMETER_SUMS = (15, 16, 17, 18, 19, )

# Fewest batch rows worth a thread of their own (8 measured slower on 2 cores at H = 32).
_ROWS_PER_THREAD = 16
# Fewest of the [T * B] rows per block of a whole-sequence GEMM: rows for the GEMM to tile.
_GEMM_ROWS_PER_THREAD = 64
_pool = None
_pool_lock = threading.Lock()


def _forget_pool():
    # A forked child has none of the pool's threads: it starts a pool of its own.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


class _Threads:
    """The threads of one call. The BLAS's threads are lent to cellgen for the call: a
    step's products are too small to split over threads (on 2 cores OpenBLAS ran them no
    faster on 2 threads than on 1), but batch rows never mix in the recurrence, so each
    thread takes a block of rows, and the whole-sequence GEMMs are split the same way, over
    all of the BLAS's threads, each with a 1-thread BLAS. (An idle OpenBLAS thread spins
    for a while after a threaded call, into the next phase's threads.) The BLAS gets its thread count
    back afterwards. n = 1 (a small batch, or a BLAS limited to 1 thread by the user or by a
    call in flight on another thread) runs everything on the calling thread and leaves the
    BLAS alone.
    """

    def __init__(self, B):
        # below two blocks' worth of rows, not even a ctypes call (step() comes here per token)
        blas = _OpenBLAS.found() if B >= 2 * _ROWS_PER_THREAD else None
        self.blas_threads = blas[0]() if blas else 1
        self.n = max(1, min(self.blas_threads, B // _ROWS_PER_THREAD))
        self._set_blas_threads = blas[1] if blas else None

    def __enter__(self):
        if self.n > 1:
            self._set_blas_threads(1)
        return self

    def __exit__(self, *exc):
        if self.n > 1:
            self._set_blas_threads(self.blas_threads)

    def rows(self, kernel, args, B):
        """kernel(*args, b0, b1) over blocks of the batch rows."""
        return self._blocks(kernel, args, B, self.n)

    def gemm_rows(self, kernel, args, size, partial=()):
        """kernel(*args, r0, r1) over blocks of the [T * B] rows; the blocks after the first
        get zeroed arrays at the positions `partial` (sums over rows), added into the first's."""
        n = min(self.blas_threads, size // _GEMM_ROWS_PER_THREAD) if self.n > 1 else 1
        return self._blocks(kernel, args, size, max(n, 1), partial)

    def _blocks(self, kernel, args, size, n, partial=()):
        # one thread per block; returns the first block's result
        if n <= 1:
            return kernel(*args, 0, size)
        global _pool
        with _pool_lock:
            if _pool is None:
                import concurrent.futures  # here, not at import: the module loads nothing numba does not
                _pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="cellgen")
        bounds = [size * i // n for i in range(n + 1)]
        own = [list(args) for _ in range(n - 1)]
        for a in own:
            for i in partial:
                a[i] = np.zeros_like(a[i])
        futures = [_pool.submit(kernel, *own[i - 1], bounds[i], bounds[i + 1]) for i in range(1, n)]
        try:
            result = kernel(*args, bounds[0], bounds[1])
        finally:
            for f in futures:  # no block may still be writing when this returns or raises
                f.exception()
        for f, a in zip(futures, own):
            f.result()
            for i in partial:
                np.add(args[i], a[i], out=args[i])
        return result


def _references(buffers, i):
    return sys.getrefcount(buffers[i])


class _Buffers:
    """The large arrays of a call (tape, outputs, work), recycled between calls. A training
    loop asks for the same arrays every step; fresh ones cost page faults and munmap's TLB
    shootdowns (20-25% of a forward + backward at (200, 8, 64, 64)). Each array handed out
    is a view of a buffer kept here, and every view of a view still references the buffer,
    so a buffer is reused only once nothing the caller holds (a tape, dxs, dparams, ys)
    can reach it. At most KEEP_BYTES of unused buffers stay; release() drops them all.
    """

    MIN_BYTES = 1 << 16  # smaller arrays come from malloc's heap without page faults
    KEEP_BYTES = 1 << 28
    MAX_TRACKED = 64

    def __init__(self):
        self._lock = threading.Lock()
        self._buffers = []  # least recently handed out first
        # The count an unreferenced buffer shows, read through the same call as the test.
        self._unused = _references([np.empty(0)], 0)

    def empty(self, shape, dtype):
        dtype = np.dtype(dtype)
        size = 1
        for d in shape:
            size *= d
        if size * dtype.itemsize < self.MIN_BYTES:
            return np.empty(shape, dtype)
        with self._lock:  # the test and the handing out are one step for any thread
            found = None
            for i in range(len(self._buffers)):
                # no name may hold the buffer while its references are counted
                fits = self._buffers[i].size == size and self._buffers[i].dtype == dtype
                if fits and _references(self._buffers, i) == self._unused:
                    found = self._buffers.pop(i)
                    break
            if found is None:
                found = np.empty(size, dtype)
            self._buffers.append(found)
            out = found.reshape(shape)
            self._trim()
            return out

    def zeros(self, shape, dtype):
        out = self.empty(shape, dtype)
        out.fill(0)
        return out

    def release(self):
        """Drop every buffer no array references (they return to the system)."""
        with self._lock:
            self._trim(0)

    def _trim(self, keep=None):
        keep = self.KEEP_BYTES if keep is None else keep
        kept = 0
        for i in range(len(self._buffers) - 1, -1, -1):  # most recent first
            if _references(self._buffers, i) == self._unused:
                kept += self._buffers[i].nbytes
                if kept > keep:
                    del self._buffers[i]
        # A caller that keeps every result (ys of a long inference, say) would make each
        # lookup longer: past MAX_TRACKED the oldest buffers become ordinary arrays, freed
        # by numpy when their last view goes.
        del self._buffers[:-self.MAX_TRACKED]


_buffers = _Buffers()
# a fork while another thread held the lock would leave it held in the child
os.register_at_fork(after_in_child=lambda: setattr(_buffers, "_lock", threading.Lock()))


def release_buffers():
    """Return the memory cellgen keeps for reuse between calls (see _Buffers) to the system."""
    _buffers.release()


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _allocators(largest):
    """(empty, zeros) for a call whose largest array has `largest` bytes: numpy's own
    below the buffers' threshold, so step() pays no lookups."""
    if largest < _Buffers.MIN_BYTES:
        return np.empty, np.zeros
    return _buffers.empty, _buffers.zeros


def _transposed(a, empty=np.empty):
    out = empty((a.shape[1], a.shape[0]), a.dtype)
    _transpose(a, out)
    return out


def _floating(name, a, key=None):
    # name (or name[key]) is formatted only for the error: a call checks a dozen arrays
    a = np.asarray(a)
    if a.dtype not in _FLOATS:
        label = name if key is None else f"{name}[{key!r}]"
        raise TypeError(f"{label} has dtype {a.dtype}; expected float32 or float64")
    return a


def _check_params(params):
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays with the keys {list(PARAMS)}, not {type(params).__name__}")
    if params.keys() != PARAMS.keys():
        missing = [k for k in PARAMS if k not in params]
        extra = [k for k in params if k not in PARAMS]
        raise ValueError(f"params has missing keys {missing} and unknown keys {extra}; expected {list(PARAMS)}")
    arrays = {k: _floating("params", params[k], k) for k in PARAMS}
    dtype = next(iter(arrays.values())).dtype if arrays else np.dtype(np.float64)
    sizes = {}
    for k, a in arrays.items():
        if a.dtype != dtype:
            raise TypeError(f"params[{k!r}] has dtype {a.dtype} but the other parameters have {dtype}")
        if a.ndim != len(PARAMS[k]):
            raise ValueError(f"params[{k!r}] has shape {a.shape}; expected {PARAMS[k]}")
        for dim, role in zip(a.shape, PARAMS[k]):
            if sizes.setdefault(role, dim) != dim:
                expected = tuple(sizes[r] for r in PARAMS[k])
                raise ValueError(f"params[{k!r}] has shape {a.shape}; expected {PARAMS[k]} = {expected}")
    arrays = {k: a if a.flags.c_contiguous else np.ascontiguousarray(a) for k, a in arrays.items()}
    return arrays, dtype, sizes.get("hidden"), sizes.get("input")


def _check_state(name, state, B, H, dtype):
    if state is None:
        return None
    if not isinstance(state, (tuple, list)) or len(state) != len(STATES):
        raise ValueError(f"{name} must be a tuple of {len(STATES)} arrays of shape [B, hidden], one per state {STATES}")
    out = []
    for s, a in zip(STATES, state):
        if a is None:
            out.append(None)
            continue
        a = _floating(name, a, s)
        if a.dtype != dtype:
            raise TypeError(f"{name}[{s!r}] has dtype {a.dtype}; expected {dtype} (the parameters' dtype)")
        if a.shape != (B, H):
            raise ValueError(f"{name}[{s!r}] has shape {a.shape}; expected [B, hidden] = {(B, H)}")
        out.append(a)
    return out


def _hidden_size(H, state0):
    if H is not None:
        return H
    for a in state0 or ():
        if a is not None:
            return np.shape(a)[-1]
    raise ValueError("the hidden size cannot be inferred: this cell has no parameters; pass state0")


def init_params(input_size, hidden_size, seed=0, dtype=np.float32):
    """Parameters as torch.nn.LSTM starts them, U(-1/sqrt(hidden), 1/sqrt(hidden)); `init` lines as given."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden_size)
    sizes = {"hidden": hidden_size, "input": input_size}
    params = {}
    for k, shape in PARAMS.items():
        dims = tuple(sizes[d] for d in shape)
        if k in INIT:
            params[k] = np.full(dims, INIT[k], dtype=dtype)
        else:
            params[k] = rng.uniform(-bound, bound, dims).astype(dtype)
    return params


# Columns of the widest stacked product, in hidden sizes: a call's arrays are about
# [T, B, this * max(H, I)] at most, which decides whether it takes buffers (_allocators).
_WIDEST = 3

# The weight matrices each stacked GEMM multiplies by, in the order of their products.
_GROUPS = {
    0: ["W_f", "W_g", "W_o"],
    1: ["U_f", "U_g", "U_o"],
}


class Packed:
    """Parameters checked once and laid out for the kernels (stacked, transposed weights).

    forward, backward and step accept a Packed in place of the dict: pack once and call
    many times (inference), as long as the arrays are not changed in place meanwhile.
    """

    def __init__(self, params):
        self.p, self.dtype, self.H, self.I = _check_params(params)
        self._stacked = {}

    def stacked(self, group, transpose):
        key = (group, transpose)
        if key not in self._stacked:
            names = _GROUPS[group]
            w = self.p[names[0]] if len(names) == 1 else np.concatenate([self.p[n] for n in names])
            # the kernel's blocked transpose: 2.6x numpy's copy of w.T at 256 x 1024
            self._stacked[key] = _transposed(w) if transpose else w
        return self._stacked[key]

    def panels(self, group, transpose):
        """The stacked weights (transpose: transposed) as _step_product reads them."""
        key = ("panels", group, transpose)
        if key not in self._stacked:
            self._stacked[key] = _pack_panels(self.stacked(group, False), transpose)
        return self._stacked[key]


def pack(params):
    """Check and lay out params for repeated calls; a Packed passes through."""
    return params if isinstance(params, Packed) else Packed(params)


def _check_lengths(lengths, T, B):
    if lengths is None:
        return np.full(B, T, np.int64)
    a = np.asarray(lengths)
    if a.shape != (B,) or a.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers of shape [B] = ({B},), not {a.dtype} {a.shape}")
    if B and (a.min() < 0 or a.max() > T):
        raise ValueError(f"lengths must lie in [0, T] = [0, {T}]; got {a.min()}..{a.max()}")
    return np.ascontiguousarray(a, np.int64)


def forward(params, xs, state0=None, lengths=None):
    """Run the cell over xs [T, B, input]. Returns (ys [T, B, hidden], final states, tape).

    lengths [B] (optional): sequence b stops after lengths[b] steps; its state is frozen
    from there on (final holds it) and its outputs are zero, as with a PackedSequence.
    """
    pk = pack(params)
    p, dtype, H, I = pk.p, pk.dtype, pk.H, pk.I
    xs = _floating("xs", xs)
    if xs.ndim != 3 or (I is not None and xs.shape[2] != I):
        raise ValueError(f"xs has shape {xs.shape}; expected [T, B, input_size] = [T, B, {I if I is not None else 'input_size'}]")
    if xs.dtype != dtype:
        raise TypeError(f"xs has dtype {xs.dtype}; expected {dtype} (the parameters' dtype)")
    xs = np.ascontiguousarray(xs)
    T, B, I = xs.shape
    H = _hidden_size(H, state0)
    state0 = _check_state("state0", state0, B, H, dtype)
    L = _check_lengths(lengths, T, B)
    empty, zeros = _allocators(T * B * max(H, I, 1) * _WIDEST * dtype.itemsize)
    tape = {"cell": NAME, "T": T, "B": B, "H": H, "I": I, "dtype": dtype, "xs2": xs.reshape(T * B, I),
            "params": params, "packed": pk,
            "lengths": L, "masked": lengths is not None}
    S_h = empty((T + 1, B, H), dtype)
    S_h[0] = 0 if state0 is None or state0[0] is None else state0[0]
    tape["S_h"] = S_h
    S_c = empty((T + 1, B, H), dtype)
    S_c[0] = 0 if state0 is None or state0[1] is None else state0[1]
    tape["S_c"] = S_c
    tape["X_1"] = empty((T, B, 3 * H), dtype)
    M_0 = np.empty((B, 3 * H), dtype)  # one step's products; the tape keeps their sums, or the gates made of them, in X
    ys = empty((T, B, H), dtype)
    k = np.array(_CONSTANTS, dtype)
    args = (tape["xs2"], S_h, S_c, tape["X_1"], M_0, pk.stacked(1, True), pk.panels(0, True), p["b_f"], p["b_g"], p["b_o"], L, k, _OpenBLAS.gemm(dtype), ys)
    with _Threads(B) as threads:
        threads.gemm_rows(_forward_inputs, args, T * B)
        threads.rows(_forward_rows, args, B)
    if tape["masked"]:
        ys[np.arange(T)[:, None] >= L[None, :]] = 0
    final = (S_h[T].copy(), S_c[T].copy(), )
    return ys, final, tape


def backward(params, tape, dys, dfinal=None):
    """BPTT through a forward's tape. Returns (dparams, dxs [T, B, input], dstate0).

    Given the params object the forward ran with, it differentiates at the weights that
    forward laid out (changing them in place in between is not supported: torch raises).
    """
    if not isinstance(tape, dict) or tape.get("cell") != NAME:
        raise TypeError(f"tape must be the third value returned by this cell's forward() ({NAME})")
    # the forward's checks and stacked weights: a dict costs ~70 us to check and stack again
    pk = tape["packed"] if params is tape["params"] else pack(params)
    p, dtype = pk.p, pk.dtype
    T, B = tape["T"], tape["B"]
    for role, size in (("hidden", pk.H), ("input", pk.I)):
        if size is not None and size != tape[role[0].upper()]:
            raise ValueError(f"params have {role} size {size} but the tape was recorded with "
                             f"{tape[role[0].upper()]}")
    H, I = tape["H"], tape["I"]
    if dtype != tape["dtype"]:
        raise TypeError(f"params have dtype {dtype} but the tape was recorded with {tape['dtype']}")
    if dys is not None:
        dys = _floating("dys", dys)
        if dys.shape != (T, B, H):
            raise ValueError(f"dys has shape {dys.shape}; expected [T, B, hidden] = {(T, B, H)}")
        if dys.dtype != dtype:
            raise TypeError(f"dys has dtype {dys.dtype}; expected {dtype} (the parameters' dtype)")
        dys = np.ascontiguousarray(dys)
    else:
        dys = np.zeros((1, B, H), dtype)
    dfinal = _check_state("dfinal", dfinal, B, H, dtype)
    empty, zeros = _allocators(T * B * max(H, I, 1) * _WIDEST * dtype.itemsize)
    G_h = np.zeros((B, H), dtype) if dfinal is None or dfinal[0] is None else dfinal[0].copy()
    Gn_h = np.empty((B, H), dtype)
    G_c = np.zeros((B, H), dtype) if dfinal is None or dfinal[1] is None else dfinal[1].copy()
    Gn_c = np.empty((B, H), dtype)
    work = {}
    work["dM_0"] = empty((T, B, 3 * H), dtype)
    work["dW_0"] = (empty if T * B else zeros)((H, 3 * H), dtype)  # transposed; a GEMM writes it
    work["dW_1"] = (empty if T * B else zeros)((I, 3 * H), dtype)  # transposed; a GEMM writes it
    work["dP_b_f"] = np.zeros(H, np.float64)
    work["dP_b_g"] = np.zeros(H, np.float64)
    work["dP_b_o"] = np.zeros(H, np.float64)
    dxs2 = empty((T * B, I), dtype)  # x's group's GEMM writes every row
    k = np.array(_CONSTANTS, dtype)
    arrays = (tape["xs2"], tape["S_h"], tape["S_c"], tape["X_1"], pk.stacked(1, False), pk.panels(0, False), p["b_f"], p["b_g"], p["b_o"], dys, G_h, G_c, Gn_h, Gn_c, work["dM_0"], work["dP_b_f"], work["dP_b_g"], work["dP_b_o"], work["dW_0"], work["dW_1"], dxs2, )
    with _Threads(B) as threads:
        gemm = _OpenBLAS.gemm(dtype)
        dstate0 = threads.rows(_backward_rows, arrays + (tape["lengths"], dys.shape[0] == T and T > 0, k, gemm), B)
        threads.gemm_rows(_backward_weights, arrays + (k, gemm), T * B, _PARAMETER_SUMS)
    work["dW_0"] = _transposed(work["dW_0"], empty)
    work["dW_1"] = _transposed(work["dW_1"], empty)
    dparams = {}
    dparams["W_f"] = work["dW_0"][0 * H:1 * H]
    dparams["U_f"] = work["dW_1"][0 * H:1 * H]
    dparams["b_f"] = work["dP_b_f"].astype(dtype)
    dparams["W_g"] = work["dW_0"][1 * H:2 * H]
    dparams["U_g"] = work["dW_1"][1 * H:2 * H]
    dparams["b_g"] = work["dP_b_g"].astype(dtype)
    dparams["W_o"] = work["dW_0"][2 * H:3 * H]
    dparams["U_o"] = work["dW_1"][2 * H:3 * H]
    dparams["b_o"] = work["dP_b_o"].astype(dtype)
    return dparams, dxs2.reshape(T, B, I), dstate0


def step(params, x, state=None):
    """One step for inference, no tape: x [B, input] -> (y [B, hidden], new state)."""
    x = _floating("x", x)
    if x.ndim != 2:
        raise ValueError(f"x has shape {x.shape}; expected [B, input_size]")
    ys, final, _ = forward(params, x[None], state)
    return ys[0], final
