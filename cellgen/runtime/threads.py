"""The threads of a call: one pool per process, borrowed from the BLAS's thread count.

A step's products are too small to split over threads (on 2 cores OpenBLAS ran them no
faster on 2 threads than on 1), but batch rows never mix in the recurrence, so each
thread takes a block of rows, and the whole-sequence GEMMs are split the same way, each
block on a 1-thread BLAS. The BLAS's threads are lent for the call and its count restored
after. n = 1 (a small batch, or a BLAS limited to 1 thread) runs everything on the
calling thread and leaves the BLAS alone.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from .blas import OpenBLAS

# Fewest batch rows worth a thread of their own (8 measured slower on 2 cores at H = 32).
ROWS_PER_THREAD = 16
# Fewest of the [T * B] rows per block of a whole-sequence GEMM: rows for the GEMM to tile.
GEMM_ROWS_PER_THREAD = 64

_pool = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    # A forked child has none of the pool's threads: it starts a pool of its own.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _executor():
    global _pool
    with _pool_lock:
        if _pool is None:
            import concurrent.futures  # here, not at import: most calls never need it
            _pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="cellgen")
        return _pool


class Threads:
    """The threads of one call: `with Threads(B) as threads: threads.rows(kernel, args, B)`."""

    def __init__(self, B: int):
        # below two blocks' worth of rows, not even a ctypes call (step() comes here per token)
        blas = OpenBLAS.found() if B >= 2 * ROWS_PER_THREAD else None
        self.blas_threads = blas[0]() if blas else 1
        self.n = max(1, min(self.blas_threads, B // ROWS_PER_THREAD))
        self._set_blas_threads = blas[1] if blas else None

    def __enter__(self):
        if self.n > 1:
            self._set_blas_threads(1)
        return self

    def __exit__(self, *exc):
        if self.n > 1:
            self._set_blas_threads(self.blas_threads)

    def rows(self, kernel, args, B: int):
        """kernel(*args, b0, b1) over blocks of the batch rows; the first block's result."""
        return self._blocks(kernel, args, B, self.n)

    def gemm_rows(self, kernel, args, size: int, partial=()):
        """kernel(*args, r0, r1) over blocks of the [T * B] rows; the blocks after the first
        get zeroed arrays at the positions `partial` (sums over rows), added into the first's."""
        n = min(self.blas_threads, size // GEMM_ROWS_PER_THREAD) if self.n > 1 else 1
        return self._blocks(kernel, args, size, max(n, 1), partial)

    @staticmethod
    def _blocks(kernel, args, size, n, partial=()):
        if n <= 1:
            return kernel(*args, 0, size)
        pool = _executor()
        bounds = [size * i // n for i in range(n + 1)]
        own = [list(args) for _ in range(n - 1)]
        for a in own:
            for i in partial:
                a[i] = np.zeros_like(a[i])
        futures = [pool.submit(kernel, *own[i - 1], bounds[i], bounds[i + 1]) for i in range(1, n)]
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
