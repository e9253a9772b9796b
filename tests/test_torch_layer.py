"""cellgen.torch: a drop-in for nn.LSTM / nn.GRU, checked against them and by gradcheck."""
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import cellgen.torch
from cellgen.torch import Recurrent, from_torch, to_torch
from conftest import ROOT

torch.manual_seed(0)


def run(model, x, state, lengths):
    if lengths is not None:
        packed = pack_padded_sequence(x, lengths, batch_first=model.batch_first, enforce_sorted=False)
        out, final = model(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=model.batch_first)
    else:
        out, final = model(x, state)
    return out, final


@pytest.mark.parametrize("kind", [torch.nn.LSTM, torch.nn.GRU])
@pytest.mark.parametrize("layers,bidir,batch_first,lengths,x_grad", [
    (1, False, False, None, True), (2, True, True, None, True), (2, True, False, [5, 2, 4], True),
    (1, False, True, [3, 5, 1], True),
    # input data needs no gradient: the first layer skips dx, the second (on the first's output) not
    (1, False, False, None, False), (2, True, False, [5, 2, 4], False)])
def test_matches_torch(kind, layers, bidir, batch_first, lengths, x_grad):
    I, H, B, T = 4, 3, 3, 5
    ref = kind(I, H, layers, batch_first=batch_first, bidirectional=bidir).double()
    ours = from_torch(ref)
    D = 2 if bidir else 1
    x = torch.randn((B, T, I) if batch_first else (T, B, I), dtype=torch.float64)
    n_states = 2 if kind is torch.nn.LSTM else 1
    s0 = tuple(torch.randn(layers * D, B, H, dtype=torch.float64) for _ in range(n_states))
    s0 = s0 if n_states == 2 else s0[0]
    xr, xo = x.clone().requires_grad_(x_grad), x.clone().requires_grad_(x_grad)
    out_r, fin_r = run(ref, xr, s0, lengths)
    out_o, fin_o = run(ours, xo, s0, lengths)
    assert torch.allclose(out_r, out_o, atol=1e-12, rtol=0)
    fin_r = fin_r if n_states == 2 else (fin_r,)
    fin_o = fin_o if n_states == 2 else (fin_o,)
    for a, b in zip(fin_r, fin_o):
        assert torch.allclose(a, b, atol=1e-12, rtol=0)
    g = torch.randn_like(out_r)
    loss_r = (out_r * g).sum() + sum(f.sum() for f in fin_r)
    loss_o = (out_o * g).sum() + sum(f.sum() for f in fin_o)
    loss_r.backward()
    loss_o.backward()
    assert (xo.grad is None) if not x_grad else torch.allclose(xr.grad, xo.grad, atol=1e-10, rtol=0)
    back = to_torch(ours)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    for name, p in ref.named_parameters():
        assert torch.equal(p, dict(back.named_parameters())[name])
        # every gradient, in torch's own layout and names
        assert torch.allclose(getattr(ours, name).grad, p.grad, atol=1e-10, rtol=0), name


@pytest.mark.parametrize("cell", ["gru_cho", "article_lstm"])
def test_gradcheck(cell):
    model = Recurrent(ROOT / "specs" / f"{cell}.cell", 2, 3, num_layers=2, bidirectional=True,
                      dtype=torch.float64)
    x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    # the whole layer (2 layers, both directions, variable lengths) with respect to its input
    assert torch.autograd.gradcheck(lambda x: model(x, lengths=[4, 2])[0], (x,))
    # the autograd.Function with respect to input, initial states and every parameter
    from cellgen.torch import cell_function
    ps = [p.detach().clone().requires_grad_() for p in model.layer_params(0, 0)[0]]
    s0 = tuple(torch.randn(2, 3, dtype=torch.float64, requires_grad=True) for _ in model.cell.STATES)
    fn = lambda x, *a: torch.cat([t.reshape(-1) for t in (lambda r: (r[0],) + r[1])(
        cell_function(model.cell, x, a[:len(s0)], a[len(s0):]))])
    assert torch.autograd.gradcheck(fn, (x, *s0, *ps))


def test_spec_text_and_parameter_names():
    text = "input x\nstate h\nh' = tanh(W @ h + U @ x + b)\n"
    model = Recurrent(text, 3, 4, num_layers=2, bidirectional=True)
    names = {n for n, _ in model.named_parameters()}
    assert {"W_l0", "U_l0_reverse", "b_l1", "U_l1"} <= names
    assert model.U_l1.shape == (4, 8) and model.U_l0.shape == (4, 3)
    out, h = model(torch.randn(5, 2, 3))
    assert out.shape == (5, 2, 8) and h.shape == (4, 2, 4) and out.dtype == torch.float32
    model.flatten_parameters()
    assert "cell, 3, 4, num_layers=2, bidirectional=True" in repr(model)


def test_dropout_between_layers_only_in_training():
    model = Recurrent(ROOT / "specs" / "rnn.cell", 3, 4, num_layers=2, dropout=0.5)
    x = torch.randn(5, 2, 3)
    model.eval()
    a, _ = model(x)
    b, _ = model(x)
    assert torch.equal(a, b)
    model.train()
    torch.manual_seed(1)
    c, _ = model(x)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("change", ["input", "weight"])
def test_a_tensor_changed_in_place_before_backward_is_refused(change):
    # issue 17: x.mul_(0) between forward and backward gave a U gradient off by 5, silently
    torch.manual_seed(0)
    r = from_torch(torch.nn.LSTM(3, 4).double())
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=change == "weight")
    o, _ = r(x)
    with torch.no_grad():
        (x if change == "input" else r.weight_ih_l0).mul_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        o.sum().backward()


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_layers=0), "num_layers must be greater than zero"),
    (dict(hidden_size=0), "hidden_size must be greater than zero"),
    (dict(dropout=1.5), r"dropout should be a number in range \[0, 1\]"),
    (dict(dtype=torch.int32), "float32, float64, float16 or bfloat16"),
])
def test_bad_construction_is_refused_as_nn_lstm_refuses_it(kwargs, message):
    # issue 17: these were accepted (and float16 silently built float32)
    args = dict(cell=ROOT / "specs" / "lstm.cell", input_size=3, hidden_size=4)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        Recurrent(**args)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_wrong_state_shapes_get_nn_lstm_s_message(kind):
    # issue 17: a [2, B, H] state for a 1-layer layer was accepted, its extra rows ignored
    ref = getattr(torch.nn, kind)(3, 4)
    layer = from_torch(ref)
    x = torch.randn(5, 2, 3)
    n = 2 if kind == "LSTM" else 1
    for bad in ((2, 2, 4), (1, 3, 4), (1, 2, 5)):
        state = tuple(torch.zeros(bad) for _ in range(n))
        with pytest.raises(RuntimeError) as theirs:
            ref(x, state if n > 1 else state[0])
        with pytest.raises(RuntimeError) as ours:
            layer(x, state if n > 1 else state[0])
        assert str(ours.value) == str(theirs.value)


def test_from_torch_takes_subclasses_and_refuses_other_layers_clearly():
    class MyLSTM(torch.nn.LSTM):
        pass
    ref = MyLSTM(3, 4)
    x = torch.randn(5, 2, 3)
    assert torch.allclose(from_torch(ref)(x)[0], ref(x)[0], atol=1e-5)
    with pytest.raises(TypeError, match="nn.LSTM, nn.GRU or nn.RNN, not Linear"):
        from_torch(torch.nn.Linear(3, 4))


LAYERS = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {"bias": False}),
          ("GRU", {"bias": False, "num_layers": 2, "bidirectional": True})]


@pytest.mark.parametrize("kind,kwargs", LAYERS)
def test_torch_layout_state_dicts_and_initialisation(kind, kwargs):
    # issue 17: from_torch merged bias_ih and bias_hh (9,472 parameters against 9,728), and
    # bias=False came back with trainable biases
    torch.manual_seed(3)
    ref = getattr(torch.nn, kind)(5, 6, **kwargs)
    torch.manual_seed(3)
    ours = getattr(cellgen.torch, kind)(5, 6, **kwargs)  # torch's RNG decides the weights, as for nn.LSTM
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), ref.state_dict().values()))
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in ref.parameters())
    other = getattr(torch.nn, kind)(5, 6, **kwargs)
    ours.load_state_dict(other.state_dict())  # both ways
    ref.load_state_dict(ours.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ref.state_dict().values(), other.state_dict().values()))
    back = to_torch(from_torch(ref))
    assert back.bias == ref.bias and list(back.state_dict()) == list(ref.state_dict())


@pytest.mark.parametrize("kind,kwargs", LAYERS)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_trains_step_for_step_with_the_torch_layer(kind, kwargs, optimizer):
    # issue 17: 5 SGD steps in float64 drifted by 3.5e-3 with the merged biases
    torch.manual_seed(4)
    ref = getattr(torch.nn, kind)(3, 4, **kwargs).double()
    ours = from_torch(ref)
    make = lambda m: getattr(torch.optim, optimizer)(m.parameters(), lr=0.05)
    opts = make(ref), make(ours)
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    target = torch.randn(6, 2, 4 * (2 if kwargs.get("bidirectional") else 1), dtype=torch.float64)
    for _ in range(20):
        for m, opt in zip((ref, ours), opts):
            opt.zero_grad()
            ((m(x)[0] - target) ** 2).mean().backward()
            opt.step()
    for (name, a), b in zip(ref.named_parameters(), ours.parameters()):
        assert torch.allclose(a, b, atol=1e-10, rtol=0), name
    assert torch.allclose(ref(x)[0], ours(x)[0], atol=1e-10, rtol=0)


@pytest.mark.parametrize("make", [
    lambda: from_torch(torch.nn.LSTM(3, 4, 2, bidirectional=True)),
    lambda: Recurrent("gru_cho", 3, 4),
    lambda: Recurrent(ROOT / "specs" / "lstm_cifg.cell", 3, 4),
    lambda: Recurrent("input x\nstate h\nh' = tanh(W @ h + U @ x + b)\n", 3, 4),
    lambda: Recurrent("lstm_proj", 3, 4, proj=2),
    lambda: from_torch(torch.nn.LSTM(3, 4, proj_size=2, bidirectional=True))])
def test_layers_pickle_deepcopy_and_save(make, tmp_path):
    # issue 17: all of these failed with "cannot pickle 'module' object"
    import copy
    import pickle
    layer = make()
    x = torch.randn(5, 2, 3)
    out = layer(x)[0]
    torch.save(layer, tmp_path / "layer.pt")
    for other in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer)),
                  torch.load(tmp_path / "layer.pt", weights_only=False)):
        assert other.cell.NAME == layer.cell.NAME and torch.equal(other(x)[0], out)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_and_hx_keyword_as_nn_lstm(batch_first):
    # issue 17: no hx= keyword and no unbatched [T, I] input
    ref = torch.nn.LSTM(3, 4, 2, batch_first=batch_first).double()
    ours = from_torch(ref)
    x = torch.randn(5, 3, dtype=torch.float64)
    hx = (torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64))
    (o_r, (h_r, c_r)), (o, (h, c)) = ref(x, hx=hx), ours(x, hx=hx)
    assert o.shape == o_r.shape and h.shape == h_r.shape
    assert torch.allclose(o, o_r, atol=1e-12) and torch.allclose(h, h_r, atol=1e-12) and torch.allclose(c, c_r)


def test_the_layer_runs_under_autocast_as_nn_lstm():
    # issue 17: a Linear before the layer under torch.autocast("cpu") gave
    # "TypeError: Got unsupported ScalarType BFloat16"
    torch.manual_seed(5)
    lin, ref = torch.nn.Linear(3, 3), torch.nn.LSTM(3, 4)
    ours = from_torch(ref)
    x = torch.randn(6, 2, 3)
    with torch.autocast("cpu"):
        out_r, out_o = ref(lin(x))[0], ours(lin(x))[0]
    assert out_o.dtype == out_r.dtype == torch.bfloat16
    assert torch.allclose(out_o.float(), out_r.float(), atol=2e-2)
    out_o.float().sum().backward()
    assert lin.weight.grad is not None and torch.isfinite(lin.weight.grad).all()


def test_initial_weights_come_from_torch_s_rng():
    # issue 17: every Recurrent started from the same weights, and torch.manual_seed did nothing
    spec = ROOT / "specs" / "lstm_cifg.cell"
    torch.manual_seed(7)
    a = Recurrent(spec, 3, 4, bidirectional=True)
    torch.manual_seed(7)
    b = Recurrent(spec, 3, 4, bidirectional=True)
    c = Recurrent(spec, 3, 4, bidirectional=True)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.W_i_l0, c.W_i_l0) and not torch.equal(a.W_i_l0, a.W_i_l0_reverse)
    with_init = Recurrent("input x\nstate h\ninit b = 1\nh' = tanh(W @ h + U @ x + b)\n", 3, 4)
    assert torch.equal(with_init.b_l0, torch.ones(4))  # `init` lines as given
    assert a.W_i_l0.abs().max() <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))
    d = Recurrent(spec, 3, 4, seed=1)
    e = Recurrent(spec, 3, 4, seed=1)
    assert torch.equal(d.W_i_l0, e.W_i_l0)  # a seed of its own still reproduces
    d.reset_parameters()
    assert not torch.equal(d.W_i_l0, e.W_i_l0)


def test_double_backward_is_refused_clearly():
    # issue 17: gradgradcheck reported a Jacobian mismatch with all-zero analytic values
    layer = from_torch(torch.nn.GRU(2, 3).double())
    x = torch.randn(3, 1, 2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.gradgradcheck(lambda x: layer(x)[0], (x,))
    (g,) = torch.autograd.grad(layer(x)[0].sum(), x)  # the first derivative still works
    assert torch.isfinite(g).all()


@pytest.mark.parametrize("kind,kwargs", [("LSTM", {}), ("GRU", {}), ("GRU", {"bias": False})])
def test_the_function_on_torch_s_stacked_tensors_passes_gradcheck(kind, kwargs):
    # torch's layers hand the kernels their stacked weights and assemble the gradients in numpy
    from cellgen.torch import cell_function
    layer = getattr(cellgen.torch, kind)(2, 3, dtype=torch.float64, **kwargs)
    tensors, layout = layer.layer_params(0, 0)
    ps = [p.detach().clone().requires_grad_() for p in tensors]
    x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    s0 = tuple(torch.randn(2, 3, dtype=torch.float64, requires_grad=True) for _ in layer.cell.STATES)
    fn = lambda x, *a: torch.cat([t.reshape(-1) for t in (lambda r: (r[0],) + r[1])(
        cell_function(layer.cell, x, a[:len(s0)], a[len(s0):], layout=layout))])
    assert torch.autograd.gradcheck(fn, (x, *s0, *ps))


def layers_for_tracing():
    yield from_torch(torch.nn.LSTM(3, 4, 2, bidirectional=True).double())  # torch's layout of row blocks
    yield Recurrent(ROOT / "specs" / "gru_cho.cell", 3, 4, dtype=torch.float64)  # one tensor per parameter
    yield from_torch(torch.nn.LSTM(3, 4, proj_size=2).double())  # a state of a third size


TRACED = ["lstm_layout", "gru_cho", "lstm_proj"]


def grads_of(layer, x, lengths=None):
    x = x.detach().clone().requires_grad_(True)
    layer.zero_grad()
    out, _ = layer(x, lengths=lengths) if lengths is not None else layer(x)
    (out * torch.linspace(-1, 1, out.shape[-1], dtype=out.dtype)).sum().backward()
    return out.detach(), [x.grad] + [p.grad.clone() for p in layer.parameters()]


@pytest.mark.parametrize("layer", list(layers_for_tracing()), ids=TRACED)
def test_torch_compile_traces_the_layer_whole(layer):
    # the kernels are torch operators (cellgen::forward, cellgen::backward) with fake
    # implementations: fullgraph=True fails on any graph break
    torch._dynamo.reset()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    expected, expected_grads = grads_of(layer, x)
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    out, grads = grads_of(compiled, x)
    assert torch.equal(out, expected)
    for g, e in zip(grads, expected_grads):
        assert torch.allclose(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layer", list(layers_for_tracing()), ids=TRACED)
def test_torch_export_exports_the_layer(layer):
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    program = torch.export.export(layer, (x,))
    assert "cellgen.forward" in str(program.graph)
    out, _ = program.module()(x)
    assert torch.equal(out, layer(x)[0])


def test_torch_func_is_refused_with_the_way_out():
    layer = Recurrent("rnn", 3, 4, dtype=torch.float64)
    params = dict(layer.named_parameters())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="torch.func transforms.*torch.autograd.grad"):
        torch.func.grad(lambda p: torch.func.functional_call(layer, p, (x,))[0].sum())(params)


class LayerOutputs(torch.utils.data.Dataset):
    """Items computed by a cellgen layer inside a DataLoader's worker."""

    def __init__(self, layer):
        self.layer = layer

    def __len__(self):
        return 2

    def __getitem__(self, i):
        with torch.no_grad():
            return self.layer(torch.full((3, 1, 3), float(i), dtype=torch.float64))[0]


def test_a_spawn_dataloader_worker_runs_the_layer():
    # the worker gets the layer by pickle: its spec text, rebuilt through cellgen's cache
    layer = Recurrent("gru_cho", 3, 4, dtype=torch.float64)
    loader = torch.utils.data.DataLoader(LayerOutputs(layer), batch_size=None, num_workers=1,
                                         multiprocessing_context="spawn")
    for i, item in enumerate(loader):
        assert torch.equal(item, LayerOutputs(layer)[i])


@pytest.mark.parametrize("low", [torch.float16, torch.bfloat16])
def test_a_half_precision_layer_computes_in_float32_and_answers_in_its_dtype(low):
    layer = Recurrent("lstm", 3, 4, dtype=low)
    wide = Recurrent("lstm", 3, 4)
    wide.load_state_dict({k: v.float() for k, v in layer.state_dict().items()})
    x = torch.randn(5, 2, 3).to(low)
    out, (h, c) = layer(x)
    assert out.dtype == h.dtype == c.dtype == low
    expected, _ = wide(x.float())
    assert torch.equal(out, expected.to(low))  # float32 results, rounded once
    out.float().sum().backward()
    expected.sum().backward()
    for (name, p), q in zip(layer.named_parameters(), wide.parameters()):
        assert p.grad.dtype == low and torch.equal(p.grad, q.grad.to(low)), name


def test_all_weights_are_nn_lstm_s():
    ours, ref = cellgen.torch.LSTM(3, 4, 2, bidirectional=True), torch.nn.LSTM(3, 4, 2, bidirectional=True)
    assert [[p.shape for p in w] for w in ours.all_weights] == [[p.shape for p in w] for w in ref.all_weights]
    names = ("weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse")
    assert all(p is getattr(ours, n) for p, n in zip(ours.all_weights[1], names))


@pytest.mark.parametrize("layers,bidir,batch_first,lengths", [
    (1, False, False, None), (2, True, True, None), (2, True, False, [5, 2, 4])])
def test_lstm_with_proj_size_matches_torch(layers, bidir, batch_first, lengths):
    I, H, P, B, T = 4, 5, 3, 3, 5
    ref = torch.nn.LSTM(I, H, layers, batch_first=batch_first, bidirectional=bidir, proj_size=P).double()
    ours = from_torch(ref)
    assert ours.cell.NAME == "lstm_proj" and ours.proj_size == P
    D = 2 if bidir else 1
    x = torch.randn((B, T, I) if batch_first else (T, B, I), dtype=torch.float64)
    s0 = (torch.randn(layers * D, B, P, dtype=torch.float64), torch.randn(layers * D, B, H, dtype=torch.float64))
    xr, xo = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_r, fin_r = run(ref, xr, s0, lengths)
    out_o, fin_o = run(ours, xo, s0, lengths)
    assert out_o.shape == out_r.shape and out_r.shape[-1] == P * D
    assert torch.allclose(out_r, out_o, atol=1e-12, rtol=0)
    for a, b in zip(fin_r, fin_o):
        assert a.shape == b.shape and torch.allclose(a, b, atol=1e-12, rtol=0)
    g = torch.randn_like(out_r)
    ((out_r * g).sum() + sum(f.sum() for f in fin_r)).backward()
    ((out_o * g).sum() + sum(f.sum() for f in fin_o)).backward()
    assert torch.allclose(xr.grad, xo.grad, atol=1e-10, rtol=0)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    back = to_torch(ours)
    assert back.proj_size == P
    for name, p in ref.named_parameters():
        assert torch.equal(p, dict(back.named_parameters())[name])
        assert torch.allclose(getattr(ours, name).grad, p.grad, atol=1e-10, rtol=0), name


def test_lstm_with_proj_size_initialises_and_trains_as_torch():
    torch.manual_seed(3)
    ref = torch.nn.LSTM(3, 5, proj_size=2, num_layers=2)
    torch.manual_seed(3)
    ours = cellgen.torch.LSTM(3, 5, proj_size=2, num_layers=2)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), ref.state_dict().values()))
    ref, ours = ref.double(), ours.double()
    opts = [torch.optim.Adam(m.parameters(), lr=0.05) for m in (ref, ours)]
    x, target = torch.randn(6, 2, 3, dtype=torch.float64), torch.randn(6, 2, 2, dtype=torch.float64)
    for _ in range(10):
        for m, opt in zip((ref, ours), opts):
            opt.zero_grad()
            ((m(x)[0] - target) ** 2).mean().backward()
            opt.step()
    for (name, a), b in zip(ref.named_parameters(), ours.parameters()):
        assert torch.allclose(a, b, atol=1e-10, rtol=0), name


def test_proj_size_is_checked_as_nn_lstm_checks_it():
    for kwargs in (dict(proj_size=4), dict(proj_size=-1)):
        with pytest.raises(ValueError) as theirs:
            torch.nn.LSTM(3, 4, **kwargs)
        with pytest.raises(ValueError) as ours:
            cellgen.torch.LSTM(3, 4, **kwargs)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        cellgen.torch.GRU(3, 4, proj_size=2)
    assert cellgen.torch.LSTM(3, 4, proj_size=0).cell.NAME == "lstm"


def test_a_spec_s_own_sizes_come_by_name():
    layer = Recurrent("lstm_proj", 3, 6, proj=2, num_layers=2, bidirectional=True)
    assert layer.W_i_l0.shape == (6, 2) and layer.P_h_l0.shape == (2, 6) and layer.U_i_l1.shape == (6, 4)
    out, (h, c) = layer(torch.randn(5, 4, 3))
    assert out.shape == (5, 4, 4) and h.shape == (4, 4, 2) and c.shape == (4, 4, 6)
    with pytest.raises(TypeError, match=r"takes the sizes \['proj'\]"):
        Recurrent("lstm_proj", 3, 6)
    with pytest.raises(TypeError, match=r"takes the sizes \[\]"):
        Recurrent("lstm", 3, 6, proj=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(4, 4, 2\)"):
        layer(torch.randn(5, 4, 3), (torch.zeros(4, 4, 6), torch.zeros(4, 4, 6)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch deprecates TorchScript itself
@pytest.mark.parametrize("how", ["script", "trace", "onnx"])
def test_torchscript_is_refused_with_the_way_out(how, tmp_path):
    layer = cellgen.torch.LSTM(3, 4)
    x = torch.randn(5, 2, 3)
    run = {"script": lambda: torch.jit.script(layer), "trace": lambda: torch.jit.trace(layer, (x,)),
           "onnx": lambda: torch.onnx.export(layer, (x,), str(tmp_path / "m.onnx"), dynamo=False)}[how]
    with pytest.raises(RuntimeError, match="cannot be compiled by TorchScript.*torch.compile"):
        run()
    assert layer(x)[0].shape == (5, 2, 4)  # and the layer still runs
