"""Row blocks on threads (cellgen.runtime.threads): the runtime lends the BLAS's threads to blocks of batch
rows (and of the [T * B] rows of the whole-sequence GEMMs). Splitting must not change a
result beyond rounding, must hand the BLAS its thread count back, and must not run when
the BLAS is limited to one thread."""
import multiprocessing
import os

import numpy as np
import pytest

import cellgen
from cellgen.runtime import threads as rt_threads
from cellgen.runtime.blas import OpenBLAS
from conftest import SPECS, generated
from test_unseen_cells import CELLS


class FakeBLAS:
    """Stands in for the OpenBLAS behind np.dot: claims `threads` threads, records each set."""

    def __init__(self, threads):
        self.threads, self.calls = threads, []

    def get(self):
        return self.threads

    def set(self, n):
        self.calls.append(n)


def run(m, blas, monkeypatch, T=5, B=37, I=3, H=4):
    monkeypatch.setattr(OpenBLAS, "_found", (blas.get, blas.set) if blas else None)
    rng = np.random.default_rng(0)
    p = {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in m.init_params(I, H, seed=1, dtype=np.float64).items()}
    xs = rng.standard_normal((T, B, I))
    s0 = tuple(rng.standard_normal((B, H)) for _ in m.STATES)
    dys = rng.standard_normal((T, B, H))
    dfinal = tuple(rng.standard_normal((B, H)) for _ in m.STATES)
    lengths = rng.integers(0, T + 1, B)  # sequences ending inside and across the blocks
    ys, final, tape = m.forward(p, xs, s0, lengths=lengths)
    dparams, dxs, dstate0 = m.backward(p, tape, dys, dfinal)
    return [ys, *final, *dparams.values(), dxs, *dstate0]


def module_named(name, tmp_path, cache, monkeypatch):
    if name in SPECS:
        return generated(name)
    # cells with input-space operands (U3 @ (x * x)) and an input-gradient kernel: paths no
    # catalog cell takes
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(cache))
    spec = tmp_path / f"{name}.cell"
    spec.write_text(CELLS[name][0])
    return cellgen.load(spec)


@pytest.mark.parametrize("name", SPECS + ["two_stage", "shapes", "indrnn"])
def test_blocks_on_threads_equal_one_thread(name, tmp_path, cache, monkeypatch):
    m = module_named(name, tmp_path, cache, monkeypatch)
    monkeypatch.setattr(rt_threads, "ROWS_PER_THREAD", 2)
    monkeypatch.setattr(rt_threads, "GEMM_ROWS_PER_THREAD", 2)
    serial = run(m, None, monkeypatch)
    blas = FakeBLAS(3)  # 37 rows in blocks of 12, 12, 13; 185 flat rows in 61, 62, 62
    split = run(m, blas, monkeypatch)
    assert blas.calls == [1, 3, 1, 3]  # lent for the forward and the backward, given back
    for a, b in zip(serial, split):
        assert np.allclose(a, b, rtol=1e-13, atol=1e-13)


def test_a_one_thread_blas_is_left_alone(monkeypatch):
    m = generated("lstm")
    blas = FakeBLAS(1)
    run(m, blas, monkeypatch)
    assert blas.calls == []


def test_small_batches_stay_on_the_calling_thread(monkeypatch):
    m = generated("lstm")
    blas = FakeBLAS(2)
    run(m, blas, monkeypatch, B=rt_threads.ROWS_PER_THREAD * 2 - 1)
    assert blas.calls == []


def test_the_real_blas_gets_its_threads_back():
    m = generated("gru")
    p = m.init_params(8, 8)

    def train_step():
        ys, _, tape = m.forward(p, np.ones((3, 64, 8), np.float32))
        m.backward(p, tape, ys)
    train_step()  # numba loads its BLAS on the first np.dot
    blas = OpenBLAS.found()
    if blas is None:
        pytest.skip("numba's BLAS is not a pthreads OpenBLAS here")
    before = blas[0]()
    train_step()
    assert blas[0]() == before


def test_an_error_in_a_block_reaches_the_caller_after_every_block_ended(monkeypatch):
    m = generated("rnn")
    monkeypatch.setattr(OpenBLAS, "_found", (lambda: 4, lambda n: None))
    ended = []

    def kernel(lo, hi):
        ended.append(lo)
        if lo > 0:
            raise RuntimeError(f"block {lo}")
    with pytest.raises(RuntimeError, match="block"):
        with rt_threads.Threads(4 * rt_threads.ROWS_PER_THREAD) as threads:
            threads.rows(kernel, (), 100)
    assert sorted(ended) == [0, 25, 50, 75]


def test_whole_sequence_gemms_use_every_lent_thread(monkeypatch):
    # 32 batch rows make 2 blocks of the recurrence on an 8-thread BLAS; the GEMMs over all
    # steps' rows must not drop to those 2 threads.
    m = generated("lstm")
    monkeypatch.setattr(OpenBLAS, "_found", (lambda: 8, lambda n: None))
    blocks = {}

    def kernel(name):
        return lambda lo, hi: blocks.setdefault(name, []).append((lo, hi))
    with rt_threads.Threads(32) as threads:
        threads.rows(kernel("rows"), (), 32)
        threads.gemm_rows(kernel("gemm"), (), 100 * 32)
    assert len(blocks["rows"]) == 2 and len(blocks["gemm"]) == 8
    assert sorted(blocks["gemm"])[-1][1] == 3200


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_runs_blocks_with_a_pool_of_its_own(monkeypatch):
    m = generated("rnn")
    monkeypatch.setattr(OpenBLAS, "_found", (lambda: 2, lambda n: None))
    p = m.init_params(3, 4, dtype=np.float64)
    xs = np.random.default_rng(0).standard_normal((4, 2 * rt_threads.ROWS_PER_THREAD, 3))
    ys = m.forward(p, xs)[0]  # the parent's pool now has a thread
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # a child that inherited the pool but not its thread
        child = pool.apply_async(m.forward, (p, xs)).get(timeout=120)[0]
    assert np.array_equal(ys, child)
