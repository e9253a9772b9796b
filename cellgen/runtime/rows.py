"""Small jitted helpers the generated drivers call on batch rows and streams."""
from __future__ import annotations

import numba
import numba.core.cgutils
import numba.extending
import numba.np.arrayobj
import numpy as np

from . import cache  # noqa: F401  (read-only caches: before any jitted function)


@numba.extending.intrinsic
def unowned(typingctx, a):
    """The same array without its owner (NULL meminfo), for kernels only.

    Views of it need no reference count: a kernel's per-row views otherwise cost two
    atomic operations each per row (10-15% of the forward kernel at H = 32). A kernel
    keeps no view past its return, so nothing outlives the owner."""
    def codegen(context, builder, signature, args):
        src = context.make_array(a)(context, builder, args[0])
        out = context.make_array(a)(context, builder)
        for field in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(out, field, getattr(src, field))
        out.meminfo = numba.core.cgutils.get_null_value(out.meminfo.type)
        out.parent = numba.core.cgutils.get_null_value(out.parent.type)
        return out._getvalue()
    return a(a), codegen


# Units of a row a staged kernel computes at a time (see staging_row).
STAGE = 256
# The input stage (a cell's hoisted input terms) runs all its levels over this many of the
# [T * B] rows before the next rows: a chunk's rows of a few [rows, 4H] arrays stay in L2.
STAGE_ROWS = 32
_LANES = 16  # partial sums, so LLVM vectorizes a row's sum without reassociating it


def _stack_row(like, size: int):
    """The typing and codegen of `size` elements of like's dtype on the stack (an alloca in
    the entry block of the function that, after inlining, calls it)."""
    dtype = like.dtype
    row = numba.types.Array(dtype, 1, "C")

    def codegen(context, builder, signature, args):
        element = context.get_data_type(dtype)
        n = context.get_constant(numba.types.intp, size)
        data = numba.core.cgutils.alloca_once(builder, element, size=n)
        out = context.make_array(row)(context, builder)
        itemsize = context.get_constant(numba.types.intp, context.get_abi_sizeof(element))
        numba.np.arrayobj.populate_array(out, data=data, shape=[n], strides=[itemsize], itemsize=itemsize,
                                         meminfo=None)
        return out._getvalue()
    return row(like), codegen


@numba.extending.intrinsic
def lanes_row(typingctx, like):
    """_LANES elements of like's dtype on the stack: row_means's partial sums, without an
    allocation per row."""
    return _stack_row(like, _LANES)


@numba.extending.intrinsic
def staging_row(typingctx, like):
    """STAGE elements of like's dtype on the stack (an alloca in the function's entry block).

    A kernel that writes many arrays and reads many more stays scalar: LLVM cannot prove
    the arrays apart, and the runtime checks it would need exceed its limit. Written into
    rows on the stack, which alias nothing, and copied out one array per loop, the same
    work vectorizes (7-12x faster for 12-24 arrays read and 5-14 written, measured)."""
    return _stack_row(like, STAGE)


@numba.njit(cache=True, error_model="numpy")
def copy_rows(src, dst, b0, b1):
    # dst[b0:b1] = src[b0:b1] as loops: Numba compiles a slice assignment's broadcasting
    # and error formatting in seconds, and this in a fraction of one.
    for b in range(b0, b1):
        for j in range(src.shape[1]):
            dst[b, j] = src[b, j]


@numba.njit(cache=True, error_model="numpy")
def freeze_rows(t, lengths, carry, new_carry, b0, b1):
    # A carry the GEMM wrote directly: rows past their sequence's end hand theirs on unchanged.
    for b in range(b0, b1):
        if t >= lengths[b]:
            copy_rows(carry, new_carry, b, b + 1)


@numba.njit(cache=True, error_model="numpy")
def row_means(a, b0, b1, c0, c1, out):
    """out[b] = the mean of a[b, c0:c1] for the rows b0..b1: `mean(v)` over a row's hidden
    units (a: [B, width], C-contiguous, the units a block of its columns); out [B] holds one
    value per row, or [B, H] the value at every unit (an operand's adjoint, read as a
    vector). a is whole, not a slice: a row of it is then contiguous to Numba, and the
    lanes below load as vectors (1.6x faster than through a [rows, H] slice). The sum runs
    in 16 fixed lanes and then across them, an order that depends on H only: the same bits
    on every call."""
    H = c1 - c0
    main = H - H % _LANES
    lanes = lanes_row(a)
    for b in range(b0, b1):
        row = a[b, c0:c1]
        for k in range(_LANES):
            lanes[k] = 0
        for j0 in range(0, main, _LANES):
            for k in range(_LANES):
                lanes[k] += row[j0 + k]
        total = a.dtype.type(0)
        for k in range(_LANES):
            total += lanes[k]
        for j in range(main, H):
            total += row[j]
        m = total / H
        if out.ndim == 1:
            out[b] = m
        else:
            for j in range(H):
                out[b, j] = m


# nogil: the row blocks of the whole-sequence phase call these from threads of their own
@numba.njit(cache=True, error_model="numpy", nogil=True)
def column_sums(a, blocks, out):
    """out[k] += the column sums of a's block blocks[k] (blocks of out.shape[1] columns):
    the vector parameters that read one stream, in one call."""
    for k in range(out.shape[0]):
        column_sum(a, blocks[k] * out.shape[1], out[k])


@numba.njit(cache=True, error_model="numpy", nogil=True)
def column_sum(a, begin, out):
    """out += the sums of a's columns begin..begin + len(out), over all rows.

    Blocks of 32 rows are summed in the data's dtype (vectorized, in cache), the blocks
    into float64 out: thousands of float32 terms lose no precision."""
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


@numba.njit(cache=True, error_model="numpy", nogil=True)
def transpose_into(src, dst):
    # Eight source rows at a time, so each destination row gets eight neighbouring values:
    # 2.6x numpy's copy of w.T at 256 x 1024.
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


def transposed(a: np.ndarray, empty=np.empty) -> np.ndarray:
    """a.T as a new C-ordered array (from `empty`, e.g. the buffer pool's)."""
    out = empty((a.shape[1], a.shape[0]), a.dtype)
    transpose_into(a, out)
    return out
