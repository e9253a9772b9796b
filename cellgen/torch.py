"""cellgen cells as PyTorch layers: `Recurrent`, a drop-in for torch.nn.LSTM / nn.GRU.

The generated kernels run forward and backward; a torch.autograd.Function connects
them to autograd, so a cellgen layer trains inside any PyTorch model (and under
DistributedDataParallel, which only sees its parameters and their gradients).
"""
from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .pipeline import catalog_path, load, load_text

__all__ = ["Recurrent", "from_torch", "to_torch", "cell_function"]


def _resolve_cell(cell) -> ModuleType:
    if isinstance(cell, ModuleType):
        return cell
    if isinstance(cell, (str, os.PathLike)) and "\n" not in str(cell):
        return load(cell)
    return load_text(str(cell), "cell.cell")  # a spec without a `cell` line is named "cell"


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().contiguous().numpy()


class _CellFunction(torch.autograd.Function):
    """(xs, lengths, *state0, *params) -> (ys, *final), through the generated kernels."""

    @staticmethod
    def forward(ctx, module, lengths, xs, *tensors):
        if any(t.device.type != "cpu" for t in (xs,) + tensors):
            raise TypeError("cellgen kernels run on the CPU: move the input, states and layer there (.cpu())")
        n = len(module.STATES)
        state0, params = tensors[:n], tensors[n:]
        p = {k: _numpy(v) for k, v in zip(module.PARAMS, params)}
        ys, final, tape = module.forward(p, _numpy(xs), tuple(_numpy(s) for s in state0),
                                         lengths=None if lengths is None else lengths.numpy())
        ctx.module, ctx.tape, ctx.params = module, tape, p
        # The tape and params share memory with xs and the weights: saved this way, torch's
        # version counters refuse a backward after either was changed in place, as nn.LSTM does.
        ctx.save_for_backward(xs, *params)
        return (torch.from_numpy(ys),) + tuple(torch.from_numpy(f) for f in final)

    @staticmethod
    @once_differentiable  # the kernels' backward is not itself differentiated: say so clearly
    def backward(ctx, dys, *dfinal):
        ctx.saved_tensors  # raises "modified by an inplace operation" where one was
        module = ctx.module
        dparams, dxs, dstate0 = module.backward(
            ctx.params, ctx.tape, None if dys is None else _numpy(dys),
            tuple(None if d is None else _numpy(d) for d in dfinal))
        grads = [torch.from_numpy(np.ascontiguousarray(dxs))]
        grads += [torch.from_numpy(d) for d in dstate0]
        grads += [torch.from_numpy(np.ascontiguousarray(dparams[k])) for k in module.PARAMS]
        return (None, None) + tuple(grads)


def cell_function(module: ModuleType, xs: torch.Tensor, state0, params, lengths=None):
    """Run a generated cell on tensors with autograd: returns (ys, final states)."""
    out = _CellFunction.apply(module, lengths, xs, *state0, *params)
    return out[0], tuple(out[1:])


def _reverse_index(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """Index [T, B] that reverses each sequence within its own length (padding stays put)."""
    t = torch.arange(T)[:, None]
    L = lengths[None, :]
    return torch.where(t < L, L - 1 - t, t)


class Recurrent(nn.Module):
    """A multi-layer, optionally bidirectional RNN of any cellgen cell.

    Arguments as torch.nn.LSTM: input_size, hidden_size, num_layers, bidirectional,
    batch_first, dropout (between layers, in training mode). `cell` is a spec path,
    spec text, or a generated module. Parameters are named after the spec, with torch's
    suffixes: `W_i_l0`, `W_i_l0_reverse`, ...
    """

    def __init__(self, cell, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, batch_first: bool = False, dropout: float = 0.0,
                 dtype=torch.float32, seed: int = 0):
        super().__init__()
        # nn.LSTM's checks and messages
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be greater than zero" if isinstance(value, int)
                                 else f"{name} should be of type int, got: {type(value).__name__}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"cellgen layers compute in float32 or float64, not {dtype}: build the layer in "
                            f"float32 (under torch.autocast it returns float32)")
        self.cell = _resolve_cell(cell)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional, self.batch_first, self.dropout = bidirectional, batch_first, float(dropout)
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                init = self.cell.init_params(layer_input, hidden_size, seed=seed + 2 * layer + direction,
                                             dtype=np_dtype)
                for k in self.cell.PARAMS:
                    self.register_parameter(self._name(k, layer, direction), nn.Parameter(torch.from_numpy(init[k])))

    def extra_repr(self) -> str:
        return (f"{self.cell.NAME}, {self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}, batch_first={self.batch_first}, dropout={self.dropout}")

    def flatten_parameters(self) -> None:
        """As nn.LSTM's, for code that calls it: the kernels need no flattening."""

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @staticmethod
    def _name(param: str, layer: int, direction: int) -> str:
        return f"{param}_l{layer}" + ("_reverse" if direction else "")

    def layer_params(self, layer: int, direction: int) -> list[nn.Parameter]:
        return [getattr(self, self._name(k, layer, direction)) for k in self.cell.PARAMS]

    def forward(self, input, state=None, lengths=None):
        packed = isinstance(input, PackedSequence)
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
                                 f"[num_layers * num_directions, B, hidden], one per {self.cell.STATES}")
            expected = (self.num_layers * self.num_directions, B, self.hidden_size)
            for i, s in enumerate(state):  # nn.LSTM's message
                if tuple(s.shape) != expected:
                    which = f"hidden[{i}]" if n_states > 1 else "hidden"
                    raise RuntimeError(f"Expected {which} size {expected}, got {list(s.shape)}")
        finals = [[] for _ in range(n_states)]
        x = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                s0 = tuple(state[i][k] for i in range(n_states)) if state is not None else \
                    tuple(x.new_zeros(B, self.hidden_size) for _ in range(n_states))
                xd = x
                if direction == 1:
                    rev = _reverse_index(lengths if lengths is not None else torch.full((B,), T), T)
                    xd = x.gather(0, rev[:, :, None].expand(-1, -1, x.shape[2]))
                ys, final = cell_function(self.cell, xd.contiguous(), s0, self.layer_params(layer, direction),
                                          lengths)
                if direction == 1:
                    ys = ys.gather(0, rev[:, :, None].expand(-1, -1, ys.shape[2]))
                outputs.append(ys)
                for i in range(n_states):
                    finals[i].append(final[i])
            x = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        final = tuple(torch.stack(f) for f in finals)
        final = final[0] if n_states == 1 else final
        if packed:
            x = pack_padded_sequence(x, lengths, enforce_sorted=False)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, final


_TORCH_CELLS = {nn.LSTM: ("lstm", "ifgo"), nn.GRU: ("gru", "rzn")}


def _catalog(name: str) -> Path:
    return catalog_path(name)


def from_torch(m: nn.LSTM | nn.GRU, cell=None) -> Recurrent:
    """A Recurrent with the weights of a torch.nn.LSTM or nn.GRU (catalog cells lstm/gru)."""
    kind = next((k for k in _TORCH_CELLS if isinstance(m, k)), None)  # subclasses too
    if kind is None:
        raise TypeError(f"from_torch takes a torch.nn.LSTM or nn.GRU, not {type(m).__name__}: other layers "
                        f"have no cell in cellgen's catalog with torch's layout yet")
    name, gates = _TORCH_CELLS[kind]
    if m.proj_size if isinstance(m, nn.LSTM) else False:
        raise ValueError("LSTM with proj_size is not supported")
    dtype = m.weight_ih_l0.dtype
    r = Recurrent(cell or _catalog(name), m.input_size, m.hidden_size, m.num_layers, m.bidirectional,
                  m.batch_first, m.dropout, dtype=dtype)
    H = m.hidden_size
    with torch.no_grad():
        for layer in range(m.num_layers):
            for direction in range(r.num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                w_ih, w_hh = getattr(m, "weight_ih" + sfx), getattr(m, "weight_hh" + sfx)
                b_ih = getattr(m, "bias_ih" + sfx) if m.bias else torch.zeros(len(gates) * H, dtype=dtype)
                b_hh = getattr(m, "bias_hh" + sfx) if m.bias else torch.zeros(len(gates) * H, dtype=dtype)
                for n, g in enumerate(gates):
                    rows = slice(n * H, (n + 1) * H)
                    getattr(r, f"W_{g}{sfx}").copy_(w_hh[rows])
                    getattr(r, f"U_{g}{sfx}").copy_(w_ih[rows])
                    if name == "gru" and g == "n":
                        getattr(r, f"b_n{sfx}").copy_(b_ih[rows])
                        getattr(r, f"bh_n{sfx}").copy_(b_hh[rows])
                    else:
                        getattr(r, f"b_{g}{sfx}").copy_(b_ih[rows] + b_hh[rows])
    return r


def to_torch(r: Recurrent) -> nn.LSTM | nn.GRU:
    """The torch.nn.LSTM / nn.GRU with a Recurrent's weights (its cell must be lstm or gru)."""
    kinds = {"lstm": (nn.LSTM, "ifgo"), "gru": (nn.GRU, "rzn")}
    if r.cell.NAME not in kinds:
        raise ValueError(f"only the catalog's lstm and gru cells map to torch, not {r.cell.NAME!r}")
    cls, gates = kinds[r.cell.NAME]
    dtype = next(r.parameters()).dtype
    m = cls(r.input_size, r.hidden_size, r.num_layers, bias=True, batch_first=r.batch_first, dropout=r.dropout,
            bidirectional=r.bidirectional).to(dtype)
    with torch.no_grad():
        for layer in range(r.num_layers):
            for direction in range(r.num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                cat = lambda p: torch.cat([getattr(r, f"{p}_{g}{sfx}") for g in gates])
                getattr(m, "weight_hh" + sfx).copy_(cat("W"))
                getattr(m, "weight_ih" + sfx).copy_(cat("U"))
                getattr(m, "bias_ih" + sfx).copy_(cat("b"))
                b_hh = getattr(m, "bias_hh" + sfx)
                b_hh.zero_()
                if r.cell.NAME == "gru":
                    b_hh[2 * r.hidden_size:].copy_(getattr(r, f"bh_n{sfx}"))
    return m
