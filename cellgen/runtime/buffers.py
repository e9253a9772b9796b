"""The large arrays of a call (tape, outputs, work), recycled between calls: one pool per process.

A training loop asks for the same arrays every step; fresh ones cost page faults and
munmap's TLB shootdowns (20-25% of a forward + backward at (200, 8, 64, 64)). Each array
handed out is a view of a buffer kept here, and every view of a view still references
the buffer, so a buffer is reused only once nothing the caller holds (a tape, dxs,
dparams, ys) can reach it. At most KEEP_BYTES of unused buffers stay, for all cells of
the process together; release_buffers() drops them all.
"""
from __future__ import annotations

import os
import sys
import threading

import numpy as np


def _references(buffers: list, i: int) -> int:
    return sys.getrefcount(buffers[i])


class Buffers:
    MIN_BYTES = 1 << 16  # smaller arrays come from malloc's heap without page faults
    KEEP_BYTES = 1 << 28
    MAX_TRACKED = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: list[np.ndarray] = []  # least recently handed out first
        # The count an unreferenced buffer shows, read through the same call as the test.
        self._unused = _references([np.empty(0)], 0)

    def empty(self, shape: tuple, dtype) -> np.ndarray:
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

    def zeros(self, shape: tuple, dtype) -> np.ndarray:
        out = self.empty(shape, dtype)
        out.fill(0)
        return out

    def release(self) -> None:
        """Drop every buffer no array references (they return to the system)."""
        with self._lock:
            self._trim(0)

    def _trim(self, keep: int | None = None) -> None:
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


pool = Buffers()
# a fork while another thread held the lock would leave it held in the child
os.register_at_fork(after_in_child=lambda: setattr(pool, "_lock", threading.Lock()))


def release_buffers() -> None:
    """Return the memory cellgen keeps for reuse between calls to the system."""
    pool.release()


def allocators(largest: int):
    """(empty, zeros) for a call whose largest array has `largest` bytes: numpy's own
    below the pool's threshold, so step() pays no lookups."""
    if largest < Buffers.MIN_BYTES:
        return np.empty, np.zeros
    return pool.empty, pool.zeros
