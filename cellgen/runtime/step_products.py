"""A step's products: a register-tiled kernel over weights packed once per call.

A step multiplies a few batch rows by the recurrent weights. OpenBLAS packs the weights
again on every call, and for a step's few rows that packing is a large part of the
product. Here the weights are packed once per call into panels of PANEL bytes' worth of
columns (pack_panels), and each tile of TILE_ROWS rows x one panel keeps its sums in
vector registers over the whole inner dimension (LLVM vector IR, one FMA chain per sum).
"""
from __future__ import annotations

import numba
import numba.core.cgutils
import numba.extending
import numpy as np

from . import cache  # noqa: F401  (read-only caches: before any jitted function)

PANEL = 64  # bytes: two AVX2 vectors, 16 float32 or 8 float64 columns
# 6 rows x 2 vectors: 12 independent FMA chains and 3 more registers for a step of k (of
# 16), enough to cover the FMA latency on both ports. 4 rows (8 chains) measured 5-17%
# slower, 8 (16 chains, registers spilled) 3-15% slower (docs/performance.md).
TILE_ROWS = 6


def _tile_kernel(rows, accumulate=False, group=1):
    """An intrinsic: out[o0:o0 + rows, j0:j0 + group panels] = a[a0:a0 + rows] @ panels p..p +
    group - 1 of panels (accumulate: +=, the sums starting from out's values).

    Rows of a and out need unit column stride (any row stride); panels is C-ordered
    [panels, K, columns]. Each output's sum is one FMA chain over k, in order, whatever the
    tile's shape: a wider tile changes no bit."""
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
            width = ir.Constant(i64, PANEL // size)

            def row(array, first, r):
                stride = builder.sdiv(cgutils.unpack_tuple(builder, array.strides, 2)[0], ir.Constant(i64, size))
                return builder.gep(array.data, [builder.mul(builder.add(first, ir.Constant(i64, r)), stride)])

            def vector_at(pointer, v):
                return builder.bitcast(builder.gep(pointer, [ir.Constant(i64, v * lanes)]), vector.as_pointer())
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vector, [vector] * 3),
                                                 f"llvm.fma.v{lanes}f{size * 8}")
            per_panel = PANEL // 32
            n_vectors = per_panel * group  # of the tile's columns, panel after panel
            zero = ir.Constant(vector, [0.0] * lanes)
            sums = [[cgutils.alloca_once_value(builder, zero) for _ in range(n_vectors)] for _ in range(rows)]
            out_rows = [builder.gep(row(C, o0_, r), [j0_]) for r in range(rows)]
            if accumulate:
                for r in range(rows):
                    for v in range(n_vectors):
                        builder.store(builder.load(vector_at(out_rows[r], v), align=size), sums[r][v])
            a_rows = [row(A, a0_, r) for r in range(rows)]
            panel_size = builder.mul(K, width)
            panel = [builder.gep(P.data, [builder.mul(builder.add(p_, ir.Constant(i64, q)), panel_size)])
                     for q in range(group)]
            broadcast = ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes)
            with cgutils.for_range(builder, K) as loop:
                b_rows = [builder.gep(first, [builder.mul(loop.index, width)]) for first in panel]
                b = [builder.load(vector_at(b_rows[v // per_panel], v % per_panel), align=size)
                     for v in range(n_vectors)]
                for r in range(rows):
                    x = builder.load(builder.gep(a_rows[r], [loop.index]))
                    x = builder.insert_element(ir.Constant(vector, None), x, ir.Constant(ir.IntType(32), 0))
                    x = builder.shuffle_vector(x, ir.Constant(vector, None), broadcast)
                    for v in range(n_vectors):
                        builder.store(builder.call(fma, [x, b[v], builder.load(sums[r][v])]), sums[r][v])
            for r in range(rows):
                for v in range(n_vectors):
                    builder.store(builder.load(sums[r][v]), vector_at(out_rows[r], v), align=size)
            return context.get_dummy_value()
        return signature, codegen
    return tile


_tile1, _tile2, _tile3, _tile4, _tile5, _tile6 = (_tile_kernel(rows) for rows in range(1, TILE_ROWS + 1))
# A step of one or two batch rows (a thread's share of a small batch): one panel's tile has
# only 2 or 4 FMA chains, too few to cover the FMA's latency; over 4 or 2 panels it has 8.
_wide1, _wide2 = _tile_kernel(1, group=4), _tile_kernel(2, group=2)
WIDE_PANELS = (1, 4, 2)  # panels of a wide tile, by its rows
_add1, _add2, _add3, _add4, _add5, _add6 = (_tile_kernel(rows, accumulate=True) for rows in range(1, TILE_ROWS + 1))


@numba.njit(cache=True, error_model="numpy", nogil=True)
def tiles(a, a0, rows, panels, p, out, o0, j0):
    if rows == 6:
        _tile6(a, a0, panels, p, out, o0, j0)
    elif rows == 5:
        _tile5(a, a0, panels, p, out, o0, j0)
    elif rows == 4:
        _tile4(a, a0, panels, p, out, o0, j0)
    elif rows == 3:
        _tile3(a, a0, panels, p, out, o0, j0)
    elif rows == 2:
        _tile2(a, a0, panels, p, out, o0, j0)
    else:
        _tile1(a, a0, panels, p, out, o0, j0)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def tiles_add(a, a0, rows, panels, p, out, o0, j0):
    if rows == 6:
        _add6(a, a0, panels, p, out, o0, j0)
    elif rows == 5:
        _add5(a, a0, panels, p, out, o0, j0)
    elif rows == 4:
        _add4(a, a0, panels, p, out, o0, j0)
    elif rows == 3:
        _add3(a, a0, panels, p, out, o0, j0)
    elif rows == 2:
        _add2(a, a0, panels, p, out, o0, j0)
    else:
        _add1(a, a0, panels, p, out, o0, j0)


@numba.njit(cache=True, error_model="numpy")
def pack_panels(w, transpose):
    # w (transpose: w^T) [K, N] as [ceil(N / width), K, width], zero past column N. w is
    # read along its rows, each panel row written whole: 2-2.6x faster than panel by panel
    # (H = 128 and 256), and this runs on one thread in every call.
    K, N = (w.shape[1], w.shape[0]) if transpose else w.shape
    width = PANEL // w.itemsize
    out = np.empty(((N + width - 1) // width, K, width), w.dtype)
    pack_panels_into(w, transpose, out)
    return out


@numba.njit(cache=True, error_model="numpy", nogil=True)
def pack_panels_into(w, transpose, out):
    """pack_panels into out, C-ordered [ceil(N / width), K, width]."""
    K, N = (w.shape[1], w.shape[0]) if transpose else w.shape
    width = out.shape[2]
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


@numba.njit(cache=True, error_model="numpy")
def step_product(a, panels, out, tail):
    # out = a @ b for one step's rows, b as pack_panels laid it out; tail [TILE_ROWS,
    # width] takes the last, partial panel's tile before its columns are copied.
    M, N = out.shape
    width = panels.shape[2]
    full = N // width
    # One or two rows past the last 6-row tile (a batch of 1, 2, 7, 8, ... on a thread) go
    # in wide tiles, over the first `wide` panels.
    few = M % TILE_ROWS if M % TILE_ROWS <= 2 else 0
    wide = full - full % WIDE_PANELS[few] if few else 0
    for p in range(panels.shape[0]):
        for i0 in range(0, M, TILE_ROWS):
            rows = min(TILE_ROWS, M - i0)
            if rows == few and p < wide:
                continue
            if p < full:
                tiles(a, i0, rows, panels, p, out, i0, p * width)
            else:
                tiles(a, i0, rows, panels, p, tail, 0, 0)
                for r in range(rows):
                    for j in range(N - p * width):
                        out[i0 + r, p * width + j] = tail[r, j]
    for p in range(0, wide, WIDE_PANELS[few]):
        if few == 1:
            _wide1(a, M - 1, panels, p, out, M - 1, p * width)
        else:
            _wide2(a, M - 2, panels, p, out, M - 2, p * width)
