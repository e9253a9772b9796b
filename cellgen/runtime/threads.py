"""The threads of a call (one pool per process, or the process's OpenMP team) and its
work in chunks.

Batch rows never mix in the recurrence, so each thread takes a block of rows; the
whole-sequence products split the [T * B] rows the same way. Every kernel runs on
cellgen's threads (sequence_products.py), none on a BLAS, so a call never changes a
thread count that someone else owns. How many threads: `set_num_threads(n)`, else the
environment's CELLGEN_NUM_THREADS, else the CPUs this process may run on.

Where the process already has an OpenMP runtime (torch's libgomp), its team runs the blocks
instead of the pool: one owner of the threads (class OpenMP).

A block's work is cut into chunks of about CHUNK_WORK multiply-adds, with Python between
them: Ctrl-C (handled only in Python, on the main thread) then waits for one chunk,
after which every thread stops at its next chunk and the call raises KeyboardInterrupt
with no thread still writing. Blocks and chunks are decided by the sizes and the thread
count alone (never by load), and so are a result's bits: a row's results do not depend on
them at all, a weight gradient's order of summation does.
"""
from __future__ import annotations

import ctypes
import os
import re
import sys
import threading

import numpy as np

# Fewest batch rows, and fewest multiply-adds of a recurrence per thread, worth a thread of
# their own: 4 rows still fill a step product's tiles, and below ~0.1 ms of one thread's
# work handing a block over costs more than it saves (docs/performance.md).
ROWS_PER_THREAD = 4
STEPS_WORK = 1 << 23
# Fewest multiply-adds worth a block of a whole-sequence product on a thread of its own
# (~0.1 ms of one thread's products): twice as many kept a 0.3 ms product on one thread,
# half as many cost more to hand over than they saved (docs/performance.md).
BLOCK_WORK = 1 << 23
# Multiply-adds per chunk: ~1 ms of one thread, against ~10 us to call a kernel.
CHUNK_WORK = 1 << 25

_count: int | None = None
_pool = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    # A forked child has none of the pool's threads: it starts a pool of its own, and leaves
    # the parent's OpenMP team alone (libgomp's team does not survive a fork).
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()
    OpenMP.forked = True


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


class OpenMP:
    """The OpenMP runtime already in the process (torch's libgomp), whose team runs the
    blocks when there is one: after each of its parallel regions its workers spin for a
    while, and on 2 cores a pool of cellgen's own then fights them for the cores (a
    training step at (100, 32, 128, 128) took 28 ms on the pool against 19 on the team).
    Found through /proc/self/maps, so the runtime never imports torch."""

    _BODY = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
    forked = False
    _lib = None
    _seen_modules = -1

    @classmethod
    def found(cls):
        if cls.forked or os.environ.get("CELLGEN_OPENMP", "1") == "0":
            return None
        if cls._lib is None and len(sys.modules) != cls._seen_modules:  # look again once more is imported
            cls._seen_modules = len(sys.modules)
            cls._lib = cls._load()
        return cls._lib or None

    @classmethod
    def _load(cls):
        try:
            with open("/proc/self/maps") as f:
                paths = sorted(set(re.findall(r"(/\S*libgomp[^/\s]*\.so[^/\s]*)", f.read())),
                               key=lambda p: "torch" not in p)  # torch's first
        except OSError:
            return None
        for path in paths:
            try:
                lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
                lib.GOMP_parallel.argtypes = [cls._BODY, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
                lib.GOMP_parallel.restype = None
                lib.omp_get_thread_num.restype = lib.omp_get_num_threads.restype = ctypes.c_int
                return lib
            except (OSError, AttributeError):
                continue
        return None


def _on_team(gomp, block, bounds: list[int], n: int) -> None:
    # Every thread of the team (the calling thread is its thread 0) takes blocks i = its
    # number, + the team's size, ...: a team smaller than asked for still runs them all.
    cancel, errors = threading.Event(), []

    def body(_):
        try:
            me, size = gomp.omp_get_thread_num(), gomp.omp_get_num_threads()
            for i in range(me, n, size):
                if cancel.is_set():
                    return
                block(i, bounds[i], bounds[i + 1], cancel)
        except BaseException as e:  # raised below, once the region has ended
            cancel.set()
            errors.append(e)
    gomp.GOMP_parallel(OpenMP._BODY(body), None, n, 0)
    if errors:
        raise next((e for e in errors if isinstance(e, KeyboardInterrupt)), errors[0])


def chunks(begin: int, end: int, size: int, reverse: bool = False) -> list[tuple[int, int]]:
    """[begin, end) in pieces of `size` (the last one shorter), first to last or last to first."""
    size = max(1, size)
    pieces = [(c, min(c + size, end)) for c in range(begin, end, size)]
    return pieces[::-1] if reverse else pieces


class Threads:
    """The threads of one call: its blocks are decided by the sizes and the thread count."""

    def __init__(self):
        self.most = num_threads()

    def steps(self, kernel, args, B: int, T: int, step_work: int, reverse: bool = False) -> None:
        """kernel(*args, b0, b1, t0, t1) over blocks of the batch rows, each block's steps in
        chunks (reverse: from the last step back), each chunk of about CHUNK_WORK."""
        # a small batch or a short recurrence (step() per token) stays on the calling thread
        n = max(1, min(self.most, B // ROWS_PER_THREAD, B * T * step_work // STEPS_WORK))
        if n == 1 and B * T * step_work <= CHUNK_WORK:  # one chunk
            kernel(*args, 0, B, 0, T)
            return

        def block(i, b0, b1, cancel):
            for t0, t1 in chunks(0, T, CHUNK_WORK // max(1, (b1 - b0) * step_work), reverse):
                if cancel is not None and cancel.is_set():
                    return
                kernel(*args, b0, b1, t0, t1)
        _blocks(block, B, n)

    def rows(self, kernel, args, size: int, row_work: int, partial=(), granule: int = 1) -> None:
        """kernel(*args, r0, r1) over blocks of the [T * B] rows, in chunks of a multiple of
        `granule` rows; the blocks after the first get zeroed arrays at the positions
        `partial` (sums over rows), added into the first's."""
        n = min(self.most, size * row_work // BLOCK_WORK)
        if n <= 1 and size * row_work <= CHUNK_WORK:  # one block of one chunk
            kernel(*args, 0, size)
            return
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
    """block(i, b0, b1, cancel) for the n blocks i of range(size): on the process's OpenMP
    team if it has one, else the first on this thread and the others on the pool. Returns
    when no block is running, whatever happened."""
    if n <= 1:
        block(0, 0, size, None)
        return
    bounds = bounds or [size * i // n for i in range(n + 1)]
    team = OpenMP.found()
    if team is not None:
        _on_team(team, block, bounds, n)
        return
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
