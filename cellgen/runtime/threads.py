"""The threads of a call: one pool per process, cellgen's own, and work in chunks.

Batch rows never mix in the recurrence, so each thread takes a block of rows; the
whole-sequence products split the [T * B] rows the same way. Every kernel runs on
cellgen's threads (sequence_products.py), none on a BLAS, so a call never changes a
thread count that someone else owns. How many threads: `set_num_threads(n)`, else the
environment's CELLGEN_NUM_THREADS, else the CPUs this process may run on.

A block's work is cut into chunks of about CHUNK_WORK multiply-adds, with Python between
them: Ctrl-C (handled only in Python, on the main thread) then waits for one chunk,
after which every thread stops at its next chunk and the call raises KeyboardInterrupt
with no thread still writing. The chunks are decided by the sizes alone, so they do not
change a result's bits.
"""
from __future__ import annotations

import os
import threading

import numpy as np

# Fewest batch rows worth a thread of their own (8 measured slower on 2 cores at H = 32).
ROWS_PER_THREAD = 16
# Fewest multiply-adds worth a block of a whole-sequence product on a thread of its own
# (~0.4 ms at small sizes: handing a block to a thread and back took ~60 us).
BLOCK_WORK = 1 << 24
# Multiply-adds per chunk: ~1 ms of one thread, against ~10 us to call a kernel.
CHUNK_WORK = 1 << 25

_count: int | None = None
_pool = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    # A forked child has none of the pool's threads: it starts a pool of its own.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def num_threads() -> int:
    """The most threads a call uses."""
    if _count is not None:
        return _count
    env = os.environ.get("CELLGEN_NUM_THREADS", "")
    if env.strip():
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"CELLGEN_NUM_THREADS={env!r}: expected a positive integer") from None
        if n < 1:
            raise ValueError(f"CELLGEN_NUM_THREADS={env!r}: expected a positive integer")
        return n
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_num_threads(n: int | None) -> None:
    """Use at most n threads per call (None: back to CELLGEN_NUM_THREADS or the CPU count)."""
    global _count
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"set_num_threads takes a positive int or None, not {n!r}")
    _count = n


def _executor():
    global _pool
    with _pool_lock:
        if _pool is None:
            import concurrent.futures  # here, not at import: most calls never need it
            _pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="cellgen")
        return _pool


def chunks(begin: int, end: int, size: int, reverse: bool = False) -> list[tuple[int, int]]:
    """[begin, end) in pieces of `size` (the last one shorter), first to last or last to first."""
    size = max(1, size)
    pieces = [(c, min(c + size, end)) for c in range(begin, end, size)]
    return pieces[::-1] if reverse else pieces


class Threads:
    """The threads of one call over B batch rows."""

    def __init__(self, B: int):
        self.most = num_threads()
        # a small batch (step() comes here per token) stays on the calling thread throughout
        self.n = max(1, min(self.most, B // ROWS_PER_THREAD)) if B >= 2 * ROWS_PER_THREAD else 1

    def steps(self, kernel, args, B: int, T: int, step_work: int, reverse: bool = False) -> None:
        """kernel(*args, b0, b1, t0, t1) over blocks of the batch rows, each block's steps in
        chunks (reverse: from the last step back), each chunk of about CHUNK_WORK."""
        def block(i, b0, b1, cancel):
            for t0, t1 in chunks(0, T, CHUNK_WORK // max(1, (b1 - b0) * step_work), reverse):
                if cancel is not None and cancel.is_set():
                    return
                kernel(*args, b0, b1, t0, t1)
        _blocks(block, B, self.n)

    def rows(self, kernel, args, size: int, row_work: int, partial=(), granule: int = 1) -> None:
        """kernel(*args, r0, r1) over blocks of the [T * B] rows, in chunks of a multiple of
        `granule` rows; the blocks after the first get zeroed arrays at the positions
        `partial` (sums over rows), added into the first's."""
        n = min(self.most, size * row_work // BLOCK_WORK)
        chunk = max(1, CHUNK_WORK // max(1, row_work) // granule) * granule
        own = [list(args) for _ in range(max(n, 1))]
        for a in own[1:]:
            for i in partial:
                a[i] = np.zeros_like(a[i])
        bounds = [size * i // max(n, 1) for i in range(max(n, 1) + 1)]

        def block(i, r0, r1, cancel):
            for c0, c1 in chunks(r0, r1, chunk):
                if cancel is not None and cancel.is_set():
                    return
                kernel(*own[i], c0, c1)
        _blocks(block, size, max(n, 1), bounds)
        for a in own[1:]:
            for i in partial:
                np.add(args[i], a[i], out=args[i])


def _blocks(block, size: int, n: int, bounds=None) -> None:
    """block(i, b0, b1, cancel) for the n blocks i of range(size): the first on this
    thread, the others on the pool. Returns when no block is running, whatever happened."""
    if n <= 1:
        block(0, 0, size, None)
        return
    bounds = bounds or [size * i // n for i in range(n + 1)]
    cancel = threading.Event()
    pool = _executor()
    futures = [pool.submit(block, i, bounds[i], bounds[i + 1], cancel) for i in range(1, n)]
    try:
        block(0, bounds[0], bounds[1], cancel)
    except BaseException:
        cancel.set()
        raise
    finally:
        _wait(futures, cancel)
    for f in futures:
        f.result()  # a block's error, raised here


def _wait(futures, cancel: threading.Event) -> None:
    # Waiting on a future is interruptible; leaving before the blocks end is not allowed
    # (they write into arrays that go back to the buffer pool), so an interrupt cancels the
    # blocks' remaining chunks, and is raised once they have stopped.
    interrupt = None
    for f in futures:
        while True:
            try:
                f.exception()
                break
            except KeyboardInterrupt as e:
                interrupt = e
                cancel.set()
    if interrupt is not None:
        raise interrupt
