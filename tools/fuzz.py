"""Long fuzz runs of the front end and of derived gradients (the tests run short ones).

    python tools/fuzz.py specs --examples 20000      # hostile texts: a module or errors, never a crash
    python tools/fuzz.py gradients --examples 300    # random valid cells against finite differences
    python tools/fuzz.py padding --examples 300      # non-finite padding under random lengths
    python tools/fuzz.py threads --examples 50       # concurrent calls from threads against sequential ones

Prints how many cases ran and exits 1 on the first failure, with the case.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402

import cellgen  # noqa: E402
from cellgen.gradcheck import check_module_object, import_source, random_problem  # noqa: E402
from fuzz_specs import mutated_specs  # noqa: E402
from random_cells import cells  # noqa: E402

count = {"ok": 0, "refused": 0}


def check_spec_text(text: str) -> None:
    try:
        compiled = cellgen.compile_spec(text, "fuzz.cell")
    except cellgen.SpecError as e:
        assert e.diagnostics and all(d.line >= 1 and d.col >= 1 for d in e.diagnostics)
        assert all(line.startswith("fuzz.cell:") and ": error: " in line for line in str(e).split("\n"))
        count["refused"] += 1
        return
    compile(compiled.source, "generated.py", "exec")
    count["ok"] += 1


def check_gradients(text: str) -> None:
    directory = tempfile.mkdtemp(prefix="cellgen-fuzz-")
    module = import_source(cellgen.compile_spec(text, "random_cell.cell").source, "random_cell", directory)
    rows = check_module_object(module, seed=1, T=3, B=2, I=2, H=3)
    assert all(r.ok for r in rows), (text, [r for r in rows if not r.ok])
    count["ok"] += 1


def check_padding(case) -> None:
    """A catalog or random cell, random lengths, padding filled with NaN, inf or huge values:
    every result must equal the one with the padding set to 1, bit for bit, and be finite."""
    import numpy as np
    text, (T, B, seed), fill = case
    directory = tempfile.mkdtemp(prefix="cellgen-fuzz-")
    module = import_source(cellgen.compile_spec(text, "random_cell.cell").source, "random_cell", directory)
    rng = np.random.default_rng(seed)
    p, _, _, dys, _, masks = random_problem(module, T, B, I=2, H=3, seed=seed)  # any sizes the cell names
    masks = masks or {}
    lengths = rng.integers(0, T + 1, B)
    xs = 0.5 + rng.random((T, B, 2))
    results = []
    for value in (1.0, fill):
        padded = xs.copy()
        padded_masks = {k: m.copy() for k, m in masks.items()}
        for b, n in enumerate(lengths):
            padded[n:, b] = value
            for k, per in module.MASKS.items():  # a mask's steps past the end are padding too
                if per == "step":
                    padded_masks[k][n:, b] = value
        ys, final, tape = module.forward(p, padded, lengths=lengths, masks=padded_masks or None)
        results.append([ys, *final, *module.backward(p, tape, dys)[0].values()])
    for a, b in zip(*results):
        assert np.array_equal(a, b) and np.isfinite(b).all(), (text, lengths, fill)
    count["ok"] += 1


def check_threads(case) -> None:
    """Calls of catalog cells from several threads at once, on shared parameters, against the
    same calls one after the other: equal to 1e-12 (float64). A concurrent call may split its
    rows differently (numpy's BLAS is lent per call), which changes only the last bits."""
    import concurrent.futures

    import numpy as np

    from conftest import SPECS, generated
    names, (T, B, seed), n_threads = case
    rng = np.random.default_rng(seed)
    jobs = []
    for name in names:
        m = generated(SPECS[name % len(SPECS)])
        p = m.init_params(3, 5, seed=seed, dtype=np.float64)
        xs, dys = rng.standard_normal((T, B, 3)), rng.standard_normal((T, B, 5))
        lengths = rng.integers(0, T + 1, B)
        jobs.append((m, p, xs, dys, lengths))

    def run(job):
        m, p, xs, dys, lengths = job
        ys, final, tape = m.forward(p, xs, lengths=lengths)
        dparams, dxs, dstate0 = m.backward(p, tape, dys)
        return [ys.copy(), dxs.copy(), *[d.copy() for d in dparams.values()], *final, *dstate0]

    sequential = [run(job) for job in jobs]
    with concurrent.futures.ThreadPoolExecutor(n_threads) as pool:
        concurrent_ = list(pool.map(run, jobs))
    for a, b in zip(sequential, concurrent_):
        for x, y in zip(a, b):
            assert np.array_equal(x, y), (names, T, B, seed)  # the same bits
    count["ok"] += 1


def thread_cases():
    from hypothesis import strategies as st
    sizes = st.tuples(st.integers(1, 8), st.integers(1, 70), st.integers(0, 2**31))
    return st.tuples(st.lists(st.integers(0, 100), min_size=2, max_size=6), sizes, st.integers(2, 4))


def padding_cases():
    from hypothesis import strategies as st
    sizes = st.tuples(st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**31))
    return st.tuples(cells(), sizes, st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["specs", "gradients", "padding", "threads"])
    ap.add_argument("--examples", type=int, default=1000)
    args = ap.parse_args()
    strategy, check = {"specs": (mutated_specs(), check_spec_text), "gradients": (cells(), check_gradients),
                       "padding": (padding_cases(), check_padding),
                       "threads": (thread_cases(), check_threads)}[args.what]
    run = settings(max_examples=args.examples, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))(given(strategy)(check))
    start = time.time()
    run()
    print(f"{args.what}: {sum(count.values())} cases, {count} in {time.time() - start:.0f} s, no failure")


if __name__ == "__main__":
    main()
