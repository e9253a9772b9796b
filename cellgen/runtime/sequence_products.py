"""The whole-sequence products, on cellgen's own threads: no BLAS.

Before the recurrence, every step's input product is one product over the [T * B] rows;
after BPTT, so are the weight and input gradients. They run on the step products' tile
kernel (step_products.py), which keeps up with a one-thread OpenBLAS at these shapes, so
cellgen never touches the BLAS's threads: a user's limits (threadpoolctl, a fork, torch's
OpenMP) cannot be overwritten by a call, and the bits do not depend on the BLAS.

Both kernels take a range of rows, so a call splits them into blocks for its threads and
into chunks of bounded work (threads.py): an interrupt waits for one chunk, not a product.
"""
from __future__ import annotations

import numba
import numpy as np

from . import cache  # noqa: F401  (read-only caches: before any jitted function)
from .rows import transpose_into
from .step_products import PANEL, TILE_ROWS, pack_panels_into, tiles, tiles_add

# Rows of `a` a panel passes over before the next panel: 64 rows of up to 1,024 float32
# stay in L2 while the panels stream through L1.
ROW_BLOCK = 64
# Rows of a gram product transposed and packed per pass (each pass adds into out).
GRAM_ROWS = 256


@numba.njit(cache=True, error_model="numpy", nogil=True)
def product_rows(a, panels, out, r0, r1):
    """out[r0:r1] = a[r0:r1] @ w, with w as pack_panels laid it out (a: unit column stride)."""
    N = out.shape[1]
    width = panels.shape[2]
    full = N // width
    tail = np.empty((TILE_ROWS, width), out.dtype)
    for b0 in range(r0, r1, ROW_BLOCK):
        b1 = min(b0 + ROW_BLOCK, r1)
        for p in range(panels.shape[0]):
            for i0 in range(b0, b1, TILE_ROWS):
                rows = min(TILE_ROWS, b1 - i0)
                if p < full:
                    tiles(a, i0, rows, panels, p, out, i0, p * width)
                else:
                    tiles(a, i0, rows, panels, p, tail, 0, 0)
                    for r in range(rows):
                        for j in range(N - p * width):
                            out[i0 + r, p * width + j] = tail[r, j]


@numba.njit(cache=True, error_model="numpy", nogil=True)
def gram_rows(a, b, out, r0, r1):
    """out += a[r0:r1]^T @ b[r0:r1], a [R, K] and b [R, N] by rows (a weight gradient).

    GRAM_ROWS rows at a time: a's transposed so that out's rows are its tile rows, b's
    packed into panels; the sums over one pass's rows are FMA chains in row order."""
    K, N = a.shape[1], b.shape[1]
    width = PANEL // out.itemsize
    n_panels = (N + width - 1) // width
    full = N // width
    at = np.empty((K, GRAM_ROWS), out.dtype)
    packed = np.empty(n_panels * GRAM_ROWS * width, out.dtype)
    tail = np.empty((TILE_ROWS, width), out.dtype)
    for c0 in range(r0, r1, GRAM_ROWS):
        n = min(GRAM_ROWS, r1 - c0)
        transpose_into(a[c0:c0 + n], at[:, :n])
        panels = packed[:n_panels * n * width].reshape((n_panels, n, width))
        pack_panels_into(b[c0:c0 + n], False, panels)
        for p in range(n_panels):
            for i0 in range(0, K, TILE_ROWS):
                rows = min(TILE_ROWS, K - i0)
                if p < full:
                    tiles_add(at, i0, rows, panels, p, out, i0, p * width)
                else:
                    tail[:] = 0
                    for r in range(rows):
                        for j in range(N - p * width):
                            tail[r, j] = out[i0 + r, p * width + j]
                    tiles_add(at, i0, rows, panels, p, tail, 0, 0)
                    for r in range(rows):
                        for j in range(N - p * width):
                            out[i0 + r, p * width + j] = tail[r, j]
