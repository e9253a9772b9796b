"""The products: the whole-sequence GEMMs run on numpy's matmul, whose OpenBLAS lends its
threads (cellgen.runtime.blas); a step's products run on the register-tiled kernel over
packed weights (cellgen.runtime.step_products), which must give np.dot's result for every
shape and layout a driver hands it."""
import glob
import os

import numpy as np
import numba
import pytest

from cellgen.runtime import step_products
from cellgen.runtime.blas import OpenBLAS


def numpy_ships_ilp64_openblas() -> bool:
    # numpy 2's wheels bundle scipy-openblas64 next to the package
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    return bool(glob.glob(os.path.join(libs, "*openblas64*")))


@pytest.mark.skipif(not numpy_ships_ilp64_openblas(), reason="numpy here has no bundled ILP64 OpenBLAS")
def test_numpy_s_openblas_is_found():
    get, set_threads = OpenBLAS.found()
    n = get()
    assert n >= 1
    set_threads(n)
    assert get() == n


@numba.njit
def step_product(a, panels, out, tail):
    step_products.step_product(a, panels, out, tail)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose", [False, True])
# rows around the 4-row tile, columns around the 16/8-column panel, any inner size
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 7), (4, 16, 16), (5, 33, 17), (9, 64, 40),
                                   (16, 128, 512), (2, 7, 8), (0, 3, 5), (6, 0, 9), (5, 4, 0)])
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
