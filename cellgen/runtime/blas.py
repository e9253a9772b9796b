"""The whole-sequence products: numpy's own OpenBLAS through its cblas entry points, or np.dot.

numpy 2's wheels ship an ILP64 OpenBLAS whose cblas_?gemm is reachable through ctypes;
where it exists, `matmul` calls it by address (measured 1.17x faster on the gradient
GEMMs than the SciPy OpenBLAS behind numba's np.dot). Elsewhere np.dot serves.
"""
from __future__ import annotations

import ctypes
import sys

import numba
import numba.core.cgutils
import numba.extending
import numpy as np

_THREAD_CALLS = ("openblas_get_num_threads", "openblas_set_num_threads", "openblas_get_parallel")


class OpenBLAS:
    """The BLAS the whole-sequence products run on; probed once per process.

    gemm(dtype): the address of numpy's cblas_sgemm or cblas_dgemm, 0 for np.dot.
    found(): (get, set) of that BLAS's thread count; None where it is not an OpenBLAS with
    one pool of pthreads, or (np.dot's) not loaded yet.
    """

    _found = False
    _numpy = None  # numpy's (sgemm and dgemm addresses, get, set, parallel); () when it has none

    @classmethod
    def gemm(cls, dtype) -> int:
        lib = cls._numpy_blas()
        return lib[0 if np.dtype(dtype) == np.float32 else 1] if lib else 0

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
            # ILP64 only (suffix 64_): cblas_gemm passes 64-bit integers
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


@numba.extending.intrinsic
def cblas_gemm(typingctx, address, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc):
    # c = a @ b by the cblas_?gemm at `address` (row-major, 64-bit integers). An address
    # passed at run time, not a symbol or a constant: Numba's cache keeps none of a process's.
    integer = numba.types.int64
    signature = numba.types.void(integer, integer, integer, integer, integer, integer,
                                 a, integer, b, integer, c, integer)

    def codegen(context, builder, signature, args):
        ir = numba.core.cgutils.ir  # llvmlite's, through numba: the runtime imports numba only
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
def blas_layout(a):
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


def dense(a):
    return a


@numba.extending.overload(dense, jit_options={"error_model": "numpy"})
def _dense_overload(a):
    # np.dot takes C- or F-ordered matrices; a column block of a wider buffer (a GRU's
    # gradients read from dX) is copied first, in the np.dot path only.
    if a.layout in ("C", "F"):
        return lambda a: a
    return lambda a: np.ascontiguousarray(a)


@numba.njit(cache=True, error_model="numpy")
def matmul(gemm, a, b, out):
    """out = a @ b by the cblas_?gemm at address gemm (OpenBLAS.gemm), or np.dot where gemm
    is 0. One-row products also take np.dot: 1.1 us against 4.4 through cblas (1 x 64 x 256)."""
    m, k = a.shape
    n = b.shape[1]
    trans_a, lda = blas_layout(a)
    trans_b, ldb = blas_layout(b)
    trans_c, ldc = blas_layout(out)
    if gemm == 0 or m <= 1 or n == 0 or k == 0 or trans_a == 0 or trans_b == 0 or trans_c != 111:
        np.dot(dense(a), dense(b), out)
    else:
        cblas_gemm(gemm, trans_a, trans_b, m, n, k, a, lda, b, ldb, out, ldc)


@numba.njit(cache=True, error_model="numpy")
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
