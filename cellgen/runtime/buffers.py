"""The large arrays of a call (tape, outputs, work), recycled between calls: one pool per process.

A training loop asks for the same arrays every step; fresh ones cost page faults and
munmap's TLB shootdowns (20-25% of a forward + backward at (200, 8, 64, 64)). Each array
handed out is a view of a lease on a buffer; numpy keeps the lease alive while any view of
it is, and when the last one goes the lease hands its buffer back to the pool. The pool
keeps at most KEEP_BYTES of buffers that nothing uses, for all cells of the process
together, and frees the rest at once, so the cap holds whenever no call is running;
release_buffers() frees them all.
"""
from __future__ import annotations

import os
import threading

import numpy as np


class _Raw(np.ndarray):
    """A buffer of the pool. Its own type, so that numpy, which shortens a view's chain of
    bases only through arrays of the view's type, stops the chain at the lease above it."""


class _Lease(np.ndarray):
    """A buffer while it is handed out: every array handed out is a view of it and keeps it
    alive. When the last one goes, the buffer returns to its pool."""

    def __del__(self):
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool._returned(self.base)


class Buffers:
    MIN_BYTES = 1 << 16  # smaller arrays come from malloc's heap without page faults
    KEEP_BYTES = 1 << 28

    def __init__(self) -> None:
        # re-entrant: a lease may return its buffer while this thread holds the lock
        self._lock = threading.RLock()
        self._free: list[np.ndarray] = []  # unused buffers, least recently returned first
        self._free_bytes = 0

    def empty(self, shape: tuple, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        size = 1
        for d in shape:
            size *= d
        if size * dtype.itemsize < self.MIN_BYTES:
            return np.empty(shape, dtype)
        with self._lock:
            found = None
            for i in range(len(self._free) - 1, -1, -1):  # the most recently returned first
                if self._free[i].size == size and self._free[i].dtype == dtype:
                    found = self._free.pop(i)
                    self._free_bytes -= found.nbytes
                    break
        if found is None:
            found = np.empty(size, dtype).view(_Raw)
        lease = found.view(_Lease)
        lease.pool = self
        return lease.view(np.ndarray).reshape(shape)

    def zeros(self, shape: tuple, dtype) -> np.ndarray:
        out = self.empty(shape, dtype)
        out.fill(0)
        return out

    @property
    def kept_bytes(self) -> int:
        """Bytes of unused buffers the pool keeps for the next calls."""
        return self._free_bytes

    def release(self) -> None:
        """Drop every unused buffer (they return to the system)."""
        with self._lock:
            self._free.clear()
            self._free_bytes = 0

    def _returned(self, buffer: np.ndarray) -> None:
        with self._lock:
            self._free.append(buffer)
            self._free_bytes += buffer.nbytes
            while self._free_bytes > self.KEEP_BYTES:  # the least recently returned go
                self._free_bytes -= self._free.pop(0).nbytes


pool = Buffers()
# a fork while another thread held the lock would leave it held in the child
os.register_at_fork(after_in_child=lambda: setattr(pool, "_lock", threading.RLock()))


def release_buffers() -> None:
    """Return the memory cellgen keeps for reuse between calls to the system."""
    pool.release()


def allocators(largest: int):
    """(empty, zeros) for a call whose largest array has `largest` bytes: numpy's own
    below the pool's threshold, so step() pays no lookups."""
    if largest < Buffers.MIN_BYTES:
        return np.empty, np.zeros
    return pool.empty, pool.zeros
