"""The runtime recycles the large arrays of a call (cellgen.runtime.buffers): a buffer may
be handed out again only once nothing the caller holds can reach it."""
import gc

import numpy as np
import pytest

from cellgen.runtime import buffers
from conftest import generated

# large enough that every tape and work array goes through the buffers
T, B, I, H = 40, 16, 24, 32


def run(m, xs, dys, p):
    ys, final, tape = m.forward(p, xs)
    dparams, dxs, dstate0 = m.backward(p, tape, dys)
    return ys, final, tape, dparams, dxs, dstate0


@pytest.mark.parametrize("name", ["lstm", "gru_cho"])
def test_arrays_held_by_the_caller_are_never_reused(name, rng):
    m = generated(name)
    assert T * B * H * 8 >= buffers.Buffers.MIN_BYTES
    p = m.init_params(I, H, seed=3, dtype=np.float64)
    xs = [rng.standard_normal((T, B, I)) for _ in range(3)]
    dys = [rng.standard_normal((T, B, H)) for _ in range(3)]
    expected = []
    for x, d in zip(xs, dys):  # one call at a time, copied before the next
        ys, _, _, dparams, dxs, _ = run(m, x, d, p)
        expected.append((ys.copy(), {k: v.copy() for k, v in dparams.items()}, dxs.copy()))
    del ys, dparams, dxs
    # all three forwards first, their tapes alive together; then the backwards in reverse
    held = [m.forward(p, x) for x in xs]
    grads = [m.backward(p, held[i][2], dys[i]) for i in (2, 1, 0)][::-1]
    for (ys, _, _), (dparams, dxs, _), (ys0, dparams0, dxs0) in zip(held, grads, expected):
        np.testing.assert_array_equal(ys, ys0)
        np.testing.assert_array_equal(dxs, dxs0)
        for k in dparams0:
            np.testing.assert_array_equal(dparams[k], dparams0[k])


def test_buffers_are_reused_and_released(rng):
    m = generated("lstm")
    p = m.init_params(I, H, dtype=np.float32)
    xs = rng.standard_normal((T, B, I)).astype(np.float32)
    dys = np.ones((T, B, H), np.float32)
    # On a cold Numba cache the first call compiles, and the compiler leaves that call's
    # arguments in reference cycles until the garbage collector runs.
    run(m, xs, dys, p)
    gc.collect()
    m.release_buffers()
    run(m, xs, dys, p)
    kept = buffers.pool.kept_bytes
    assert kept > 0  # every buffer of the call came back when its results went
    for _ in range(3):  # each call takes the last one's buffers and returns them
        run(m, xs, dys, p)
        assert buffers.pool.kept_bytes == kept
    ys = run(m, xs, dys, p)[0]
    assert buffers.pool.kept_bytes == kept - ys.nbytes  # ys is still held
    m.release_buffers()
    assert buffers.pool.kept_bytes == 0
    del ys
    assert buffers.pool.kept_bytes > 0  # ys's buffer came back when ys went
    m.release_buffers()


def test_results_kept_by_the_caller_stay_intact(rng):
    m = generated("lstm")
    p = m.init_params(I, H, dtype=np.float32)
    xs = [rng.standard_normal((T, B, I)).astype(np.float32) for _ in range(3)]
    kept = [m.forward(p, xs[i % 3])[0] for i in range(40)]
    for i, ys in enumerate(kept):
        np.testing.assert_array_equal(ys, kept[i % 3])
    assert len({ys.ctypes.data for ys in kept}) == len(kept)


def test_the_cap_holds_once_the_results_are_dropped(rng, monkeypatch):
    # issue 20: one large call left its whole working set held until the next call
    monkeypatch.setattr(buffers.Buffers, "KEEP_BYTES", 1 << 20)
    m, other = generated("lstm"), generated("gru")
    p, q = m.init_params(I, H, dtype=np.float32), other.init_params(I, H, dtype=np.float32)
    xs = rng.standard_normal((10 * T, B, I)).astype(np.float32)
    held = [run(m, xs, np.ones((10 * T, B, H), np.float32), p), run(other, xs, None, q)]
    used = sum(a.nbytes for r in held for a in [r[0], r[4], *r[2].values()] if isinstance(a, np.ndarray))
    assert used > 4 << 20  # far more than the cap is in use ...
    del held
    gc.collect()
    assert 0 < buffers.pool.kept_bytes <= 1 << 20  # ... and all of it came back: the cap holds
    buffers.release_buffers()
