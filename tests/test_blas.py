"""The products (cellgen.runtime.blas, .step_products): the whole-sequence GEMMs call numpy's
own OpenBLAS through its cblas entry points where numpy ships one (OpenBLAS.gemm), np.dot
otherwise; a step's products run on the register-tiled kernel over packed weights
(step_product). Every layout a
kernel hands them must give np.dot's result, and a cell must compute the same on either
BLAS path."""
import glob
import os

import numpy as np
import numba
import pytest

from cellgen.runtime import blas, step_products
from cellgen.runtime.blas import OpenBLAS
from conftest import generated


def numpy_ships_ilp64_openblas() -> bool:
    # numpy 2's wheels bundle scipy-openblas64 next to the package
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    return bool(glob.glob(os.path.join(libs, "*openblas64*")))


@numba.njit
def matmul(gemm, a, b, out):
    blas.matmul(gemm, a, b, out)


def layouts(rng, dtype, m, k, n):
    """(a, b) pairs of one product in every layout the kernels use, and some they do not."""
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    a_t = np.ascontiguousarray(a.T).T  # column-major: BLAS reads it transposed
    b_t = np.ascontiguousarray(b.T).T
    wide_a = np.zeros((m, k + 3), dtype)
    wide_a[:, 1:k + 1] = a  # rows of a longer array: a leading dimension > k
    strided = np.zeros((m, 2 * k), dtype)
    strided[:, ::2] = a  # no unit stride: np.dot's copy
    return [(a, b), (a_t, b), (a, b_t), (a_t, b_t), (wide_a[:, 1:k + 1], b), (strided[:, ::2], b_t)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(7, 5, 3), (1, 4, 6), (6, 1, 4), (5, 4, 1), (3, 0, 2), (0, 3, 2), (64, 33, 130)])
def test_every_layout_gives_np_dot(dtype, m, k, n):
    rng = np.random.default_rng(0)
    gemm = OpenBLAS.gemm(np.dtype(dtype))
    for a, b in layouts(rng, dtype, m, k, n):
        for address in {gemm, 0}:
            out = np.full((m, n), np.nan, dtype)
            matmul(address, a, b, out)
            expected = np.dot(a.astype(np.float64), b.astype(np.float64))
            assert np.allclose(out, expected, rtol=1e-5, atol=1e-5), (a.strides, b.strides, address)


def test_a_row_block_of_a_wider_output():
    # out rows of a [B, n] array, as _step_product and the whole-sequence GEMMs write them
    rng = np.random.default_rng(1)
    gemm = OpenBLAS.gemm(np.dtype(np.float64))
    a, b = rng.standard_normal((9, 4)), rng.standard_normal((4, 6))
    out = np.zeros((20, 6))
    matmul(gemm, a, b, out[5:14])
    assert np.allclose(out[5:14], a @ b) and not out[:5].any() and not out[14:].any()


@pytest.mark.skipif(not numpy_ships_ilp64_openblas(), reason="numpy here has no bundled ILP64 OpenBLAS")
def test_numpy_s_openblas_is_found():
    lib = OpenBLAS
    assert lib.gemm(np.dtype(np.float32)) != 0 and lib.gemm(np.dtype(np.float64)) != 0
    assert lib.gemm(np.dtype(np.float32)) != lib.gemm(np.dtype(np.float64))


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


def train_step(m, dtype, T, B, I, H):
    rng = np.random.default_rng(2)
    p = {k: v + 0.1 * rng.standard_normal(v.shape).astype(dtype) for k, v in m.init_params(I, H, dtype=dtype).items()}
    xs = rng.standard_normal((T, B, I)).astype(dtype)
    ys, final, tape = m.forward(p, xs)
    dparams, dxs, dstate0 = m.backward(p, tape, rng.standard_normal(ys.shape).astype(dtype))
    return [ys, *final, *dparams.values(), dxs, *dstate0]


# gru_cho's BPTT reads its recurrent gradients as column blocks of dX (strided rows)
@pytest.mark.parametrize("name", ["lstm", "gru", "gru_cho"])
# B * 4H = 20 * 512 runs the step products feature-major on numpy's BLAS, 3 * 32 row-major
@pytest.mark.parametrize("B,H", [(20, 128), (3, 8)])
def test_numpy_s_blas_and_np_dot_give_the_same_cell(name, B, H, monkeypatch):
    m = generated(name)
    on_numpy = train_step(m, np.float64, 4, B, 6, H)
    monkeypatch.setattr(OpenBLAS, "_numpy", ())  # as where numpy has no such BLAS
    monkeypatch.setattr(OpenBLAS, "_found", None)
    assert OpenBLAS.gemm(np.dtype(np.float64)) == 0
    on_np_dot = train_step(m, np.float64, 4, B, 6, H)
    for a, b in zip(on_numpy, on_np_dot):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
