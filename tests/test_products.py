"""The products, all on the register-tiled kernel over packed weights: a step's
(cellgen.runtime.step_products) and the whole sequence's (cellgen.runtime.sequence_products).
Each must give np.dot's result for every shape and layout a driver hands it, write nothing
outside its rows and columns, and give a row the same bits whatever range it is called in."""
import numpy as np
import numba
import pytest

from cellgen.runtime import sequence_products, step_products

SHAPES = [(1, 1, 1), (3, 5, 7), (4, 16, 16), (5, 33, 17), (9, 64, 40), (16, 128, 512), (2, 7, 8),
          (1, 64, 256), (1, 9, 80), (2, 30, 48), (8, 64, 64), (13, 5, 72), (14, 6, 40),
          (0, 3, 5), (6, 0, 9), (5, 4, 0), (70, 20, 24), (300, 9, 3), (6, 10, 16), (7, 12, 20), (13, 8, 33)]


@numba.njit
def step_product(a, panels, out, tail):
    step_products.step_product(a, panels, out, tail)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose", [False, True])
# rows around the 6-row tile, columns around the 16/8-column panel, any inner size
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_step_product_gives_np_dot(dtype, transpose, m, k, n):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((n, k) if transpose else (k, n)).astype(dtype)
    b = w.T if transpose else w
    wide = rng.standard_normal((m + 2, k + 5)).astype(dtype)
    a = wide[1:m + 1, 2:k + 2]  # a column block of a wider array: rows with a leading dimension
    out = np.full((m + 3, n + 1), np.nan, dtype)
    panels = step_products.pack_panels(w, transpose)
    tail = np.empty((step_products.TILE_ROWS, step_products.PANEL // np.dtype(dtype).itemsize), dtype)
    step_product(a, panels, out[2:m + 2, :n], tail)
    expected = np.dot(a.astype(np.float64), b.astype(np.float64))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.allclose(out[2:m + 2, :n], expected, rtol=tol, atol=tol)
    # nothing outside the output's rows and columns is written
    assert np.isnan(out[:2]).all() and np.isnan(out[m + 2:]).all() and np.isnan(out[:, n:]).all()


def column_block(rng, rows, columns, dtype):
    """A block of a wider array's columns: rows with a leading dimension, as _rows gives."""
    wide = rng.standard_normal((rows, columns + 7)).astype(dtype)
    return wide[:, 3:columns + 3]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_product_rows_gives_np_dot_on_its_rows(dtype, m, k, n):
    rng = np.random.default_rng(4)
    a, w = column_block(rng, m, k, dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.full((m, n + 2), np.nan, dtype)
    r0, r1 = min(1, m), max(min(1, m), m - 2)  # a range inside the rows
    sequence_products.product_rows(a, step_products.pack_panels(w, False), out[:, 1:n + 1], r0, r1)
    expected = np.dot(a.astype(np.float64), w.astype(np.float64))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.allclose(out[r0:r1, 1:n + 1], expected[r0:r1], rtol=tol, atol=tol)
    outside = np.ones(out.shape, bool)
    outside[r0:r1, 1:n + 1] = False
    assert np.isnan(out[outside]).all()
    whole = np.empty((m, n), dtype)  # a row's bits do not depend on the range it came in
    sequence_products.product_rows(a, step_products.pack_panels(w, False), whole, 0, m)
    assert np.array_equal(whole[r0:r1], out[r0:r1, 1:n + 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", SHAPES + [(600, 5, 19)])  # 600 rows: three passes of GRAM_ROWS
def test_gram_rows_adds_a_transposed_product_of_its_rows(dtype, m, k, n):
    rng = np.random.default_rng(5)
    a, b = column_block(rng, m, k, dtype), column_block(rng, m, n, dtype)
    start = rng.standard_normal((k, n)).astype(dtype)
    out = start.copy()
    r0, r1 = min(2, m), max(min(2, m), m - 1)
    sequence_products.gram_rows(a, b, out, r0, r1)
    expected = start + a[r0:r1].T.astype(np.float64) @ b[r0:r1].astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    assert np.allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 7, 8, 13])
def test_a_step_products_rows_have_the_same_bits_in_any_tile(dtype, m):
    # one or two rows past the 6-row tiles go in tiles over several panels: the same sums
    rng = np.random.default_rng(6)
    a, w = rng.standard_normal((m, 40)).astype(dtype), rng.standard_normal((40, 72)).astype(dtype)
    panels = step_products.pack_panels(w, False)
    tail = np.empty((step_products.TILE_ROWS, step_products.PANEL // np.dtype(dtype).itemsize), dtype)
    whole = np.empty((m, 72), dtype)
    step_product(a, panels, whole, tail)
    for r in range(m):  # row r again, first of 3 rows: one panel's tiles
        rows = a[[r, (r + 1) % m, (r + 2) % m]]
        alone = np.empty((3, 72), dtype)
        step_product(rows, panels, alone, tail)
        assert np.array_equal(alone[0], whole[r])
