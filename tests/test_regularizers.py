"""Regularizers inside the recurrence: masks in the cell language, and zoneout, recurrent
dropout and DropConnect as layer options, each against the same cell written in eager
torch with the same masks."""
import copy
import pickle

import numpy as np
import pytest
import torch

import cellgen
import cellgen.torch as ct
from cellgen import SpecError
from cellgen.frontend.parser import parse
from cellgen.errors import Reporter
from cellgen.frontend.rewrite import expression_text, regularize, spec_text
from cellgen.frontend.syntax import Call, MatVec, Name, Num, Unary
from cellgen.gradcheck import check_module_object
from cellgen.pipeline import check_text, compile_spec, load_text
from cellgen.runtime.driver import tape_arrays
from conftest import ROOT, SPECS

ZONED_RNN = """cell rnn_zoned
input x
state h
mask z
mask d per sequence
n = tanh(W @ (d * h) + U @ x + b)
h' = z * h + (1 - z) * n
"""


# -- the language -------------------------------------------------------------------
@pytest.mark.parametrize("text,where,message", [
    ("mask z\nh' = tanh(W @ h + U @ x)", (3, 6), "mask 'z' is declared but never used"),
    ("mask z, z\nh' = z * tanh(W @ h + U @ x)", (3, 9), "mask 'z' is declared twice (first at 3:6)"),
    ("mask h\nh' = tanh(W @ h + U @ x)", (3, 6), "'h' is defined twice: it is already a state"),
    ("mask x\nh' = tanh(W @ h + U @ x)", (3, 6), "'x' is defined twice: it is already the input"),
    ("mask z\nz = tanh(h)\nh' = z * tanh(W @ h + U @ x)", (4, 1), "'z' is a mask: the caller gives its values"),
    ("mask z\nh' = z' * tanh(W @ h + U @ x)", (4, 6), "prime on 'z', which is not a state"),
    ("mask z\nh' = tanh(z @ h + U @ x)", (4, 11), "the left side of '@' must be a parameter"),
    ("mask z\nh' = tanh(W @ h + U @ (z * x))", (4, 26), "'*' mixes an input-sized value with a hidden-sized one"),
    ("mask z per batch\nh' = z * tanh(W @ h + U @ x)", (3, 12), "expected 'step' or 'sequence' after 'per'"),
    ("mask tanh\nh' = tanh(W @ h + U @ x)", (3, 6), "'tanh' is a function and cannot name a mask"),
    ("param W, U, z\nmask z\nh' = z * tanh(W @ h + U @ x)", (3, 13), "'z' is declared a parameter, but it is a mask"),
])
def test_mask_errors_at_line_and_column(text, where, message):
    with pytest.raises(SpecError) as e:
        check_text("input x\nstate h\n" + text + "\n", "m.cell")
    assert (e.value.line, e.value.col) == where, str(e.value)
    assert message in e.value.message


def test_a_mask_one_edit_from_a_new_parameter_gets_the_typo_warning():
    cell = check_text("input x\nstate h\nmask zo\nh' = zo * h + (1 - zp) * tanh(W @ h + U @ x)\n", "m.cell")
    assert any("did you mean 'zo'" in w.message for w in cell.warnings)


def load(text, name):
    return load_text(text, f"{name}.cell")


def test_masked_cells_pass_the_gradient_check():
    module = load(ZONED_RNN, "rnn_zoned")
    assert module.MASKS == {"z": "step", "d": "sequence"}
    for seed in (0, 1):
        rows = check_module_object(module, seed=seed)
        assert all(r.ok for r in rows), rows
        assert {r.name for r in rows} == {"W", "U", "b", "xs", "state0[h]"}  # no gradient for a mask


def test_a_mask_is_read_where_it_is_given_and_never_copied_to_the_tape():
    module = load(ZONED_RNN, "rnn_zoned")
    rng = np.random.default_rng(0)
    T, B, I, H = 5, 3, 4, 6
    p = module.init_params(I, H, dtype=np.float64)
    xs = rng.standard_normal((T, B, I))
    masks = {"z": rng.uniform(size=(T, B, H)), "d": rng.uniform(size=(B, H))}
    ys, final, tape = module.forward(p, xs, masks=masks)
    assert tape["Z__z"] is masks["z"] and tape["Z__d"] is masks["d"]
    # the tape holds what the same cell holds with z a parameter (a vector) instead of a mask
    plain = load(ZONED_RNN.replace("mask z\n", "").replace("cell rnn_zoned", "cell rnn_zparam"), "rnn_zparam")
    pz = dict(p, z=np.full(H, 0.3))
    _, _, plain_tape = plain.forward(pz, xs, masks={"d": masks["d"]})
    assert [a.shape for a in tape_arrays(module._CELL, tape)] == [a.shape for a in tape_arrays(plain._CELL, plain_tape)]
    # by hand, in numpy
    h = np.zeros((B, H))
    for t in range(T):
        n = np.tanh((masks["d"] * h) @ p["W"].T + xs[t] @ p["U"].T + p["b"])
        h = masks["z"][t] * h + (1 - masks["z"][t]) * n
        np.testing.assert_allclose(ys[t], h, rtol=0, atol=1e-13)
    y1, _ = module.step(p, xs[0], masks={"z": masks["z"][0], "d": masks["d"]})
    np.testing.assert_allclose(y1, ys[0], rtol=0, atol=1e-15)


@pytest.mark.parametrize("masks,error,message", [
    (None, ValueError, "this cell reads the masks {'z': [T, B, hidden], 'd': [B, hidden]}"),
    ({"z": np.ones((5, 3, 6))}, ValueError, "pass masks= a dict with exactly those keys (got ['z'])"),
    ({"z": np.ones((5, 3, 6)), "d": np.ones((5, 3, 6))}, ValueError,
     "masks['d'] has shape (5, 3, 6); expected [B, hidden] = (3, 6)"),
    ({"z": np.ones((5, 3, 6), np.float32), "d": np.ones((3, 6))}, TypeError,
     "masks['z'] has dtype float32; expected float64"),
])
def test_wrong_masks_are_refused_naming_the_mask(masks, error, message):
    module = load(ZONED_RNN, "rnn_zoned")
    p = module.init_params(4, 6, dtype=np.float64)
    with pytest.raises(error) as e:
        module.forward(p, np.zeros((5, 3, 4)), masks=masks)
    assert message in str(e.value)
    with pytest.raises(ValueError, match="this cell reads no masks"):
        cellgen.load("rnn").forward(p, np.zeros((5, 3, 4)), masks={"z": np.ones((5, 3, 6))})


# -- spec text from a syntax tree -----------------------------------------------------
def _shape(e):
    """An expression without positions, to compare trees."""
    if isinstance(e, Num):
        return ("num", e.text)
    if isinstance(e, Name):
        return ("name", e.id, e.primed)
    if isinstance(e, Unary):
        return ("unary", e.op, _shape(e.operand))
    if isinstance(e, Call):
        return ("call", e.func, tuple(_shape(a) for a in e.args))
    if isinstance(e, MatVec):
        return ("@", _shape(e.matrix), _shape(e.operand))
    return (e.op, _shape(e.left), _shape(e.right))


@pytest.mark.parametrize("expr", ["a - (b - c)", "(a - b) - c", "a / (b * c)", "a / b * c", "-x ** 2", "(-x) ** 2",
                                  "x ** -1", "2 ** 3 ** 2", "(2 ** 3) ** 2", "-(a + b)", "W @ (a * h) + V @ h * b",
                                  "max(a - b, -c) / sqrt(1e-5 + x ** 2)", "a * (W @ h)", "+a - -b"])
def test_an_expression_prints_back_to_the_same_tree(expr):
    parsed = parse(f"y = {expr}\n", "e.cell", Reporter("e.cell")).statements[0].expr
    again = parse(f"y = {expression_text(parsed)}\n", "e.cell", Reporter("e.cell")).statements[0].expr
    assert _shape(again) == _shape(parsed)


@pytest.mark.parametrize("name", SPECS)
def test_every_catalog_cell_prints_back_to_the_same_module(name):
    text = (ROOT / "specs" / f"{name}.cell").read_text()
    printed = spec_text(parse(text, f"{name}.cell", Reporter(name)))
    assert compile_spec(printed, f"{name}.cell").source == compile_spec(text, f"{name}.cell").source


def test_regularize_writes_zoneout_and_dropout_as_equations():
    reg = regularize((ROOT / "specs" / "gru_cho.cell").read_text(), "gru_cho.cell", ("h",), True)
    assert reg.zoneout == {"h": "zoneout_h"} and reg.dropout == ("dropout_h", "dropout_1")
    lines = reg.text.splitlines()
    assert "mask zoneout_h" in lines and "mask dropout_h, dropout_1 per sequence" in lines
    assert "n = tanh(W_n @ (dropout_1 * (r * h)) + U_n @ x + b_n)" in lines
    assert "h' = zoneout_h * h + (1 - zoneout_h) * h_new" in lines
    mixed = regularize("input x\nstate h\na = U @ x\nh' = tanh(W @ (h * a) + V @ (U2 @ x) + b)\n", "m.cell",
                       (), True).text
    assert "W @ (dropout_0 * (h * a))" in mixed and "V @ (U2 @ x)" in mixed  # only what reads a state
    with pytest.raises(ValueError, match=r"zoneout names \['c'\], which are not states of gru_cho"):
        regularize((ROOT / "specs" / "gru_cho.cell").read_text(), "gru_cho.cell", ("c",))


# -- the layer options, against eager torch ---------------------------------------------
def eager_lstm(layer, x, masks):
    """torch.nn.LSTM's equations with the masks written in: the oracle."""
    T, B, _ = x.shape
    H = layer.hidden_size
    finals_h, finals_c = [], []
    for l in range(layer.num_layers):
        outs = []
        for d in range(layer.num_directions):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            W_ih, W_hh = getattr(layer, "weight_ih" + sfx), getattr(layer, "weight_hh" + sfx)
            b = getattr(layer, "bias_ih" + sfx) + getattr(layer, "bias_hh" + sfx)
            m = masks[l, d]
            if 1 in m["dropconnect"]:
                W_hh = W_hh * m["dropconnect"][1]
            drop = m["recurrent_dropout"].get("dropout_h")
            drop_proj = m["recurrent_dropout"].get("dropout_1")  # P_h's operand, o * tanh(c')
            zh, zc = m["zoneout"].get("h"), m["zoneout"].get("c")
            xs = x if d == 0 else x.flip(0)
            h, c = x.new_zeros(B, layer.proj_size or H), x.new_zeros(B, H)
            ys = []
            for t in range(T):
                hd = h if drop is None else drop * h
                i, f, g, o = (xs[t] @ W_ih.T + hd @ W_hh.T + b).chunk(4, 1)
                c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h_new = torch.sigmoid(o) * torch.tanh(c_new)
                if layer.proj_size:
                    h_new = (h_new if drop_proj is None else drop_proj * h_new) @ getattr(layer, "weight_hr" + sfx).T
                c = c_new if zc is None else zc[t] * c + (1 - zc[t]) * c_new
                h = h_new if zh is None else zh[t] * h + (1 - zh[t]) * h_new
                ys.append(h)
            ys = torch.stack(ys)
            outs.append(ys if d == 0 else ys.flip(0))
            finals_h.append(h)
            finals_c.append(c)
        x = torch.cat(outs, 2)
    return x, (torch.stack(finals_h), torch.stack(finals_c))


def eager_gru(layer, x, masks):
    T, B, _ = x.shape
    H = layer.hidden_size
    W_ih, W_hh, b_ih, b_hh = layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0
    m = masks[0, 0]
    if 1 in m["dropconnect"]:
        W_hh = W_hh * m["dropconnect"][1]
    drop = next(iter(m["recurrent_dropout"].values()), None)
    z_h = m["zoneout"].get("h")
    h = x.new_zeros(B, H)
    ys = []
    for t in range(T):
        hd = h if drop is None else drop * h
        xr, xz, xn = (x[t] @ W_ih.T + b_ih).chunk(3, 1)
        hr, hz, hn = (hd @ W_hh.T + b_hh).chunk(3, 1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h_new = (1 - z) * n + z * h
        h = h_new if z_h is None else z_h[t] * h + (1 - z_h[t]) * h_new
        ys.append(h)
    return torch.stack(ys), h[None]


def outputs_and_grads(layer, run, x):
    x = x.detach().clone().requires_grad_()
    out, final = run(x)
    final = final if isinstance(final, tuple) else (final,)
    w = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    loss = (out * w).sum() + sum((f * f).sum() for f in final)
    grads = torch.autograd.grad(loss, [x] + list(layer.parameters()))
    return [out, *final], grads


OPTIONS = [dict(zoneout=0.3), dict(zoneout={"c": 0.2}), dict(recurrent_dropout=0.4), dict(dropconnect=0.5),
           dict(zoneout=0.25, recurrent_dropout=0.3, dropconnect=0.2)]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o))
def test_lstm_options_equal_eager_torch_with_the_same_masks(options):
    torch.manual_seed(0)
    layer = ct.LSTM(5, 7, num_layers=2, bidirectional=True, dtype=torch.float64, **options)
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    torch.manual_seed(11)
    masks = layer.draw_masks(6, 3)
    torch.manual_seed(11)  # forward draws the same masks from the same RNG state
    ours, ours_grads = outputs_and_grads(layer, layer, x)
    theirs, their_grads = outputs_and_grads(layer, lambda v: eager_lstm(layer, v, masks), x)
    for a, b in zip(ours + list(ours_grads), theirs + list(their_grads)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    assert any(m.min() == 0 for per in masks.values() for kind in per.values() for m in kind.values())


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o))
def test_lstm_with_projections_takes_the_options_as_eager_torch(options):
    torch.manual_seed(0)
    layer = ct.LSTM(5, 7, num_layers=2, bidirectional=True, proj_size=3, dtype=torch.float64, **options)
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    torch.manual_seed(11)
    masks = layer.draw_masks(6, 3)
    torch.manual_seed(11)
    ours, ours_grads = outputs_and_grads(layer, layer, x)
    theirs, their_grads = outputs_and_grads(layer, lambda v: eager_lstm(layer, v, masks), x)
    for a, b in zip(ours + list(ours_grads), theirs + list(their_grads)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    assert ours[0].shape == (6, 3, 6)


@pytest.mark.parametrize("options", OPTIONS[2:] + [dict(zoneout=0.35)], ids=lambda o: ",".join(o))
def test_gru_options_equal_eager_torch_with_the_same_masks(options):
    torch.manual_seed(0)
    layer = ct.GRU(4, 6, dtype=torch.float64, **options)
    x = torch.randn(7, 2, 4, dtype=torch.float64)
    torch.manual_seed(5)
    masks = layer.draw_masks(7, 2)
    torch.manual_seed(5)
    ours, ours_grads = outputs_and_grads(layer, layer, x)
    theirs, their_grads = outputs_and_grads(layer, lambda v: eager_gru(layer, v, masks), x)
    for a, b in zip(ours + list(ours_grads), theirs + list(their_grads)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("make", [lambda **o: ct.LSTM(5, 7, num_layers=2, dtype=torch.float64, **o),
                                  lambda **o: ct.GRU(5, 7, dtype=torch.float64, **o)],
                         ids=["lstm", "gru"])
def test_eval_uses_the_expectation(make):
    torch.manual_seed(0)
    layer = make(zoneout={"h": 0.3}, recurrent_dropout=0.4, dropconnect=0.5).eval()
    x = torch.randn(6, 3, 5, dtype=torch.float64)
    expected = {key: {"dropconnect": {}, "recurrent_dropout": {},
                      "zoneout": {"h": torch.full((6, 3, 7), 0.3, dtype=torch.float64)}}
                for key in layer.draw_masks(6, 3)}
    eager = eager_lstm if isinstance(layer, ct.LSTM) else eager_gru
    state = torch.get_rng_state()
    out, _ = layer(x)
    assert torch.equal(state, torch.get_rng_state())  # eval draws nothing
    torch.testing.assert_close(out, eager(layer, x, expected)[0], rtol=0, atol=1e-12)
    # without zoneout, eval is the plain layer
    plain = copy.deepcopy(layer)
    plain.zoneout = 0.0
    ref = copy.deepcopy(layer)
    ref.zoneout, ref.recurrent_dropout, ref.dropconnect = 0.0, 0.0, 0.0
    assert torch.equal(plain(x)[0], ref(x)[0])


@pytest.mark.parametrize("cell", ["lstm", "gru_cho", "slstm"])
def test_probability_zero_is_the_plain_layer(cell):
    torch.manual_seed(0)
    plain = ct.Recurrent(cell, 4, 5, dtype=torch.float64)
    zero = ct.Recurrent(cell, 4, 5, dtype=torch.float64, zoneout=0.0, recurrent_dropout=0.0, dropconnect=0.0)
    zero.load_state_dict(plain.state_dict())
    x = torch.randn(5, 2, 4, dtype=torch.float64)
    a, ga = outputs_and_grads(plain, plain, x)
    b, gb = outputs_and_grads(zero, zero, x)
    assert all(torch.equal(u, v) for u, v in zip(a + list(ga), b + list(gb)))


def test_any_cell_takes_the_options_and_trains():
    torch.manual_seed(0)
    layer = ct.Recurrent("gru_cho", 4, 5, num_layers=2, zoneout=0.2, recurrent_dropout=0.3, dropconnect=0.3)
    x = torch.randn(8, 3, 4)
    masks = layer.draw_masks(8, 3)
    assert set(masks[0, 0]["recurrent_dropout"]) == {"dropout_h", "dropout_1"}  # W @ h and W_n @ (r * h)
    assert set(masks[0, 0]["dropconnect"]) == {0, 3, 6}  # W_r, W_z, W_n among the parameters
    out, _ = layer(x)
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in layer.parameters())


def test_masks_follow_torch_manual_seed():
    layer = ct.LSTM(3, 4, zoneout=0.5, recurrent_dropout=0.5)
    x = torch.randn(5, 2, 3)
    torch.manual_seed(3)
    a = layer(x)[0]
    torch.manual_seed(3)
    b = layer(x)[0]
    c = layer(x)[0]
    assert torch.equal(a, b) and not torch.equal(b, c)


@pytest.mark.parametrize("kwargs,message", [
    (dict(zoneout=1.5), "zoneout should be a probability in [0, 1], got 1.5"),
    (dict(zoneout={"q": 0.1}), "zoneout names ['q'], which are not states of lstm (states: h, c)"),
    (dict(recurrent_dropout=1.0), "recurrent_dropout should be a probability in [0, 1), got 1.0"),
    (dict(dropconnect=-0.1), "dropconnect should be a probability in [0, 1), got -0.1"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError) as e:
        ct.LSTM(3, 4, **kwargs)
    assert message in str(e.value)


def test_a_cell_with_masks_of_its_own_runs_as_a_function_not_as_a_layer():
    with pytest.raises(ValueError, match=r"reads masks \(z, d\) that only its caller can give"):
        ct.Recurrent(ZONED_RNN, 3, 4)
    module = load(ZONED_RNN, "rnn_zoned")
    p = {k: torch.tensor(v, requires_grad=True) for k, v in module.init_params(3, 4, dtype=np.float64).items()}
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    z, d = torch.rand(5, 2, 4, dtype=torch.float64), torch.rand(2, 4, dtype=torch.float64)
    ys, _ = ct.cell_function(module, x, [x.new_zeros(2, 4)], list(p.values()), masks=[z, d])
    ys.sum().backward()
    masks = {"z": z.numpy(), "d": d.numpy()}
    np.testing.assert_allclose(ys.detach().numpy(), module.forward({k: v.detach().numpy() for k, v in p.items()},
                                                                   x.numpy(), masks=masks)[0], rtol=0, atol=0)
    assert all(v.grad is not None for v in p.values())


def test_recurrent_dropout_on_a_cell_without_recurrent_products_is_the_plain_cell():
    layer = ct.Recurrent("mingru", 3, 4, recurrent_dropout=0.5)
    assert layer._regularized_cell({}) is None
    torch.manual_seed(0)
    x = torch.randn(5, 2, 3)
    plain = ct.Recurrent("mingru", 3, 4)
    plain.load_state_dict(layer.state_dict())
    assert torch.equal(layer(x)[0], plain(x)[0])


def test_a_regularized_layer_pickles_copies_and_loads_state():
    torch.manual_seed(0)
    layer = ct.LSTM(3, 4, zoneout=0.2, recurrent_dropout=0.1, dropconnect=0.1)
    x = torch.randn(5, 2, 3)
    for other in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert "zoneout=0.2, recurrent_dropout=0.1, dropconnect=0.1" in repr(other)
        torch.manual_seed(1)
        a = layer(x)[0]
        torch.manual_seed(1)
        assert torch.equal(a, other(x)[0])
    back = ct.from_torch(ct.to_torch(layer), zoneout=0.2)
    assert back.zoneout == 0.2 and torch.equal(back.weight_hh_l0, layer.weight_hh_l0)


def test_a_regularized_layer_compiles_whole():
    torch.manual_seed(0)
    layer = ct.LSTM(3, 4, zoneout=0.2, recurrent_dropout=0.2).eval()
    x = torch.randn(5, 2, 3)
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x)[0], layer(x)[0], rtol=0, atol=0)


def test_the_masks_have_the_stated_probabilities():
    torch.manual_seed(0)
    layer = ct.LSTM(3, 64, zoneout={"h": 0.3, "c": 0.1}, recurrent_dropout=0.4, dropconnect=0.25)
    m = layer.draw_masks(200, 50)[0, 0]
    assert abs(m["zoneout"]["h"].mean().item() - 0.3) < 0.005 and abs(m["zoneout"]["c"].mean().item() - 0.1) < 0.005
    drop = m["recurrent_dropout"]["dropout_h"]
    assert torch.equal(drop.unique(), torch.tensor([0, 1 / 0.6]))
    assert abs((drop == 0).float().mean().item() - 0.4) < 0.03
    w = m["dropconnect"][1]
    assert w.shape == (256, 64) and abs((w == 0).float().mean().item() - 0.25) < 0.01


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_counter_based_mask_generator(dtype):
    from cellgen.runtime.masks import bernoulli
    a, b = np.empty(400_000, dtype), np.empty(400_000, dtype)
    for p in (0.05, 0.3, 0.5, 0.9):
        bernoulli(a, p, 42)
        assert set(np.unique(a)) <= {0, 1} and abs(a.mean() - p) < 4 * np.sqrt(p * (1 - p) / a.size)
        assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01  # neighbours independent
    bernoulli(b, 0.9, 42)
    assert np.array_equal(a, b)  # a function of the seed
    bernoulli(b, 0.9, 43)
    assert not np.array_equal(a, b)
    bernoulli(a, 0.0, 1)
    bernoulli(b, 1.0, 1)
    assert a.max() == 0 and b.min() == 1


def test_training_under_torch_compile_draws_the_eager_masks():
    torch.manual_seed(0)
    layer = ct.LSTM(3, 4, zoneout=0.3, recurrent_dropout=0.2, dropconnect=0.2)
    x = torch.randn(5, 2, 3)
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    torch.manual_seed(7)
    a = compiled(x)[0]
    torch.manual_seed(7)
    torch.testing.assert_close(a, layer(x)[0], rtol=0, atol=0)
