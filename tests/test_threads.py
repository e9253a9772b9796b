"""cellgen's threads (cellgen.runtime.threads): blocks of batch rows (and of the [T * B] rows
of the whole-sequence products) on one pool per process, each block's work in chunks.
Splitting and chunking must not change a result beyond the order of a weight gradient's
sums, must never touch a BLAS's thread count, and must stop promptly on Ctrl-C with
nothing left running."""
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import cellgen
from cellgen.gradcheck import random_problem
from cellgen.runtime import driver as rt_driver
from cellgen.runtime import threads as rt_threads
from conftest import ROOT, SPECS, generated
from test_unseen_cells import CELLS


@pytest.fixture
def num_threads():
    yield rt_threads.set_num_threads
    rt_threads.set_num_threads(None)


@pytest.fixture(autouse=True)
def small_recurrences_split(monkeypatch):
    """The tests' small recurrences run in blocks as a large one does (the threshold of work
    has a test of its own)."""
    monkeypatch.setattr(rt_threads, "STEPS_WORK", 1)


@pytest.fixture(params=["pool", "openmp"])
def team(request, monkeypatch):
    """Blocks on cellgen's pool, or on the OpenMP team of a libgomp in the process (torch's)."""
    if request.param == "pool":
        monkeypatch.setattr(rt_threads.OpenMP, "found", classmethod(lambda cls: None))
    else:
        import torch  # noqa: F401  (loads torch's libgomp)
        if rt_threads.OpenMP.found() is None:
            pytest.skip("no libgomp in this process")
    return request.param


def run(m, T=5, B=37, I=3, H=4):
    p, xs, s0, dys, dfinal, _ = random_problem(m, T, B, I, H, seed=1, scale=0.2)
    lengths = np.random.default_rng(0).integers(0, T + 1, B)  # sequences ending inside and across the blocks
    ys, final, tape = m.forward(p, xs, s0, lengths=lengths)
    dparams, dxs, dstate0 = m.backward(p, tape, dys, dfinal)
    return [ys, *final, dxs, *dstate0], list(dparams.values())


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
def test_blocks_and_chunks_equal_one_call(name, tmp_path, cache, monkeypatch, num_threads, team):
    m = module_named(name, tmp_path, cache, monkeypatch)
    num_threads(1)
    serial_values, serial_grads = run(m)
    monkeypatch.setattr(rt_threads, "ROWS_PER_THREAD", 2)
    monkeypatch.setattr(rt_threads, "BLOCK_WORK", 1)
    monkeypatch.setattr(rt_threads, "CHUNK_WORK", 1)  # one step (or row) per chunk
    monkeypatch.setattr(rt_driver, "GRAM_ROWS", 1)
    num_threads(3)  # 37 rows in blocks of 12, 12, 13; 185 flat rows in 61, 62, 62
    values, grads = run(m)
    for a, b in zip(serial_values, values):  # rows never mix: the same bits
        assert np.array_equal(a, b)
    for a, b in zip(serial_grads, grads):  # sums over rows, in another order
        assert np.allclose(a, b, rtol=1e-13, atol=1e-13)


def test_chunks_cover_a_range_once_in_order():
    assert rt_threads.chunks(3, 10, 3) == [(3, 6), (6, 9), (9, 10)]
    assert rt_threads.chunks(3, 10, 3, reverse=True) == [(9, 10), (6, 9), (3, 6)]
    assert rt_threads.chunks(0, 0, 5) == [] and rt_threads.chunks(0, 2, 0) == [(0, 1), (1, 2)]


def test_the_thread_count_is_cellgen_s_own(monkeypatch, num_threads):
    assert cellgen.set_num_threads is rt_threads.set_num_threads and cellgen.num_threads is rt_threads.num_threads
    monkeypatch.setenv("CELLGEN_NUM_THREADS", "3")
    assert rt_threads.num_threads() == 3
    num_threads(5)
    assert rt_threads.num_threads() == 5
    num_threads(None)
    monkeypatch.setenv("CELLGEN_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="CELLGEN_NUM_THREADS='two'"):
        rt_threads.num_threads()
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive int"):
            num_threads(bad)


def test_one_thread_and_small_batches_stay_on_the_calling_thread(num_threads, team):
    seen = set()

    def kernel(b0, b1, t0, t1):
        seen.add(threading.current_thread().name)
    num_threads(1)
    rt_threads.Threads().steps(kernel, (), 256, 10, 1)
    num_threads(4)
    rt_threads.Threads().steps(kernel, (), 2 * rt_threads.ROWS_PER_THREAD - 1, 10, 1)
    assert seen == {threading.current_thread().name}


def test_a_short_recurrence_stays_on_the_calling_thread(num_threads, team, monkeypatch):
    monkeypatch.setattr(rt_threads, "STEPS_WORK", 1 << 23)
    seen = []

    def kernel(b0, b1, t0, t1):
        seen.append((threading.current_thread().name, b0, b1))
    num_threads(2)
    rt_threads.Threads().steps(kernel, (), 16, 50, 32 * 192)  # (50, 16, 32, 32): 5M multiply-adds
    assert [(b0, b1) for _, b0, b1 in seen] == [(0, 16)] and seen[0][0] == threading.current_thread().name
    seen.clear()
    rt_threads.Threads().steps(kernel, (), 8, 200, 64 * 320)  # (200, 8, 64, 64): 33M, two blocks of 4 rows
    assert sorted({(b0, b1) for _, b0, b1 in seen}) == [(0, 4), (4, 8)]


def test_an_error_in_a_block_reaches_the_caller_after_every_block_ended(num_threads, team):
    num_threads(4)
    running, ended = [], []

    def kernel(b0, b1, t0, t1):
        running.append(b0)
        time.sleep(0.05 * (b0 == 0))  # the block without an error is still running
        running.remove(b0)
        ended.append(b0)
        if b0 > 0:
            raise RuntimeError(f"block {b0}")
    B = 4 * rt_threads.ROWS_PER_THREAD
    with pytest.raises(RuntimeError, match="block"):
        rt_threads.Threads().steps(kernel, (), B, 1, 1)
    assert running == [] and ended  # every block that started has ended (some may not start)


def test_whole_sequence_products_use_every_thread(num_threads, monkeypatch):
    # 2 * ROWS_PER_THREAD batch rows make 2 blocks of the recurrence; the products over all
    # steps' rows (here on 8 threads) must not drop to those 2.
    num_threads(8)
    monkeypatch.setattr(rt_threads, "CHUNK_WORK", 1 << 40)  # a chunk per block
    blocks = {}

    def kernel(name):
        return lambda *bounds: blocks.setdefault(name, set()).add(bounds[:2])
    B = 2 * rt_threads.ROWS_PER_THREAD
    threads = rt_threads.Threads()
    threads.steps(kernel("steps"), (), B, 1, 1)
    threads.rows(kernel("rows"), (), 100 * B, rt_threads.BLOCK_WORK)
    assert len(blocks["steps"]) == 2 and len(blocks["rows"]) == 8
    assert max(hi for _, hi in blocks["rows"]) == 100 * B


def blas_counts():
    return sorted((i["internal_api"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas")


def test_a_call_never_changes_a_blas_thread_count(num_threads):
    # The BLAS's threads are the user's: limits set in another thread while calls run must
    # hold, and must come back when their block ends (they were overwritten when calls lent them).
    m = generated("lstm")
    num_threads(2)
    p = m.init_params(64, 64)
    xs = np.ones((50, 64, 64), np.float32)
    before = blas_counts()
    if not before:
        pytest.skip("no BLAS that threadpoolctl knows")
    stop, seen = threading.Event(), []

    def calls():
        while not stop.is_set():
            ys, _, tape = m.forward(p, xs)
            m.backward(p, tape, ys)
    worker = threading.Thread(target=calls)
    worker.start()
    try:
        for _ in range(20):
            with threadpool_limits(1, user_api="blas"):
                time.sleep(0.005)
                seen.append(blas_counts())
            time.sleep(0.005)
    finally:
        stop.set()
        worker.join()
    assert all(all(n == 1 for _, n in counts) for counts in seen)
    assert blas_counts() == before


def test_a_forked_child_runs_blocks_with_a_pool_of_its_own(num_threads, team):
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    m = generated("rnn")
    num_threads(2)
    p = m.init_params(3, 4, dtype=np.float64)
    xs = np.random.default_rng(0).standard_normal((4, 2 * rt_threads.ROWS_PER_THREAD, 3))
    ys = m.forward(p, xs)[0]  # the parent's pool now has a thread
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # a child that inherited the pool but not its thread
        child = pool.apply_async(m.forward, (p, xs)).get(timeout=120)[0]
    assert np.array_equal(ys, child)


INTERRUPTED = textwrap.dedent("""
    import os, signal, sys, threading, time
    import numpy as np
    sys.path.insert(0, {root!r})
    if sys.argv[3] == "openmp":
        import torch  # its libgomp's team runs the blocks
    from generated import lstm
    phase, B = sys.argv[1], int(sys.argv[2])
    T, I, H = 1500, 64, 128
    p = lstm.pack(lstm.init_params(I, H, dtype=np.float64))
    xs = np.random.default_rng(0).standard_normal((T, B, I))
    ys, _, tape = lstm.forward(p, xs)
    expected = lstm.backward(p, tape, ys)
    t0 = time.perf_counter()
    ys, _, tape = lstm.forward(p, xs)
    if phase == "backward":
        t0 = time.perf_counter()
        lstm.backward(p, tape, ys)
    took = time.perf_counter() - t0
    threading.Timer(took / 3, os.kill, (os.getpid(), signal.SIGINT)).start()
    t0 = time.perf_counter()
    try:
        if phase == "forward":
            lstm.forward(p, xs)
        else:
            lstm.backward(p, tape, ys)
        print("no interrupt")
    except KeyboardInterrupt:
        late = time.perf_counter() - t0 - took / 3
        again = lstm.backward(p, lstm.forward(p, xs)[2], ys)  # the next calls are right
        same = all(np.array_equal(again[0][k], expected[0][k]) for k in expected[0])
        print("interrupted", f"{{late:.3f}}", f"{{took:.3f}}", same and np.array_equal(again[1], expected[1]))
""")


@pytest.mark.parametrize("phase,B", [("forward", 64), ("backward", 64), ("backward", 4)])
@pytest.mark.parametrize("threads", ["pool", "openmp"])
def test_ctrl_c_stops_a_call_promptly_and_the_next_call_is_right(phase, B, threads, tmp_path):
    script = tmp_path / "interrupted.py"
    script.write_text(INTERRUPTED.format(root=str(ROOT)))
    env = dict(os.environ, CELLGEN_NUM_THREADS="2")
    r = subprocess.run([sys.executable, str(script), phase, str(B), threads], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0 and "SystemError" not in r.stderr, r.stderr
    word, late, took, right = r.stdout.split()
    assert word == "interrupted" and right == "True"
    # one chunk of work (about 1 ms per thread) plus the scheduler's slack, not the call
    assert float(late) < max(0.1, float(took) / 5), (late, took)


def test_the_same_bits_while_other_threads_load_the_machine(num_threads, team):
    # how a call splits its rows depends on the thread setting and the sizes, never on load
    m = generated("gru")
    num_threads(2)
    alone = run(m, T=6, B=80, I=5, H=24)
    stop = threading.Event()

    def load():
        while not stop.is_set():
            run(generated("lstm"), T=6, B=64, I=5, H=24)
    others = [threading.Thread(target=load) for _ in range(2)]
    for t in others:
        t.start()
    try:
        loaded = [run(m, T=6, B=80, I=5, H=24) for _ in range(5)]
    finally:
        stop.set()
        for t in others:
            t.join()
    for values, grads in loaded:
        for a, b in zip(alone[0] + alone[1], values + grads):
            assert np.array_equal(a, b)


def test_the_pool_and_an_openmp_team_give_the_same_bits(num_threads, monkeypatch):
    import torch  # noqa: F401  (loads torch's libgomp)
    if rt_threads.OpenMP.found() is None:
        pytest.skip("no libgomp in this process")
    m = generated("lstm")
    num_threads(2)
    on_team = run(m, T=6, B=80, I=5, H=24)
    monkeypatch.setattr(rt_threads.OpenMP, "found", classmethod(lambda cls: None))
    on_pool = run(m, T=6, B=80, I=5, H=24)
    for a, b in zip(on_team[0] + on_team[1], on_pool[0] + on_pool[1]):
        assert np.array_equal(a, b)


def test_a_team_smaller_than_asked_runs_every_block(num_threads):
    # nested in another parallel region, or capped by OMP_THREAD_LIMIT, a team may have
    # fewer threads than blocks
    class OneThreadTeam:
        @staticmethod
        def GOMP_parallel(body, data, n, flags):
            body(None)
        omp_get_thread_num = staticmethod(lambda: 0)
        omp_get_num_threads = staticmethod(lambda: 1)
    done = []
    rt_threads._on_team(OneThreadTeam, lambda i, b0, b1, cancel: done.append((b0, b1)), [0, 3, 6, 9], 3)
    assert done == [(0, 3), (3, 6), (6, 9)]
