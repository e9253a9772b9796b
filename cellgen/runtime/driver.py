"""forward, backward and step of any generated cell, from the cell's tables.

A generated module's API calls these with its Cell table: the checks, the allocation of
every array the table lists, the threads, and the assembly of the results are the same
for every cell; only the jitted drivers the table names are the cell's own.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from . import buffers
from .packed import init_params as _init_params
from .packed import pack as _pack
from .rows import column_sums, transposed
from .sequence_products import GRAM_ROWS, gram_rows, product_rows
from .table import Array, Cell, Product, Rows, dim
from .threads import Threads
from .validation import check_lengths, check_masks, check_sequence, check_state, floating, unit_sizes


class Layout:
    """What the driver reads off a cell's table on every call, worked out once per cell
    (a generated module's API holds its Layout)."""

    def __init__(self, cell: Cell):
        self.cell = cell
        self.forward_names = tuple(a.name for a in cell.forward_arrays)
        self.backward_names = tuple(a.name for a in cell.backward_arrays)
        # the input-space operands the input kernels compute, [T * B, input] each
        self.input_operands = tuple(a.name for a in cell.forward_arrays if a.role == "tape" and a.shape == ("T*B", "I"))
        self.vector_grads = frozenset(a.name for a in cell.backward_arrays if a.role in ("vector_grad", "vector_rows"))
        self.dx = next(a.name for a in cell.backward_arrays if a.role == "dx")
        self.recurrent_width = sum(len(cell.groups[a.group]) for a in cell.forward_arrays if a.role == "panels")
        self.masks = dict(cell.masks)
        # each state's, mask's and the output's size, as the spec names it ("hidden", "proj")
        def size(a: Array) -> str:
            return "hidden" if a.shape[-1] == "H" else a.shape[-1]
        states = sorted((a for a in cell.forward_arrays if a.role == "state"), key=lambda a: a.index)
        self.state_sizes = tuple(size(a) for a in states)
        self.mask_sizes = {a.param: size(a) for a in cell.forward_arrays if a.role == "mask"}
        self.output_size = next(size(a) for a in cell.forward_arrays if a.role == "output")
        arrays = cell.forward_arrays + cell.backward_arrays
        self.uses_hidden = any(d == "H" or (d.endswith("H") and d[:-1].isdigit()) for a in arrays for d in a.shape) \
            or any("hidden" in shape for shape in cell.params.values())
        self._shapes: dict = {}

    def shapes(self, T: int, B: int, H: int, I: int, extra: tuple = ()) -> tuple[tuple, tuple]:
        """The shapes of the forward and backward arrays at these sizes, resolved once: a
        training loop calls with the same sizes every step, and resolving 50 shapes costs
        more than the smallest calls' kernels."""
        key = (T, B, H, I, extra)
        if key not in self._shapes:
            if len(self._shapes) > 64:
                self._shapes.clear()
            self._shapes[key] = tuple(tuple(tuple(dim(d, T, B, H, I, extra) for d in a.shape) for a in arrays)
                                      for arrays in (self.cell.forward_arrays, self.cell.backward_arrays))
        return self._shapes[key]

    def units(self, pk, state0) -> tuple[int, tuple]:
        """The hidden size and the spec's own sizes ((name, value), ...) of a call."""
        found = unit_sizes(pk.sizes, ("hidden",) * self.uses_hidden + self.cell.sizes, self.state_sizes, state0)
        return found.get("hidden", 0), tuple((s, found[s]) for s in self.cell.sizes)

    def work(self, H: int, I: int, extra: tuple = ()) -> tuple[int, int, int, int]:
        """About the multiply-adds of one of the [T * B] rows before the recurrence, after
        it, of one step of one batch row, and of one row of the input stage (for the sizes of
        blocks and chunks)."""
        key = ("work", H, I, extra)
        if key not in self._shapes:
            def columns(r: Rows) -> int:
                return (r.blocks[1] - r.blocks[0]) * H if r.blocks else dim(r.columns, 1, 1, H, I, extra)

            def rows(products) -> int:
                return sum(columns(p.a) * columns(p.b if p.transpose_a else p.out) for p in products) \
                    + 16 * self.cell.widest * H
            cell = self.cell
            self._shapes[key] = (rows(cell.input_products), rows(cell.weight_grads + cell.operand_grads),
                                 H * (H * self.recurrent_width + 16 * cell.widest), 16 * cell.widest * H)
        return self._shapes[key]

    def param_shape(self, name: str, H: int, I: int, extra: tuple = ()) -> tuple[int, ...]:
        return tuple({"hidden": H, "input": I, **dict(extra)}[d] for d in self.cell.params[name])

    def widths(self, H: int, extra: tuple) -> tuple[tuple[int, ...], dict[str, int], int]:
        """The states', masks' and output's sizes at a call's sizes."""
        of = {"hidden": H, **dict(extra)}
        return (tuple(of[s] for s in self.state_sizes), {m: of[s] for m, s in self.mask_sizes.items()},
                of[self.output_size])


_LAYOUTS: dict[int, tuple[Cell, Layout]] = {}


def layout_of(cell: Cell) -> Layout:
    """The Layout of a cell table, made once (a compiled training step rebuilds a tape per call)."""
    known = _LAYOUTS.get(id(cell))
    if known is None or known[0] is not cell:
        known = _LAYOUTS[id(cell)] = (cell, Layout(cell))
    return known[1]


def _rows(named: dict, r: Rows, sizes: tuple) -> np.ndarray:
    """The array r names as rows: [T * B, columns] (or a block of its columns)."""
    a = named[r.array]
    if not r.columns:
        return a
    T, B, H, I, extra = sizes
    if r.drop_last:
        a = a[:T]
    a = a.reshape(T * B, dim(r.columns, T, B, H, I, extra))
    return a[:, r.blocks[0] * H:r.blocks[1] * H] if r.blocks else a


def _product(p: Product, named: dict, panels: dict, sizes: tuple, r0: int, r1: int) -> None:
    # a product with weights (panels[p]) writes rows r0..r1; a weight gradient adds their share
    if p.transpose_a:
        gram_rows(_rows(named, p.a, sizes), _rows(named, p.b, sizes), named[p.out.array], r0, r1)
    else:
        product_rows(_rows(named, p.a, sizes), panels[p.b.array], _rows(named, p.out, sizes), r0, r1)


def _forward_sequence(layout: Layout, sizes: tuple, k: np.ndarray, padding, panels: dict, *args) -> None:
    """Before the recurrence, for rows r0..r1 of all steps' [T * B] rows: the input-space
    operands (zero on padding rows) and the input products."""
    *arrays, r0, r1 = args
    named, cell = dict(zip(layout.forward_names, arrays)), layout.cell
    if r1 <= r0:
        return
    for rk in cell.input_kernels:
        rk.kernel(r0, r1, sizes[3], *(named[n] for n in rk.arrays), k)
    if padding is not None and cell.input_kernels:  # f(0) may be inf (log(x)): zeroed again
        for n in layout.input_operands:
            named[n][r0:r1][padding[r0:r1]] = 0
    for p in cell.input_products:
        _product(p, named, panels, sizes, r0, r1)


def _backward_sequence(layout: Layout, sizes: tuple, k: np.ndarray, panels: dict, input_grad: bool, *args) -> None:
    """After BPTT, for rows r0..r1: their share of the weight gradients (transposed), the
    input gradient (if asked for) and the vector parameters' gradients."""
    *arrays, r0, r1 = args
    named, cell = dict(zip(layout.backward_names, arrays)), layout.cell
    if r1 <= r0:
        return
    for p in cell.weight_grads:
        _product(p, named, panels, sizes, r0, r1)
    if input_grad:  # operand gradients feed dx alone
        for p in cell.operand_grads:
            _product(p, named, panels, sizes, r0, r1)
        for rk in cell.dx_kernels:
            rk.kernel(r0, r1, sizes[3], *(named[n] for n in rk.arrays), k)
    for v in cell.vector_sums:  # one call per stream
        column_sums(_rows(named, v.stream, sizes)[r0:r1], v.blocks, named[v.out])


def _run_stage(driver, table: tuple, args: list, scalars: list, T: int, B: int, row_work: int, threads) -> None:
    """A cell's input stage (pass hoist_input_norms) over all [T * B] rows at once: its
    driver is a step's, so the [T, B, ...] arrays go to it as one step of T * B rows. Rows
    past a sequence's end are the rows past the end of that one step: they write zeros."""
    L = scalars[0]
    valid = (np.arange(T)[:, None] < L[None, :]).astype(L.dtype).reshape(T * B)
    flat = [v.reshape((1, T * B) + v.shape[2:]) if a.shape[:2] == ("T", "B") and v.shape[:2] == (T, B) else v
            for a, v in zip(table, args)]
    threads.steps(driver, flat + [valid] + scalars[1:], T * B, 1, row_work)


def _panels(layout: Layout, arrays: tuple, products, pk) -> dict:
    """The weights of the products with weights, packed as product_rows reads them."""
    by_name = {a.name: a for a in arrays}
    out = {}
    for p in products:
        if not p.transpose_a:
            w = by_name[p.b.array]
            out[p.b.array] = pk.panels(w.group, w.transpose)
    return out


def forward(layout: Layout, params, xs, state0=None, lengths=None, masks=None):
    """Run the cell over xs [T, B, input]. Returns (ys [T, B, hidden], final states, tape)."""
    cell = layout.cell
    pk = _pack(cell, params)
    p, dtype, H, I = pk.p, pk.dtype, pk.H, pk.I
    xs = floating("xs", xs)
    if xs.ndim != 3 or (I is not None and xs.shape[2] != I):
        raise ValueError(f"xs has shape {xs.shape}; expected [T, B, input_size] = "
                         f"[T, B, {I if I is not None else 'input_size'}]")
    if xs.dtype != dtype:
        raise TypeError(f"xs has dtype {xs.dtype}; expected {dtype} (the parameters' dtype)")
    xs = np.ascontiguousarray(xs)
    T, B, I = xs.shape
    H, extra = layout.units(pk, state0)
    state_widths, mask_widths, _ = layout.widths(H, extra)
    state0 = check_state("state0", state0, cell.states, B, state_widths, dtype, layout.state_sizes)
    masks = check_masks(masks, layout.masks, T, B, mask_widths, dtype, layout.mask_sizes)
    tape, xs = _new_tape(cell, pk, params, xs, H, lengths, extra)
    L, padding = tape["lengths"], tape["padding"]
    empty, _ = buffers.allocators(T * B * max(H, I, 1) * cell.widest * dtype.itemsize)
    args, states, ys = [], [None] * len(cell.states), None
    for a, shape in zip(cell.forward_arrays, layout.shapes(T, B, H, I, extra)[0]):
        role = a.role
        if role == "tape":
            v = tape[a.name] = empty(shape, dtype)
        elif role in _PARAMETER_ROLES:
            v = _parameter(a, pk, p)
        elif role == "state":
            v = tape[a.name] = states[a.index] = empty(shape, dtype)
            s0 = None if state0 is None else state0[a.index]
            v[0] = 0 if s0 is None else s0
        elif role == "input":
            v = tape[a.name] = xs.reshape(T * B, I)
        elif role == "mask":  # the caller's array: on the tape by reference
            v = tape[a.name] = masks[a.param]
        elif role == "scratch":
            v = np.empty(shape, dtype)
        elif role == "work":  # the input stage's, [T, B, ...]: from the pool, as the tape
            v = empty(shape, dtype)
        else:  # output
            v = ys = empty(shape, dtype)
        args.append(v)
    k = np.array(cell.constants, dtype)
    threads = Threads()
    panels = _panels(layout, cell.forward_arrays, cell.input_products, pk)
    threads.rows(partial(_forward_sequence, layout, (T, B, H, I, extra), k, padding, panels), args, T * B,
                 layout.work(H, I, extra)[0], granule=GRAM_ROWS)
    if cell.drivers.forward_stage is not None:
        _run_stage(cell.drivers.forward_stage, cell.forward_arrays, args, [L, k], T, B, layout.work(H, I, extra)[3],
                   threads)
    threads.steps(cell.drivers.forward_rows, args + [L, k], B, T, layout.work(H, I, extra)[2])
    if tape["masked"]:
        ys[np.arange(T)[:, None] >= L[None, :]] = 0
    tape["states"] = tuple(states)  # every state at every step, [T + 1, B, hidden]: for inspection
    final = tuple(s[T].copy() for s in states)
    return ys, final, tape


def _without_padding(xs: np.ndarray, lengths, L: np.ndarray):
    """xs with its padding rows zeroed (a copy, if it has any), and the [T * B] mask of them.

    Rows past a sequence's end never reach a result, whatever they hold: the whole-sequence
    products run over every row, and 0 * NaN is NaN. Their inputs are zeroed, and so are the
    input-space operands made from them and their input gradients."""
    T, B, I = xs.shape
    if lengths is None or not T * B or L.min() >= T:
        return xs, None
    padding = (np.arange(T)[:, None] >= L[None, :]).reshape(T * B)
    xs = xs.copy()
    xs.reshape(T * B, I)[padding] = 0
    return xs, padding


def _new_tape(cell: Cell, pk, params, xs: np.ndarray, H: int, lengths, extra: tuple = ()) -> tuple[dict, np.ndarray]:
    """A forward's tape before its arrays (what backward needs to know of the call), and xs
    without its padding."""
    T, B, I = xs.shape
    L = check_lengths(lengths, T, B)
    xs, padding = _without_padding(xs, lengths, L)
    return {"cell": cell.name, "T": T, "B": B, "H": H, "I": I, "sizes": extra, "dtype": pk.dtype, "params": params,
            "packed": pk, "lengths": L, "masked": lengths is not None, "padding": padding}, xs


def tape_arrays(cell: Cell, tape: dict) -> tuple[np.ndarray, ...]:
    """The arrays of a forward's tape that backward reads, besides the input and parameters
    (for a tape that crosses a boundary, e.g. a torch operator's outputs)."""
    return tuple(tape[a.name] for a in cell.backward_arrays if a.role == "tape")


def tape_shapes(cell: Cell, T, B, H: int, I: int, extra: tuple = ()) -> list[tuple]:
    """The shapes of tape_arrays(); T and B may be symbolic (torch's fake tensors)."""
    return [tuple(dim(d, T, B, H, I, extra) for d in a.shape) for a in cell.backward_arrays if a.role == "tape"]


def rebuild_tape(cell: Cell, params, xs, arrays: tuple, H: int, lengths=None, masks=None, extra: tuple = ()) -> dict:
    """The tape of forward(params, xs, ..., lengths, masks) from its tape_arrays()."""
    xs = np.ascontiguousarray(floating("xs", xs))
    T, B, I = xs.shape
    pk = _pack(cell, params)
    layout = layout_of(cell)
    masks = check_masks(masks, dict(cell.masks), T, B, layout.widths(H, extra)[1], pk.dtype, layout.mask_sizes)
    tape, xs = _new_tape(cell, pk, params, xs, H, lengths, extra)
    names = [a.name for a in cell.backward_arrays if a.role == "tape"]
    if len(arrays) != len(names):
        raise ValueError(f"expected {len(names)} tape arrays ({', '.join(names)}), got {len(arrays)}")
    tape.update(zip(names, arrays))
    for a in cell.backward_arrays:
        if a.role == "input":
            tape[a.name] = xs.reshape(T * B, I)
        elif a.role == "mask":
            tape[a.name] = masks[a.param]
    return tape


_PARAMETER_ROLES = frozenset(("weights", "panels", "vector"))
def _parameter(a: Array, pk, p: dict) -> np.ndarray:
    if a.role == "weights":
        return pk.stacked(a.group, a.transpose)
    if a.role == "panels":
        return pk.panels(a.group, a.transpose)
    if a.role == "vector":
        return p[a.param]
    raise ValueError(f"array {a.name!r} has the unknown role {a.role!r}: rebuild with `cellgen build`")


def backward(layout: Layout, params, tape, dys, dfinal=None, input_grad: bool = True):
    """BPTT through a forward's tape. Returns (dparams, dxs [T, B, input], dstate0); dxs is
    None when input_grad is False (its products are skipped)."""
    cell = layout.cell
    if not isinstance(tape, dict) or tape.get("cell") != cell.name:
        raise TypeError(f"tape must be the third value returned by this cell's forward() ({cell.name})")
    # the forward's checks and stacked weights: a dict costs ~70 us to check and stack again
    pk = tape["packed"] if params is tape["params"] else _pack(cell, params)
    p, dtype = pk.p, pk.dtype
    T, B, H, I, extra = tape["T"], tape["B"], tape["H"], tape["I"], tape["sizes"]
    for role, recorded in (("hidden", H), ("input", I), *extra):
        size = pk.sizes.get(role)
        if size is not None and size != recorded:
            raise ValueError(f"params have {role} size {size} but the tape was recorded with {recorded}")
    state_widths, _, out_width = layout.widths(H, extra)
    if dtype != tape["dtype"]:
        raise TypeError(f"params have dtype {dtype} but the tape was recorded with {tape['dtype']}")
    if dys is not None:
        dys = check_sequence("dys", dys, (T, B, out_width), dtype, f"[T, B, {layout.output_size}]")
    else:
        dys = np.zeros((1, B, out_width), dtype)
    dfinal = check_state("dfinal", dfinal, cell.states, B, state_widths, dtype, layout.state_sizes)
    empty, zeros = buffers.allocators(T * B * max(H, I, 1) * cell.widest * dtype.itemsize)
    args, sums = [], []
    for a, shape in zip(cell.backward_arrays, layout.shapes(T, B, H, I, extra)[1]):
        role = a.role
        if role == "tape" or role == "input" or role == "mask":
            v = tape[a.name]
        elif role in _PARAMETER_ROLES:
            v = _parameter(a, pk, p)
        elif role == "work":
            v = empty(shape, dtype)
        elif role == "carry_next" or role == "scratch":
            v = np.empty(shape, dtype)
        elif role == "vector_grad":
            v = np.zeros(shape, np.float64)
            sums.append(len(args))
        elif role == "vector_rows":
            v = np.zeros(shape, np.float64)
        elif role == "weight_grad":  # each block of rows adds its share
            v = zeros(shape, dtype)
            sums.append(len(args))
        elif role == "carry":
            d = None if dfinal is None else dfinal[a.index]
            v = np.zeros(shape, dtype) if d is None else d.copy()
        elif role == "dy":
            v = dys
        elif not input_grad:  # dx, which nothing computes: no rows
            v = np.empty((0,) + tuple(shape[1:]), dtype)
        else:  # dx
            v = (zeros if a.zero else empty)(shape, dtype)
        args.append(v)
    named = dict(zip(layout.backward_names, args))
    k = np.array(cell.constants, dtype)
    threads = Threads()
    threads.steps(cell.drivers.backward_rows, args + [tape["lengths"], dys.shape[0] == T and T > 0, k], B, T,
                  layout.work(H, I, extra)[2], reverse=True)
    if cell.drivers.backward_stage is not None:
        _run_stage(cell.drivers.backward_stage, cell.backward_arrays, args, [tape["lengths"], True, k], T, B,
                   layout.work(H, I, extra)[3], threads)
    dstate0 = [None] * len(cell.states)
    for a, v in zip(cell.backward_arrays, args):
        if a.role == "carry":  # the state gradients at t = 0, left there by the last chunk
            dstate0[a.index] = v
        elif a.role == "vector_rows":
            named[a.name] = v.sum(axis=0, keepdims=True)
    panels = _panels(layout, cell.backward_arrays, cell.operand_grads, pk) if input_grad else {}
    threads.rows(partial(_backward_sequence, layout, (T, B, H, I, extra), k, panels, input_grad), args, T * B,
                 layout.work(H, I, extra)[1], sums, GRAM_ROWS)
    for a in cell.backward_arrays:
        if a.role == "weight_grad":  # computed transposed: operand^T @ adjoints
            named[a.name] = transposed(named[a.name], empty)
    dparams = {}
    for name, parts in cell.param_grads.items():
        if not parts:  # a gradient that is zero
            dparams[name] = np.zeros(layout.param_shape(name, H, I, extra), dtype)
            continue
        if parts[0][0] in layout.vector_grads:
            dparams[name] = named[parts[0][0]][parts[0][1]].astype(dtype)
            continue
        grad, rows = None, layout.param_shape(name, H, I, extra)[0]
        for array, block in parts:
            part = named[array][block * rows:(block + 1) * rows]
            grad = part if grad is None else grad + part
        dparams[name] = grad
    if not input_grad:
        return dparams, None, tuple(dstate0)
    dx = named[layout.dx]
    if tape["padding"] is not None:  # an input-space operand's derivative may be inf at 0
        dx[tape["padding"]] = 0
    return dparams, dx.reshape(T, B, I), tuple(dstate0)


def step(layout: Layout, params, x, state=None, masks=None):
    """One step for inference, no tape: x [B, input] -> (y [B, hidden], new state); masks
    (if the cell reads any) [B, hidden] each, per step or per sequence."""
    x = floating("x", x)
    if x.ndim != 2:
        raise ValueError(f"x has shape {x.shape}; expected [B, input_size]")
    if masks is not None and isinstance(masks, dict):  # a step's mask is one row of a sequence's
        masks = {k: np.asarray(m)[None] if layout.masks.get(k) == "step" else m for k, m in masks.items()}
    ys, final, _ = forward(layout, params, x[None], state, masks=masks)
    return ys[0], final


_run_forward, _run_backward, _run_step = forward, backward, step


def api(cell: Cell, module: str):
    """The contract's functions of a generated module, bound to its table:
    (init_params, pack, forward, backward, step), named as if defined in `module`."""
    layout = layout_of(cell)

    def init_params(input_size, hidden_size, seed=0, dtype=np.float32, **sizes):
        """Parameters as torch.nn.LSTM starts them, U(-1/sqrt(hidden), 1/sqrt(hidden));
        a spec's `init` lines as given. The sizes the spec names come by name (proj=...)."""
        return _init_params(cell, input_size, hidden_size, seed, dtype, **sizes)

    def pack(params):
        """Check and lay out params for repeated calls (a Packed); a Packed passes through."""
        return _pack(cell, params)

    def forward(params, xs, state0=None, lengths=None, masks=None):
        """Run the cell over xs [T, B, input]. Returns (ys [T, B, hidden], final states, tape).

        lengths [B] (optional): sequence b stops after lengths[b] steps; its state is frozen
        from there on (final holds it) and its outputs are zero, as with a PackedSequence.
        masks (a cell that declares `mask` lines): {name: [T, B, hidden]} for a mask per step,
        {name: [B, hidden]} for one per sequence; no gradient flows into them.
        """
        return _run_forward(layout, params, xs, state0, lengths, masks)

    def backward(params, tape, dys, dfinal=None, *, input_grad=True):
        """BPTT through a forward's tape. Returns (dparams, dxs [T, B, input], dstate0).

        Given the params object the forward ran with, it differentiates at the weights that
        forward laid out (changing them in place in between is not supported: torch raises).
        input_grad=False: dxs is None, and the input gradient's products (a sixth of an
        LSTM's work) are skipped, as torch skips them for an input that needs no gradient.
        """
        return _run_backward(layout, params, tape, dys, dfinal, input_grad)

    def step(params, x, state=None, masks=None):
        """One step for inference, no tape: x [B, input] -> (y [B, hidden], new state);
        masks {name: [B, hidden]} for a cell that declares `mask` lines."""
        return _run_step(layout, params, x, state, masks)

    functions = (init_params, pack, forward, backward, step)
    for f in functions:
        f.__module__, f.__qualname__ = module, f.__name__
    return functions
