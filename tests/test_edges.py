"""Sizes at the edges, dtypes, optional arguments, and input validation of generated kernels."""
import numpy as np
import pytest

import cellgen
from cellgen.gradcheck import check_module_object
from conftest import SPECS, generated


@pytest.mark.parametrize("sizes", [dict(T=1, B=1, I=3, H=4), dict(T=3, B=2, I=1, H=1), dict(T=2, B=1, I=7, H=2)],
                         ids=["B=1,T=1", "hidden=1,input=1", "input>hidden"])
@pytest.mark.parametrize("name", ["lstm", "gru_cho", "article_lstm"])
def test_gradients_at_small_sizes(name, sizes):
    rows = check_module_object(generated(name), seed=3, **sizes)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


@pytest.mark.parametrize("name", ["lstm", "gru", "article_lstm"])
def test_zero_steps(name):
    m = generated(name)
    p = m.init_params(3, 4, dtype=np.float64)
    s0 = tuple(np.full((2, 4), 0.5) for _ in m.STATES)
    ys, final, tape = m.forward(p, np.zeros((0, 2, 3)), s0)
    assert ys.shape == (0, 2, 4)
    assert all(np.array_equal(f, s) for f, s in zip(final, s0))
    df = tuple(np.ones((2, 4)) for _ in m.STATES)
    dparams, dxs, dstate0 = m.backward(p, tape, np.zeros((0, 2, 4)), df)
    assert dxs.shape == (0, 2, 3)
    assert all(np.array_equal(a, b) for a, b in zip(dstate0, df))
    assert all(not v.any() and v.shape == p[k].shape for k, v in dparams.items())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_and_optional_arguments(dtype):
    m = generated("lstm")
    p = m.init_params(3, 5, seed=1, dtype=dtype)
    xs = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(dtype)
    ys, final, tape = m.forward(p, xs)  # state0=None means zeros
    ys0, final0, _ = m.forward(p, xs, (np.zeros((2, 5), dtype), np.zeros((2, 5), dtype)))
    assert ys.dtype == dtype and final[0].dtype == dtype
    assert np.array_equal(ys, ys0)
    dparams, dxs, dstate0 = m.backward(p, tape, None)  # dys=None, dfinal=None: all zero
    assert all(not v.any() for v in dparams.values()) and not dxs.any()
    dparams, dxs, dstate0 = m.backward(p, tape, None, (np.ones((2, 5), dtype), None))
    assert dxs.dtype == dtype and all(v.dtype == dtype for v in dparams.values())
    assert np.abs(dxs).sum() > 0


def test_float32_tracks_float64():
    m = generated("gru")
    p64 = m.init_params(8, 16, seed=4, dtype=np.float64)
    xs = np.random.default_rng(1).standard_normal((50, 4, 8))
    ys64, _, tape64 = m.forward(p64, xs)
    ys32, _, tape32 = m.forward({k: v.astype(np.float32) for k, v in p64.items()}, xs.astype(np.float32))
    assert np.max(np.abs(ys32 - ys64)) < 1e-5
    d64 = m.backward(p64, tape64, np.ones_like(ys64))[0]
    d32 = m.backward({k: v.astype(np.float32) for k, v in p64.items()}, tape32, np.ones_like(ys32))[0]
    for k in d64:
        assert np.max(np.abs(d32[k] - d64[k])) <= 1e-4 * max(1.0, np.max(np.abs(d64[k]))), k


def test_step_matches_forward():
    m = generated("lstm")
    p = m.init_params(3, 4, seed=0, dtype=np.float64)
    xs = np.random.default_rng(2).standard_normal((3, 2, 3))
    ys, final, _ = m.forward(p, xs)
    state = None
    for t in range(3):
        y, state = m.step(p, xs[t], state)
        assert np.allclose(y, ys[t], rtol=0, atol=1e-15)
    assert all(np.allclose(a, b, rtol=0, atol=1e-15) for a, b in zip(state, final))


def test_non_contiguous_and_read_only_inputs_are_accepted():
    m = generated("rnn")
    p = m.init_params(3, 4, dtype=np.float64)
    xs = np.random.default_rng(0).standard_normal((2, 5, 3))
    ref = m.forward(p, np.ascontiguousarray(xs[:, ::2]))[0]
    ro = xs[:, ::2]
    ro.flags.writeable = False
    p_ro = {k: np.asfortranarray(v) for k, v in p.items()}
    assert np.array_equal(m.forward(p_ro, ro)[0], ref)


def expect(exc, words, fn, *args):
    with pytest.raises(exc) as info:
        fn(*args)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_validation_names_the_array_and_shape():
    m = generated("lstm")
    p = m.init_params(3, 4, dtype=np.float32)
    xs = np.zeros((2, 2, 3), np.float32)
    expect(ValueError, ["xs", "[T, B, input_size] = [T, B, 3]"], m.forward, p, np.zeros((2, 2, 5), np.float32))
    expect(ValueError, ["xs", "(2, 3)"], m.forward, p, np.zeros((2, 3), np.float32))
    expect(TypeError, ["xs", "float64", "float32"], m.forward, p, xs.astype(np.float64))
    expect(TypeError, ["xs", "int64"], m.forward, p, xs.astype(np.int64))
    expect(ValueError, ["missing", "W_i"], m.forward, {k: v for k, v in p.items() if k != "W_i"}, xs)
    expect(ValueError, ["unknown", "extra"], m.forward, {**p, "extra": p["b_i"]}, xs)
    expect(ValueError, ["params['W_f']", "(4, 5)", "('hidden', 'hidden') = (4, 4)"], m.forward,
           {**p, "W_f": np.zeros((4, 5), np.float32)}, xs)
    expect(TypeError, ["params['b_o']", "float64"], m.forward, {**p, "b_o": p["b_o"].astype(np.float64)}, xs)
    expect(ValueError, ["state0['c']", "(2, 4)"], m.forward, p, xs, (np.zeros((2, 4), np.float32),
                                                                     np.zeros((3, 4), np.float32)))
    expect(ValueError, ["state0", "tuple of 2"], m.forward, p, xs, np.zeros((2, 4), np.float32))
    ys, final, tape = m.forward(p, xs)
    expect(ValueError, ["dys", "(2, 2, 4)"], m.backward, p, tape, np.zeros((2, 2, 5), np.float32))
    expect(ValueError, ["dfinal['h']"], m.backward, p, tape, None, (np.zeros((1, 4), np.float32), None))
    expect(TypeError, ["tape"], m.backward, p, {}, None)
    other = generated("gru")
    expect(TypeError, ["tape", "(lstm)"], m.backward, p, other.forward(other.init_params(3, 4), xs)[2], None)
    expect(ValueError, ["hidden size 6", "recorded with 4"], m.backward, m.init_params(3, 6), tape, None)
    expect(ValueError, ["input size 2", "recorded with 3"], m.backward, m.init_params(2, 4), tape, None)
    expect(TypeError, ["float64", "recorded with float32"], m.backward, m.init_params(3, 4, dtype=np.float64),
           tape, None)
    expect(TypeError, ["params must be a dict"], m.forward, [1, 2], xs)


def test_packed_params_give_the_same_results():
    m = generated("gru_cho")
    p = m.init_params(3, 4, seed=0, dtype=np.float64)
    pk = m.pack(p)
    assert m.pack(pk) is pk
    xs = np.random.default_rng(0).standard_normal((3, 2, 3))
    a, b = m.forward(p, xs), m.forward(pk, xs)
    assert np.array_equal(a[0], b[0])
    da, db = m.backward(p, a[2], np.ones_like(a[0])), m.backward(pk, b[2], np.ones_like(b[0]))
    assert all(np.array_equal(da[0][k], db[0][k]) for k in p)
    y1, s1 = m.step(pk, xs[0])
    y2, s2 = m.step(p, xs[0])
    assert np.array_equal(y1, y2) and np.array_equal(y1, a[0][0])


def test_backward_differentiates_the_forward_that_made_the_tape():
    # Given the forward's params object, backward reuses that forward's checked, stacked
    # weights (a dict costs ~70 us to check and stack again); another object is taken as given.
    m = generated("lstm")
    p = m.init_params(3, 4, seed=0, dtype=np.float64)
    xs = np.random.default_rng(0).standard_normal((3, 2, 3))
    ys, _, tape = m.forward(p, xs)
    dys = np.ones_like(ys)
    expected = m.backward(p, tape, dys)
    p["W_f"] = p["W_f"] + 1.0  # the same dict, an entry replaced after the forward
    again = m.backward(p, tape, dys)
    assert all(np.array_equal(expected[0][k], again[0][k]) for k in p)
    assert np.array_equal(expected[1], again[1])
    other = m.backward(dict(p), tape, dys)  # a new dict: its W_f is used
    assert not np.array_equal(expected[1], other[1])


def test_a_cell_with_a_size_of_its_own_steps_validates_and_runs_zero_steps():
    m = generated("lstm_proj")
    assert m.SIZES == ("proj",) and m.STATE_SIZES == ("proj", "hidden") and m.OUTPUT_SIZE == "proj"
    p = m.init_params(3, 5, seed=0, dtype=np.float64, proj=2)
    assert p["P_h"].shape == (2, 5) and p["W_i"].shape == (5, 2)
    xs = np.random.default_rng(2).standard_normal((3, 2, 3))
    ys, final, _ = m.forward(p, xs)
    assert ys.shape == (3, 2, 2) and final[0].shape == (2, 2) and final[1].shape == (2, 5)
    state = None
    for t in range(3):
        y, state = m.step(p, xs[t], state)
        assert np.allclose(y, ys[t], rtol=0, atol=1e-15)
    ys0, final0, tape = m.forward(p, np.zeros((0, 2, 3)))
    assert ys0.shape == (0, 2, 2) and final0[0].shape == (2, 2)
    dparams, dxs, dstate0 = m.backward(p, tape, np.zeros((0, 2, 2)))
    assert dparams["P_h"].shape == (2, 5) and not dparams["P_h"].any()
    with pytest.raises(ValueError, match=r"state0\['h'\] has shape \(2, 5\); expected \[B, proj\] = \(2, 2\)"):
        m.forward(p, xs, (np.zeros((2, 5)), np.zeros((2, 5))))
    with pytest.raises(ValueError, match=r"dys has shape \(3, 2, 5\); expected \[T, B, proj\]"):
        m.backward(p, m.forward(p, xs)[2], np.zeros((3, 2, 5)))
    with pytest.raises(TypeError, match=r"takes the sizes \['proj'\] by name.*missing \['proj'\]"):
        m.init_params(3, 5)
    with pytest.raises(ValueError, match="params\\['P_h'\\] has shape"):
        m.forward(dict(p, P_h=np.zeros((3, 5))), xs)


# x inside tanh: an input-space operand, whose products and dx kernel give dx
INPUT_OPERAND = "cell xin\ninput x\nstate h\nh' = tanh(W @ h + U @ tanh(x) + V @ x + b)\n"


@pytest.mark.parametrize("name", SPECS + ["input operand"])
def test_backward_without_the_input_gradient(name, tmp_path, cache, monkeypatch):
    # input_grad=False skips dx's products: every other gradient keeps its bits
    if name == "input operand":
        monkeypatch.setenv("CELLGEN_CACHE_DIR", str(cache))
        spec = tmp_path / "xin.cell"
        spec.write_text(INPUT_OPERAND)
        m = cellgen.load(spec)
        assert m._CELL.dx_kernels and m._CELL.operand_grads
    else:
        m = generated(name)
    sizes = {s: 3 for s in m.SIZES}
    p = m.init_params(4, 5, seed=2, dtype=np.float64, **sizes)
    rng = np.random.default_rng(1)
    T, B = 6, 3
    masks = {k: rng.random((T, B, sizes.get(m.MASK_SIZES[k], 5)) if kind == "step" else
                           (B, sizes.get(m.MASK_SIZES[k], 5))) for k, kind in m.MASKS.items()} or None
    ys, _, tape = m.forward(p, rng.standard_normal((T, B, 4)), lengths=np.array([6, 2, 4]), masks=masks)
    dys = rng.standard_normal(ys.shape)
    dparams, dxs, dstate0 = m.backward(p, tape, dys)
    dparams_, dxs_, dstate0_ = m.backward(p, tape, dys, input_grad=False)
    assert dxs_ is None and dxs.shape == (T, B, 4) and np.abs(dxs).max() > 0
    assert dparams.keys() == dparams_.keys()
    assert all(np.array_equal(dparams[k], dparams_[k]) for k in dparams)
    assert all(np.array_equal(a, b) for a, b in zip(dstate0, dstate0_))
