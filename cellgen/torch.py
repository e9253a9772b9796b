"""cellgen cells as PyTorch layers: `Recurrent`, a drop-in for torch.nn.LSTM / nn.GRU.

The generated kernels run forward and backward as the torch operators cellgen::forward and
cellgen::backward (what torch.compile and torch.export trace), and in eager mode through an
autograd.Function over the same functions, so a cellgen layer trains inside any PyTorch
model (and under DistributedDataParallel, which only sees its parameters and gradients).
"""
from __future__ import annotations

import functools
import math
import os
from types import ModuleType

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .frontend.rewrite import regularize
from .pipeline import catalog_path, load, load_text, read_spec, spec_path
from .runtime.driver import rebuild_tape, tape_arrays, tape_shapes
from .runtime.masks import bernoulli

__all__ = ["GRU", "LSTM", "RNN", "Recurrent", "cell_function", "from_torch", "to_torch"]


def _resolve_cell(cell) -> tuple[ModuleType, tuple[str, str] | None]:
    """The module of a cell given as a module, a spec path, a catalog name or spec text, and
    the spec (text, path) that rebuilds it in another process (None for a module cellgen
    cannot find the spec of)."""
    if isinstance(cell, ModuleType):
        try:
            path = catalog_path(cell.NAME)
        except ValueError:
            return cell, None
        return cell, (path.read_text(encoding="utf-8"), str(path))
    if isinstance(cell, (str, os.PathLike)) and "\n" not in str(cell):
        path = spec_path(cell)
        return load(path), (read_spec(path), str(path))
    return load_text(str(cell), "cell.cell"), (str(cell), "cell.cell")  # no `cell` line: named "cell"


_LOW = (torch.float16, torch.bfloat16)  # computed in float32, as under torch.autocast


def _numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach().cpu()
    return (t.float() if t.dtype in _LOW else t).contiguous().numpy()


def _as(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """a as a tensor in like's dtype (a float16/bfloat16 tensor's results come back in it)."""
    t = torch.from_numpy(np.ascontiguousarray(a))
    return t.to(like.dtype) if like.dtype in _LOW else t


# The kernels as torch operators (torch.library.custom_op), so that torch.compile traces a
# layer with no graph break and torch.export exports it.
# An operator takes the cell as its spec text (an exported program carries it and loads it
# through cellgen's cache), and how the cell's parameters are made of the tensors given as
# a flat list of ints: per parameter, the number of row blocks, then (source, first, last)
# of each ([-1]: one tensor per parameter, in PARAMS order; never empty, which torch's
# autograd would take for a list of tensors), and the cell's masks (MASKS order; no gradient).
# The forward returns the arrays of its tape that backward reads, as tensors.
_CELLS: dict[str, ModuleType] = {}


def _cell_of(key: str) -> ModuleType:
    module = _CELLS.get(key)
    if module is None:
        module = _CELLS[key] = load_text(key, "cell.cell")
    return module


def _layout_ints(layout) -> list[int]:
    return list(_cached(_flat_layout, layout))


def _cached(f, *args):
    # torch.compile traces through an lru_cache with a warning to the user: call what it wraps
    return f.__wrapped__(*args) if torch.compiler.is_compiling() else f(*args)


@functools.lru_cache(maxsize=256)
def _flat_layout(layout) -> tuple[int, ...]:
    if layout is None:
        return (-1,)
    out = []
    for parts in layout:
        out.append(len(parts))
        for part in parts:
            out.extend(part)
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _layout_of(ints: tuple[int, ...], n_params: int):
    if ints == (-1,):
        return None
    layout, i = [], 0
    for _ in range(n_params):
        n = ints[i]
        layout.append(tuple(tuple(ints[i + 1 + 3 * k:i + 4 + 3 * k]) for k in range(n)))
        i += 1 + 3 * n
    return tuple(layout)


def _params(module: ModuleType, params, layout, units: dict[str, int]) -> dict:
    if layout is None:
        return {k: _numpy(v) for k, v in zip(module.PARAMS, params)}
    sources = [_numpy(v) for v in params]
    return {k: _assemble(parts, sources, units[module.PARAMS[k][0]]) for k, parts in zip(module.PARAMS, layout)}


def _units(module: ModuleType, *sized) -> dict[str, int]:
    """The hidden size and the spec's own sizes of a call, read off tensors whose dims are
    known: pairs of (dims, tensors), dims as the module names them ("hidden", "proj", "H")."""
    units: dict[str, int] = {}
    for dims, tensors in sized:
        for shape, t in zip(dims, tensors):
            for d, n in zip(shape, t.shape):
                d = "hidden" if d == "H" else d
                if d == "hidden" or d in module.SIZES:
                    units.setdefault(d, n)
    return units


def _state_dims(module: ModuleType) -> list[tuple[str, ...]]:
    return [("B", s) for s in module.STATE_SIZES]


def _tape_dims(module: ModuleType) -> list[tuple[str, ...]]:
    return [a.shape for a in module._CELL.backward_arrays if a.role == "tape"]


def _on_cpu(*tensors) -> None:
    if any(t is not None and t.device.type != "cpu" for t in tensors):
        raise TypeError("cellgen kernels run on the CPU: move the input, states and layer there (.cpu())")


def _run_forward(cell: str, xs: torch.Tensor, state0: list[torch.Tensor], params: list[torch.Tensor],
                 lengths: torch.Tensor | None, layout: list[int], masks: list[torch.Tensor]
                 ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    return _forward_impl(cell, xs, state0, params, lengths, layout, masks)[:3]


def _masks(module: ModuleType, masks) -> dict | None:
    return {k: _numpy(m) for k, m in zip(module.MASKS, masks)} if module.MASKS else None


def _forward_impl(cell, xs, state0, params, lengths, layout, masks, tape_tensors=True):
    """The operator's results, and the forward's own (params, tape) for a backward in the
    same process that need not rebuild them (tape_tensors=False: no tape as tensors)."""
    _on_cpu(xs, *state0, *params, *masks)
    module = _cell_of(cell)
    layout = _layout_of(tuple(layout), len(module.PARAMS))
    p = _params(module, params, layout, _units(module, (_state_dims(module), state0)))
    ys, final, tape = module.forward(p, _numpy(xs), tuple(_numpy(s) for s in state0),
                                     lengths=None if lengths is None else lengths.numpy(),
                                     masks=_masks(module, masks))
    return (_as(ys, xs), [_as(f, s) for f, s in zip(final, state0)],
            [torch.from_numpy(a) for a in tape_arrays(module._CELL, tape)] if tape_tensors else [], (p, tape))


_forward_op = torch.library.custom_op("cellgen::forward", _run_forward, mutates_args=())


@_forward_op.register_fake
def _(cell, xs, state0, params, lengths, layout, masks):
    module = _cell_of(cell)
    T, B, I = xs.shape
    units = _units(module, (_state_dims(module), state0))
    extra = tuple((s, units[s]) for s in module.SIZES)
    tape = [xs.new_empty(shape, dtype=torch.float32 if xs.dtype in _LOW else xs.dtype)
            for shape in tape_shapes(module._CELL, T, B, units.get("hidden", 0), I, extra)]
    return xs.new_empty((T, B, units[module.OUTPUT_SIZE])), [s.new_empty(s.shape) for s in state0], tape


def _run_backward(cell: str, xs: torch.Tensor, params: list[torch.Tensor], tape: list[torch.Tensor],
                  lengths: torch.Tensor | None, layout: list[int], masks: list[torch.Tensor],
                  dys: torch.Tensor | None, dfinal: list[torch.Tensor | None]
                  ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    return _backward_impl(cell, xs, params, tape, lengths, layout, masks, dys, dfinal)


def _backward_impl(cell, xs, params, tape, lengths, layout, masks, dys, dfinal, forward=None, input_grad=True):
    """The backward operator; `forward` is _forward_impl's (params, tape) where it is at hand.
    input_grad=False: the input's gradient is None (not computed)."""
    module = _cell_of(cell)
    layout = _layout_of(tuple(layout), len(module.PARAMS))
    if forward is None:
        units = _units(module, (_tape_dims(module), tape))
        p = _params(module, params, layout, units)
        full = rebuild_tape(module._CELL, p, _numpy(xs), tuple(_numpy(a) for a in tape), units.get("hidden", 0),
                            None if lengths is None else lengths.numpy(), _masks(module, masks),
                            tuple((s, units[s]) for s in module.SIZES))
    else:
        p, full = forward
    dparams, dxs, dstate0 = module.backward(p, full, None if dys is None else _numpy(dys),
                                            tuple(None if d is None else _numpy(d) for d in dfinal),
                                            input_grad=input_grad)
    if layout is None:
        grads = [_as(dparams[k], v) for k, v in zip(module.PARAMS, params)]
    else:
        covers = _cached(_covers, layout, tuple(module.PARAMS), len(params))
        grads = [_as(_source_grad(dparams, covers[i], layout, module.PARAMS, i, tuple(v.shape)), v)
                 for i, v in enumerate(params)]
    return None if dxs is None else _as(dxs, xs), [_as(d, xs) for d in dstate0], grads


@functools.lru_cache(maxsize=256)
def _covers(layout: tuple, names: tuple[str, ...], n_sources: int) -> tuple:
    """Per tensor of a layout: (the parameters whose row blocks tile it, in row order; its
    rows) when they cover rows 0..rows once each, else None. Its gradient is then theirs
    side by side (torch's stacked weight_hh: the four gates' in a row)."""
    covers = []
    for source in range(n_sources):
        parts = sorted((first, last, name) for name, ps in zip(names, layout) for s, first, last in ps if s == source)
        tiled = bool(parts) and all(first == (parts[i - 1][1] if i else 0) for i, (first, _, _) in enumerate(parts))
        covers.append((tuple(name for _, _, name in parts), parts[-1][1]) if tiled else None)
    return tuple(covers)


def _source_grad(dparams: dict, cover, layout: tuple, names, source: int, shape: tuple) -> np.ndarray:
    """The gradient of a layout's tensor `source`: its parameters' gradients side by side
    where they tile it, else each added into its rows of zeros."""
    if cover is not None and cover[1] == shape[0]:
        parts = [dparams[k] for k in cover[0]]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
    total = np.zeros(shape, next(iter(dparams.values())).dtype)
    for k, parts in zip(names, layout):
        for s, first, last in parts:
            if s == source:
                total[first:last] += dparams[k]
    return total


_backward_op = torch.library.custom_op("cellgen::backward", _run_backward, mutates_args=())


@_backward_op.register_fake
def _(cell, xs, params, tape, lengths, layout, masks, dys, dfinal):
    module = _cell_of(cell)
    units = _units(module, (_tape_dims(module), tape))
    B = xs.shape[1]
    return (xs.new_empty(xs.shape), [xs.new_empty((B, units[s])) for s in module.STATE_SIZES],
            [p.new_empty(p.shape) for p in params])


def _setup_context(ctx, inputs, output):
    cell, xs, state0, params, lengths, layout, masks = inputs
    _, _, tape = output
    ctx.cell, ctx.layout, ctx.n_params, ctx.n_states = cell, layout, len(params), len(state0)
    ctx.n_masks, ctx.has_lengths = len(masks), lengths is not None
    # xs and the weights are saved, not copied: torch's version counters then refuse a
    # backward after either was changed in place, as nn.LSTM does.
    ctx.save_for_backward(xs, *params, *masks, *tape, *((lengths,) if lengths is not None else ()))


def _backward(ctx, dys, dfinal, dtape, run=_backward_op):
    if torch.is_grad_enabled():  # create_graph=True: a graph of this backward is asked for
        raise RuntimeError("cellgen's kernels compute the first derivative only: double backward "
                           "(create_graph=True, gradgradcheck, Hessians) is not supported")
    saved = ctx.saved_tensors
    xs, params = saved[0], list(saved[1:1 + ctx.n_params])
    masks = list(saved[1 + ctx.n_params:1 + ctx.n_params + ctx.n_masks])
    tape = list(saved[1 + ctx.n_params + ctx.n_masks:len(saved) - ctx.has_lengths])
    lengths = saved[-1] if ctx.has_lengths else None
    dxs, dstate0, dparams = run(ctx.cell, xs, params, tape, lengths, ctx.layout, masks, dys, list(dfinal))
    return None, dxs, list(dstate0), list(dparams), None, None, [None] * ctx.n_masks


_forward_op.register_autograd(_backward, setup_context=_setup_context)


class _EagerFunction(torch.autograd.Function):
    """The operators' autograd, minus their dispatch and the tape's round trip through
    tensors: in eager mode, where nothing traces the call, a training step at
    (100, 1, 64, 64) took 1.2 ms this way against 1.7 through the operators."""

    @staticmethod
    def forward(ctx, cell, lengths, layout, n_states, n_masks, xs, *tensors):
        state0, masks = list(tensors[:n_states]), list(tensors[n_states:n_states + n_masks])
        params = list(tensors[n_states + n_masks:])
        # the tape stays numpy's, on ctx: its tensors are for the operators' callers
        ys, final, tape, ctx.forward = _forward_impl(cell, xs, state0, params, lengths, layout, masks,
                                                     tape_tensors=False)
        _setup_context(ctx, (cell, xs, state0, params, lengths, layout, masks), (ys, final, tape))
        return (ys, *final)

    @staticmethod
    def backward(ctx, dys, *dfinal):
        # no tape to rebuild; and no input gradient where the input needs none (data, as
        # torch's own layers skip it: a sixth of an LSTM's products)
        run = functools.partial(_backward_impl, forward=ctx.forward, input_grad=ctx.needs_input_grad[5])
        _, dxs, dstate0, dparams, _, _, _ = _backward(ctx, dys, dfinal, None, run=run)
        return (None, None, None, None, None, dxs, *dstate0, *([None] * ctx.n_masks), *dparams)


def _run_bernoulli(seed: torch.Tensor, p: float, size: list[int], dtype: torch.dtype) -> torch.Tensor:
    out = torch.empty(size, dtype=dtype)
    bernoulli(out.numpy(), p, int(seed))
    return out


# an operator, so that torch.compile traces the masks a training forward draws
_bernoulli_op = torch.library.custom_op("cellgen::bernoulli", _run_bernoulli, mutates_args=())


@_bernoulli_op.register_fake
def _(seed, p, size, dtype):
    return torch.empty(size, dtype=dtype)


def bernoulli_mask(size: tuple[int, ...], p: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A mask of 1 (probability p) and 0, from a seed drawn from torch's RNG (so
    torch.manual_seed decides it), made by cellgen's counter-based generator: ~20 times
    faster than torch's bernoulli_ for a zoneout mask per step."""
    seed = torch.randint(0, 2 ** 62, (), dtype=torch.int64)
    if torch.compiler.is_compiling():
        return _bernoulli_op(seed, float(p), list(size), dtype)
    return _run_bernoulli(seed, float(p), list(size), dtype)


def _assemble(parts: tuple, sources: list[np.ndarray], size: int) -> np.ndarray:
    """A cell parameter: the sum of the row blocks `parts` of the sources; zeros (a vector
    of `size`) for none."""
    if not parts:
        return np.zeros(size, sources[0].dtype)
    (source, first, last), *more = parts
    out = sources[source][first:last]
    for source, first, last in more:
        out = out + sources[source][first:last]
    return out


def cell_function(module: ModuleType | str, xs: torch.Tensor, state0, params, lengths=None, layout=None,
                  masks=()):
    """Run a generated cell (a module, or the key _register gave it) on tensors with autograd:
    returns (ys, final states). `masks`: the cell's masks in MASKS order, without gradient."""
    key = module if isinstance(module, str) else _register(module, None)
    if not torch.compiler.is_compiling() and any(
            torch._C._functorch.is_functorch_wrapped_tensor(t) for t in (xs, *state0, *params)):
        # torch 2.13 runs a custom operator with lists of tensors through an autograd.Function
        # that functorch refuses, and the kernels read the tensors' memory, which functorch's
        # wrappers do not have
        raise RuntimeError("cellgen layers do not support torch.func transforms (grad, vjp, vmap, jacrev): "
                           "use torch.autograd.grad or .backward() for their gradients")
    if torch.compiler.is_compiling():  # torch.compile, torch.export: the operator they trace
        ys, final, _ = _forward_op(key, xs, list(state0), list(params), lengths, _layout_ints(layout),
                                   list(masks))
        return ys, tuple(final)
    out = _EagerFunction.apply(key, lengths, _layout_ints(layout), len(state0), len(masks), xs, *state0, *masks,
                               *params)
    return out[0], tuple(out[1:])


def _register(module: ModuleType, spec: tuple[str, str] | None) -> str:
    """The key the operators know a cell by: its spec text, or (for a module cellgen cannot
    find the spec of) its unique module name, valid in this process."""
    key = spec[0] if spec is not None else f"module {module.__name__}"
    _CELLS.setdefault(key, module)
    return key


def _reverse_index(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """Index [T, B] that reverses each sequence within its own length (padding stays put)."""
    t = torch.arange(T)[:, None]
    L = lengths[None, :]
    return torch.where(t < L, L - 1 - t, t)


def _probability(name: str, p, top: float = 1.0) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= top or (top < 1 and p == 1):
        raise ValueError(f"{name} should be a probability in [0, 1{']' if top == 1 else ')'}, got {p!r}")
    return float(p)


class Recurrent(nn.Module):
    """A multi-layer, optionally bidirectional RNN of any cellgen cell.

    Arguments as torch.nn.LSTM: input_size, hidden_size, num_layers, bidirectional,
    batch_first, dropout (between layers, in training mode), dtype. `cell` is a spec path,
    a catalog name, spec text, or a generated module. Parameters are named after the spec,
    with torch's suffixes: `W_i_l0`, `W_i_l0_reverse`, ...; their initial values come from
    torch's RNG (or from a generator of their own seeded with `seed`). A cell with sizes of
    its own (`state h[proj]`) takes them by name: `Recurrent("lstm_proj", 32, 64, proj=16)`;
    a layer's output then has the size of the cell's output (per direction).

    Regularizers inside the recurrence, each drawn from torch's RNG in training mode (see
    `draw_masks`) and replaced by its expectation in eval mode:
    - `zoneout=p`, or a dict {state: p}: at every step each unit of a state keeps its
      previous value with probability p (Krueger et al. 2017); eval: p * old + (1 - p) * new.
    - `recurrent_dropout=p`: variational dropout (Gal & Ghahramani 2016): one mask per
      sequence, scaled by 1 / (1 - p), on the operand of every recurrent product; eval: none.
    - `dropconnect=p`: one mask per forward on the recurrent weight matrices, scaled by
      1 / (1 - p) (Merity et al. 2018, AWD-LSTM's WeightDrop); eval: none.
    """

    def __init__(self, cell, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, batch_first: bool = False, dropout: float = 0.0,
                 dtype=torch.float32, seed: int | None = None, *, zoneout: float | dict = 0.0,
                 recurrent_dropout: float = 0.0, dropconnect: float = 0.0, **sizes: int):
        super().__init__()
        # nn.LSTM's checks and messages
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be greater than zero" if isinstance(value, int)
                                 else f"{name} should be of type int, got: {type(value).__name__}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dtype not in (torch.float32, torch.float64) + _LOW:
            raise TypeError(f"cellgen layers hold float32, float64, float16 or bfloat16 parameters, not {dtype}")
        self.cell, self._spec = _resolve_cell(cell)
        if self.cell.MASKS:
            raise ValueError(f"cell {self.cell.NAME} reads masks ({', '.join(self.cell.MASKS)}) that only its caller "
                             f"can give: run it with cellgen.torch.cell_function(..., masks=[...])")
        self._key = _register(self.cell, self._spec)
        if set(sizes) != set(self.cell.SIZES):
            raise TypeError(f"cell {self.cell.NAME} takes the sizes {list(self.cell.SIZES)} by name besides "
                            f"input_size and hidden_size; got {list(sizes)}")
        for name, value in sizes.items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"size {name} must be a positive int, got {value!r}")
        self.sizes = dict(sizes)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional, self.batch_first, self.dropout = bidirectional, batch_first, float(dropout)
        self.zoneout, self.recurrent_dropout, self.dropconnect = zoneout, recurrent_dropout, dropconnect
        self._regularized_cell(self._zoneout())
        self._make_parameters(dtype, seed)

    # -- regularizers ------------------------------------------------------------
    def _zoneout(self) -> dict[str, float]:
        """{state: p} for the states with zoneout (p > 0), from `zoneout` (a number or a dict)."""
        z = self.zoneout
        states = self.cell.STATES
        if isinstance(z, dict):
            unknown = [s for s in z if s not in states]
            if unknown:
                raise ValueError(f"zoneout names {unknown}, which are not states of {self.cell.NAME} "
                                 f"(states: {', '.join(states)})")
            ps = {s: _probability(f"zoneout[{s!r}]", z[s]) for s in states if s in z}
        else:
            ps = dict.fromkeys(states, _probability("zoneout", z))
        _probability("recurrent_dropout", self.recurrent_dropout, top=0.99)
        _probability("dropconnect", self.dropconnect, top=0.99)
        return {s: p for s, p in ps.items() if p > 0}

    def _regularized_cell(self, zoneout: dict[str, float]):
        """The cell with the masks of this layer's zoneout and recurrent dropout (their key
        and Regularized record), or None when the plain cell does."""
        if not zoneout and not self.recurrent_dropout:
            return None
        # built (and its module loaded) outside forward where possible: torch.compile traces
        # forward, and a compiler run inside a traced function would break the graph
        known = self.__dict__.setdefault("_regularizations", {})
        which = (tuple(zoneout), bool(self.recurrent_dropout))
        if which not in known:
            if self._spec is None:
                raise TypeError(f"this layer's cell {self.cell.NAME!r} was given as a module whose spec cellgen "
                                f"cannot find: build the layer from the spec's path or text to use zoneout or "
                                f"recurrent_dropout")
            reg = regularize(self._spec[0], self._spec[1], *which)
            if not reg.zoneout and not reg.dropout:  # recurrent dropout on a cell without recurrent products
                known[which] = None
            else:
                # masks change no parameter: the layer's tensors and layout serve both cells
                assert tuple(_cell_of(reg.text).PARAMS) == tuple(self.cell.PARAMS)
                known[which] = (reg.text, reg)
        return known[which]

    def _recurrent_matrices(self) -> tuple[int, ...]:
        """Which tensors of layer_params() are recurrent weight matrices (DropConnect's): the
        matrices whose operand is not input-sized."""
        return tuple(i for i, dims in enumerate(self.cell.PARAMS.values()) if len(dims) == 2 and dims[1] != "input")

    def _width(self, size: str) -> int:
        """The units of a size of the cell ("hidden", or one the spec names)."""
        return self.hidden_size if size == "hidden" else self.sizes[size]

    @property
    def output_width(self) -> int:
        """Each direction's output units: the hidden size, or the size of the cell's output."""
        return self._width(self.cell.OUTPUT_SIZE)

    def draw_masks(self, T: int, B: int) -> dict:
        """The masks one training forward over T steps and B sequences draws, from torch's RNG
        (so torch.manual_seed reproduces them), in this order, per layer and direction:
        DropConnect's per recurrent matrix ({index in layer_params(): mask of its shape}),
        zoneout's per state ({state: [T, B, hidden]}: 1 keeps the old value), recurrent
        dropout's per operand ({mask name: [B, hidden]}, scaled). Keys: (layer, direction)."""
        zoneout = self._zoneout()
        return self._draw_masks(T, B, zoneout, self._regularized_cell(zoneout))

    def _draw_masks(self, T: int, B: int, zoneout: dict[str, float], reg) -> dict:
        dtype = self._mask_dtype()
        out = {}
        for layer in range(self.num_layers):
            for direction in range(self.num_directions):
                masks = {"dropconnect": {}, "zoneout": {}, "recurrent_dropout": {}}
                if self.dropconnect:
                    keep = 1 - self.dropconnect
                    params, _ = self.layer_params(layer, direction)
                    for i in self._recurrent_matrices():
                        masks["dropconnect"][i] = torch.empty(params[i].shape, dtype=params[i].dtype
                                                              ).bernoulli_(keep).div_(keep)
                for s, p in zoneout.items():
                    masks["zoneout"][s] = bernoulli_mask((T, B, self._state_width(s)), p, dtype)
                for name in reg[1].dropout if reg and self.recurrent_dropout else ():
                    keep = 1 - self.recurrent_dropout
                    width = self._width(_cell_of(reg[0]).MASK_SIZES[name])
                    masks["recurrent_dropout"][name] = torch.empty((B, width), dtype=dtype
                                                                   ).bernoulli_(keep).div_(keep)
                out[layer, direction] = masks
        return out

    def _expected_masks(self, T: int, B: int, zoneout: dict[str, float], reg) -> dict:
        """draw_masks's expectation (eval mode): zoneout's p, no dropout."""
        dtype, sizes = self._mask_dtype(), _cell_of(reg[0]).MASK_SIZES
        masks = {"dropconnect": {},
                 "zoneout": {s: torch.full((T, B, self._state_width(s)), p, dtype=dtype) for s, p in zoneout.items()},
                 "recurrent_dropout": {name: torch.ones((B, self._width(sizes[name])), dtype=dtype)
                                       for name in reg[1].dropout}}
        return {(layer, direction): masks for layer in range(self.num_layers)
                for direction in range(self.num_directions)}

    def _state_width(self, state: str) -> int:
        return self._width(self.cell.STATE_SIZES[self.cell.STATES.index(state)])

    def _mask_dtype(self) -> torch.dtype:
        dtype = next(self.parameters()).dtype
        return torch.float32 if dtype in _LOW else dtype  # what the kernels compute in

    def _make_parameters(self, dtype, seed: int | None) -> None:
        for layer in range(self.num_layers):
            sizes = {"hidden": self.hidden_size, **self.sizes,
                     "input": self.input_size if layer == 0 else self.output_width * self.num_directions}
            for direction in range(self.num_directions):
                for k, dims in self.cell.PARAMS.items():
                    shape = tuple(sizes[d] for d in dims)
                    self.register_parameter(self._name(k, layer, direction),
                                            nn.Parameter(torch.empty(shape, dtype=dtype)))
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int | None = None) -> None:
        """Every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)) as nn.LSTM draws them, in
        order, from torch's RNG (torch.manual_seed decides it; `seed` uses a generator of its
        own instead); a spec's `init` lines as given."""
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for layer in range(self.num_layers):
                for direction in range(self.num_directions):
                    for k in self.cell.PARAMS:
                        p = getattr(self, self._name(k, layer, direction))
                        if k in self.cell.INIT:
                            p.fill_(self.cell.INIT[k])
                        else:
                            p.uniform_(-bound, bound, generator=generator)

    def __getstate__(self) -> dict:
        # The layer keeps its cell's spec text, not the module: pickle, deepcopy, torch.save and
        # a spawn DataLoader rebuild the module from it (through cellgen.load's cache).
        if self._spec is None:
            raise TypeError(f"this layer's cell {self.cell.NAME!r} was given as a module whose spec cellgen "
                            f"cannot find: build the layer from the spec's path or text to pickle it")
        state = dict(self.__dict__)
        state["cell"] = None
        state.pop("_regularizations", None)  # rebuilt from the spec, as the cell is
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("zoneout", 0.0)  # layers pickled before the regularizers
        state.setdefault("recurrent_dropout", 0.0)
        state.setdefault("dropconnect", 0.0)
        state.setdefault("sizes", {})
        self.__dict__.update(state)
        self.cell = load_text(*self._spec)
        self._key = _register(self.cell, self._spec)
        self._regularized_cell(self._zoneout())

    def extra_repr(self) -> str:
        return (f"{self.cell.NAME}, {self.input_size}, {self.hidden_size}, "
                + "".join(f"{k}={v}, " for k, v in self.sizes.items()) + f"num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}, batch_first={self.batch_first}, dropout={self.dropout}"
                + self._regularizers_repr())

    def _regularizers_repr(self) -> str:
        return "".join(f", {k}={getattr(self, k)}" for k in ("zoneout", "recurrent_dropout", "dropconnect")
                       if getattr(self, k))

    def flatten_parameters(self) -> None:
        """As nn.LSTM's, for code that calls it: the kernels need no flattening."""

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """As nn.LSTM's: the parameters of each layer and direction, in order."""
        return [self.layer_params(layer, direction)[0] for layer in range(self.num_layers)
                for direction in range(self.num_directions)]

    def __prepare_scriptable__(self):
        # torch.jit.script calls this first: refuse with the way out, not a parser error
        raise RuntimeError("cellgen layers cannot be compiled by TorchScript (torch.jit.script, torch.jit.trace, "
                           "ONNX's TorchScript exporter): their kernels are Numba code; use torch.compile, or "
                           "torch.export.export, which trace them as the operators cellgen::forward/backward")

    def _slow_forward(self, *args, **kwargs):
        # what nn.Module calls instead of forward while TorchScript traces (torch.jit.trace,
        # torch.onnx.export(dynamo=False))
        self.__prepare_scriptable__()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @staticmethod
    def _name(param: str, layer: int, direction: int) -> str:
        return f"{param}_l{layer}" + ("_reverse" if direction else "")

    def layer_params(self, layer: int, direction: int) -> tuple[list[nn.Parameter], tuple | None]:
        """The tensors a layer and direction hands the kernels, and how the cell's parameters
        are made of them (None: one each, in PARAMS order)."""
        return [getattr(self, self._name(k, layer, direction)) for k in self.cell.PARAMS], None

    def forward(self, input, hx=None, lengths=None, *, state=None):
        """nn.LSTM's forward: (output, h_n) or (output, (h_n, c_n)); `hx` (or `state`) the
        initial states; input [T, B, I] ([B, T, I] batch_first), unbatched [T, I] or a
        PackedSequence; `lengths` [B] for padded input."""
        state = hx if state is None else state
        packed = isinstance(input, PackedSequence)
        if not packed and input.dtype in _LOW and next(self.parameters()).dtype != input.dtype:
            # float16 / bfloat16 input (torch.autocast): computed in the layer's dtype, returned
            # in the input's, as nn.LSTM returns it under autocast
            low, computes = input.dtype, next(self.parameters()).dtype
            if state is not None:
                state = (state,) if isinstance(state, torch.Tensor) else tuple(state)
                state = tuple(s.to(computes) for s in state)
            out, final = self.forward(input.to(computes), state, lengths)
            final = tuple(f.to(low) for f in final) if isinstance(final, tuple) else final.to(low)
            return out.to(low), final
        if not packed and input.dim() == 2:  # unbatched, as nn.LSTM: a batch of one
            if state is not None:
                state = (state,) if isinstance(state, torch.Tensor) else tuple(state)
                if any(s.dim() != 2 for s in state):
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                       f"{state[0].dim()}-D tensor")
                state = tuple(s.unsqueeze(1) for s in state)
            out, final = self.forward(input.unsqueeze(0 if self.batch_first else 1), state,
                                      lengths)
            final = tuple(f.squeeze(1) for f in final) if isinstance(final, tuple) else final.squeeze(1)
            return out.squeeze(0 if self.batch_first else 1), final
        if packed:  # pad_packed_sequence restores the caller's batch order
            input, lengths = pad_packed_sequence(input, batch_first=False)
        elif self.batch_first:
            input = input.transpose(0, 1)
        T, B = input.shape[0], input.shape[1]
        n_states = len(self.cell.STATES)
        if lengths is not None:
            lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
        if state is not None:
            state = (state,) if isinstance(state, torch.Tensor) else tuple(state)
            if len(state) != n_states:
                raise ValueError(f"state must hold {n_states} tensors of shape "
                                 f"[num_layers * num_directions, B, size], one per {self.cell.STATES}")
            for i, s in enumerate(state):  # nn.LSTM's message
                expected = (self.num_layers * self.num_directions, B, self._state_width(self.cell.STATES[i]))
                if tuple(s.shape) != expected:
                    which = f"hidden[{i}]" if n_states > 1 else "hidden"
                    raise RuntimeError(f"Expected {which} size {expected}, got {list(s.shape)}")
        zoneout = self._zoneout()
        reg = self._regularized_cell(zoneout)
        key, all_masks = self._key, None
        if self.training and (reg or self.dropconnect):
            all_masks = self._draw_masks(T, B, zoneout, reg)
            key = reg[0] if reg else key
        elif reg and zoneout:  # eval: zoneout's expectation; dropout has none
            all_masks, key = self._expected_masks(T, B, zoneout, reg), reg[0]
        finals = [[] for _ in range(n_states)]
        x = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                s0 = tuple(state[i][k] for i in range(n_states)) if state is not None else \
                    tuple(x.new_zeros(B, self._state_width(s)) for s in self.cell.STATES)
                xd = x
                if direction == 1:
                    rev = _reverse_index(lengths if lengths is not None else torch.full((B,), T), T)
                    xd = x.gather(0, rev[:, :, None].expand(-1, -1, x.shape[2]))
                params, layout = self.layer_params(layer, direction)
                masks = ()
                if all_masks is not None:
                    drawn = all_masks[layer, direction]
                    params = [p * drawn["dropconnect"][i] if i in drawn["dropconnect"] else p
                              for i, p in enumerate(params)]
                    if key != self._key:  # the masks in the regularized cell's MASKS order
                        named = {reg[1].zoneout[s]: m for s, m in drawn["zoneout"].items()}
                        named.update(drawn["recurrent_dropout"])
                        masks = [named[k] for k in _cell_of(key).MASKS]
                ys, final = cell_function(key, xd.contiguous(), s0, params, lengths, layout, masks)
                if direction == 1:
                    ys = ys.gather(0, rev[:, :, None].expand(-1, -1, ys.shape[2]))
                outputs.append(ys)
                for i in range(n_states):
                    finals[i].append(final[i])
            x = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        final = tuple(f[0].unsqueeze(0) if len(f) == 1 else torch.stack(f) for f in finals)
        final = final[0] if n_states == 1 else final
        if packed:
            x = pack_padded_sequence(x, lengths, enforce_sorted=False)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, final


# torch's layers as catalog cells: (cell, its gates in the order of torch's stacked rows)
_TORCH_CELLS = {"LSTM": ("lstm", "ifgo"), "LSTM_PROJ": ("lstm_proj", "ifgo"), "GRU": ("gru", "rzn"),
                "RNN_TANH": ("rnn", ""),
                "RNN_RELU": ("cell rnn_relu\ninput x\nstate h\nh' = relu(W @ h + U @ x + b)\n", "")}


class _TorchLayout(Recurrent):
    """An nn.LSTM, nn.GRU or nn.RNN run by cellgen, with torch's parameters: the same names
    (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse), shapes, order and
    initialisation from torch's RNG, so state_dicts load both ways and training follows the
    torch layer step for step. The cell's parameters are views of them (a sum for the two
    biases of a gate, as torch adds them), so autograd hands each its own gradient."""

    mode = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None, *, zoneout: float | dict = 0.0,
                 recurrent_dropout: float = 0.0, dropconnect: float = 0.0):
        # nn.LSTM's checks and messages
        if proj_size and self.mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if device is not None and torch.device(device).type != "cpu":
            raise ValueError(f"cellgen layers run on the CPU, not {device}")
        self.bias, self.proj_size = bool(bias), proj_size
        cell, self.gates = _TORCH_CELLS["LSTM_PROJ" if proj_size else self.mode]
        super().__init__(cell if "\n" in cell else catalog_path(cell), input_size, hidden_size, num_layers,
                         bidirectional, batch_first, dropout, dtype=dtype or torch.get_default_dtype(),
                         zoneout=zoneout, recurrent_dropout=recurrent_dropout, dropconnect=dropconnect,
                         **({"proj": proj_size} if proj_size else {}))

    def _make_parameters(self, dtype, seed: int | None) -> None:
        rows, out = max(len(self.gates), 1) * self.hidden_size, self.output_width
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else out * self.num_directions
            for direction in range(self.num_directions):
                sfx = self._suffix(layer, direction)
                shapes = [("weight_ih", (rows, layer_input)), ("weight_hh", (rows, out))]
                shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))] if self.bias else []
                shapes += [("weight_hr", (self.proj_size, self.hidden_size))] if self.proj_size else []
                for name, shape in shapes:
                    self.register_parameter(name + sfx, nn.Parameter(torch.empty(shape, dtype=dtype)))
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int | None = None) -> None:
        """As nn.LSTM's: every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)), in order,
        from torch's RNG (torch.manual_seed decides it)."""
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    @staticmethod
    def _suffix(layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction else "")

    def layer_params(self, layer: int, direction: int) -> tuple[list[torch.Tensor], tuple]:
        """torch's own tensors (weight_ih, weight_hh, bias_ih, bias_hh), and the cell's
        parameters as row blocks of them: a gate's two biases add up, except GRU's n gate,
        whose bias_hh stays inside the reset: r * (W_n h + b_hn)."""
        sfx = self._suffix(layer, direction)
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        names += ["weight_hr"] if self.proj_size else []
        tensors = [getattr(self, n + sfx) for n in names]
        if self.proj_size:
            return tensors, _cached(_proj_blocks, tuple(self.cell.PARAMS), self.bias, self.hidden_size,
                                    self.proj_size)
        return tensors, _cached(_row_blocks, self.mode, self.gates, tuple(self.cell.PARAMS), self.bias,
                                self.hidden_size)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}, dropout={self.dropout}, bidirectional={self.bidirectional}"
                + (f", proj_size={self.proj_size}" if self.proj_size else "") + self._regularizers_repr())

    def _recurrent_matrices(self) -> tuple[int, ...]:
        return (1,)  # weight_hh


@functools.lru_cache(maxsize=64)
def _row_blocks(mode: str, gates: str, params: tuple[str, ...], bias: bool, H: int) -> tuple:
    """The layout of _TorchLayout.layer_params: the same for every call of a layer."""
    rows = {g: (k * H, (k + 1) * H) for k, g in enumerate(gates)} or {"": (0, H)}
    layout = []
    for name in params:
        kind, _, gate = name.partition("_")
        first, last = rows[gate]
        if kind in ("W", "U"):
            layout.append(((1 if kind == "W" else 0, first, last),))
        elif not bias:
            layout.append(())
        elif kind == "bh":
            layout.append(((3, first, last),))
        elif mode == "GRU" and gate == "n":
            layout.append(((2, first, last),))
        else:
            layout.append(((2, first, last), (3, first, last)))
    return tuple(layout)


@functools.lru_cache(maxsize=64)
def _proj_blocks(params: tuple[str, ...], bias: bool, H: int, P: int) -> tuple:
    """_row_blocks of an LSTM with projections: weight_hr (after the biases) is P_h whole."""
    rest = tuple(p for p in params if p != "P_h")
    blocks = dict(zip(rest, _row_blocks.__wrapped__("LSTM", "ifgo", rest, bias, H)))
    blocks["P_h"] = ((4 if bias else 2, 0, P),)
    return tuple(blocks[p] for p in params)


class LSTM(_TorchLayout):
    """torch.nn.LSTM's signature and parameters, run by cellgen's `lstm` cell."""
    mode = "LSTM"


class GRU(_TorchLayout):
    """torch.nn.GRU's signature and parameters, run by cellgen's `gru` cell."""
    mode = "GRU"


class RNN(_TorchLayout):
    """torch.nn.RNN's signature and parameters (nonlinearity 'tanh' or 'relu')."""

    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.mode, self.nonlinearity = f"RNN_{nonlinearity.upper()}", nonlinearity
        super().__init__(*args, **kwargs)


def _kind(m: nn.Module) -> type[_TorchLayout] | None:
    for torch_cls, ours in ((nn.LSTM, LSTM), (nn.GRU, GRU), (nn.RNN, RNN)):
        if isinstance(m, torch_cls):  # subclasses too
            return ours
    return None


def from_torch(m: nn.LSTM | nn.GRU | nn.RNN, **regularizers) -> _TorchLayout:
    """The cellgen layer of a torch.nn.LSTM, nn.GRU or nn.RNN: torch's parameters, names and
    values (a copy), its requires_grad, training mode and dtype; `regularizers` (zoneout,
    recurrent_dropout, dropconnect) as Recurrent's."""
    ours = _kind(m)
    if ours is None:
        raise TypeError(f"from_torch takes a torch.nn.LSTM, nn.GRU or nn.RNN, not {type(m).__name__}")
    kwargs = dict(num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first, dropout=m.dropout,
                  bidirectional=m.bidirectional, dtype=m.weight_ih_l0.dtype)
    if isinstance(m, nn.LSTM) and m.proj_size:
        kwargs["proj_size"] = m.proj_size
    if ours is RNN:
        kwargs["nonlinearity"] = m.nonlinearity
    r = ours(m.input_size, m.hidden_size, **kwargs, **regularizers)
    r.load_state_dict(m.state_dict())
    for name, p in m.named_parameters():
        getattr(r, name).requires_grad_(p.requires_grad)
    return r.train(m.training)


def to_torch(r: _TorchLayout) -> nn.LSTM | nn.GRU | nn.RNN:
    """The torch layer of a cellgen.torch.LSTM, GRU or RNN (from_torch's result): a copy."""
    if not isinstance(r, _TorchLayout):
        raise TypeError("to_torch takes a cellgen.torch.LSTM, GRU or RNN (from_torch's result); build layers "
                        "meant to go back to torch with those")
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(r.mode, nn.RNN)
    kwargs = dict(num_layers=r.num_layers, bias=r.bias, batch_first=r.batch_first, dropout=r.dropout,
                  bidirectional=r.bidirectional, dtype=next(r.parameters()).dtype)
    if cls is nn.RNN:
        kwargs["nonlinearity"] = r.nonlinearity
    if r.proj_size:
        kwargs["proj_size"] = r.proj_size
    m = cls(r.input_size, r.hidden_size, **kwargs)
    m.load_state_dict(r.state_dict())
    return m.train(r.training)
