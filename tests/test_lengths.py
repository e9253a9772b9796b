"""Variable-length batches: each sequence stops at its length, as with a PackedSequence."""
import numpy as np
import pytest

from cellgen.gradcheck import random_problem
from conftest import generated


@pytest.mark.parametrize("name", ["lstm", "gru_cho", "rnn", "article_lstm", "lstm_layernorm", "slstm", "lstm_proj"])
def test_lengths_equal_separate_runs(name):
    m = generated(name)
    T, B, I, H = 6, 4, 3, 5
    p, xs, s0, dys, dfinal, _ = random_problem(m, T, B, I, H, seed=1, scale=0.2)
    lengths = np.array([6, 0, 3, 1])
    ys, final, tape = m.forward(p, xs, s0, lengths=lengths)
    dparams, dxs, dstate0 = m.backward(p, tape, dys, dfinal)
    total = {k: np.zeros_like(v) for k, v in p.items()}
    for b, n in enumerate(lengths):
        one = lambda a: a[:, b:b + 1]
        ys_b, final_b, tape_b = m.forward(p, one(xs)[:n], tuple(s[b:b + 1] for s in s0))
        assert np.allclose(ys[:n, b:b + 1], ys_b, atol=1e-14) and not ys[n:, b].any()
        for f, fb in zip(final, final_b):
            assert np.allclose(f[b:b + 1], fb, atol=1e-14)
        dp_b, dxs_b, ds_b = m.backward(p, tape_b, one(dys)[:n], tuple(d[b:b + 1] for d in dfinal))
        for k in total:
            total[k] += dp_b[k]
        assert np.allclose(dxs[:n, b:b + 1], dxs_b, atol=1e-13) and not dxs[n:, b].any()
        for d, db in zip(dstate0, ds_b):
            assert np.allclose(d[b:b + 1], db, atol=1e-13)
    for k in total:
        assert np.allclose(dparams[k], total[k], atol=1e-12), k


def test_lengths_are_validated():
    m = generated("rnn")
    p = m.init_params(2, 3, dtype=np.float64)
    xs = np.zeros((4, 2, 2))
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        m.forward(p, xs, lengths=[5, 1])
    with pytest.raises(TypeError, match="lengths"):
        m.forward(p, xs, lengths=[1.5, 1.0])
    with pytest.raises(TypeError, match=r"\(2,\)"):
        m.forward(p, xs, lengths=[1, 1, 1])


# An input-space operand whose value and derivative are infinite at 0: zeroed padding must
# not turn into inf there either.
LOG_CELL = "input x\nstate h\nh' = tanh(W @ h + U @ log(x * x) + V @ x + b)\n"


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru_cho", "log_cell", "gru_layernorm"])
@pytest.mark.parametrize("fill", [np.nan, np.inf, -np.inf, 1e300])
def test_padding_never_reaches_a_result(name, fill, tmp_path):
    # issue 20: rnn, float64, xs of ones, xs[2, 1] = nan with lengths [3, 2] gave dU all NaN
    if name == "log_cell":
        import cellgen
        from cellgen.gradcheck import import_source
        m = import_source(cellgen.compile_spec(LOG_CELL, "log_cell.cell").source, "log_cell", str(tmp_path))
    else:
        m = generated(name)
    T, B, I, H = 4, 3, 2, 3
    rng = np.random.default_rng(5)
    p = {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in m.init_params(I, H, seed=2, dtype=np.float64).items()}
    lengths = np.array([4, 2, 0])
    clean = 0.5 + rng.random((T, B, I))
    dirty = clean.copy()
    for b, n in enumerate(lengths):
        clean[n:, b] = 1.0
        dirty[n:, b] = fill
    dys = rng.standard_normal((T, B, H))
    results = []
    for xs in (clean, dirty):
        ys, final, tape = m.forward(p, xs, lengths=lengths)
        dparams, dxs, dstate0 = m.backward(p, tape, dys)
        results.append([ys, *final, dxs, *dstate0, *dparams.values()])
    for a, b in zip(*results):
        assert np.isfinite(b).all()
        np.testing.assert_array_equal(a, b)
    for b, n in enumerate(lengths):
        assert not results[1][len(m.STATES) + 1][n:, b].any()  # dxs is zero on padding
