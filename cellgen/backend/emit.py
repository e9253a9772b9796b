"""Plan -> module source, through the Jinja2 template in templates/.

Python decides what each line says; the template decides where it goes. Every array name
comes from the array table (middle/arrays.py); this stage only prints.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .. import __version__, runtime
from ..frontend.checker import HIDDEN
from ..middle import names
from ..middle.arrays import ArrayTable, arrays
from ..middle.plan import Gemm, Kernel, Plan, Slot
from .printer import RUNTIME_CALLS, Printer
from .show import equations

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    autoescape=False)

_UNBUILT = "0" * 16


# CPython passes more than 30 positional arguments as one tuple (CALL_FUNCTION_EX), and
# Numba cannot inline a call made that way: such a kernel stays a function of its own.
_MOST_INLINED_ARGUMENTS = 28
_KERNEL_SCALARS = 7  # _t, _td, _b0, _b1, _H before the arrays, _L and _k after them


@dataclass(frozen=True)
class KernelText:
    name: str
    purpose: str
    space: str
    arrays: tuple[str, ...]
    constants: tuple[str, ...]
    views: tuple[str, ...]
    frozen: tuple[str, ...]  # what a row past its sequence's end writes instead
    lines: tuple[str, ...]
    # a staged kernel computes _STAGE units at a time into rows on the stack, then copies them out
    staged: bool = False
    stage_rows: tuple[str, ...] = ()
    chunk_views: tuple[str, ...] = ()
    copies: tuple[str, ...] = ()

    @property
    def inline(self) -> bool:
        """Inlined into its driver (a hidden-space kernel), else cached on its own."""
        return self.space != "input" and len(self.arrays) + _KERNEL_SCALARS <= _MOST_INLINED_ARGUMENTS


_ROW_INDEX = {"t": "_t, _b", "t+1": "_t + 1, _b", "td": "_td, _b", "row": "_b", "scalar": "_t, _b"}


def _view_name(slot: Slot) -> str:
    suffix = "_next" if slot.index == "t+1" else ""
    return f"_{slot.array}{suffix}_{slot.offset}"


def _row_view(slot: Slot) -> str:
    """A 1-D view of one batch row, taken outside the inner loop so it indexes by _j alone
    (unit stride, no wrap-around checks: what LLVM needs to vectorize)."""
    if slot.index == "scalar":  # one value for the whole row
        return f"{_view_name(slot)} = {slot.array}[{_ROW_INDEX[slot.index]}]"
    begin = "" if slot.offset == 0 else ("_H" if slot.offset == 1 else f"{slot.offset} * _H")
    end = "_H" if slot.offset == 0 else f"{slot.offset + 1} * _H"
    return f"{_view_name(slot)} = {slot.array}[{_ROW_INDEX[slot.index]}, {begin}:{end}]"


def _slot(slot: Slot) -> str:
    if slot.index == "scalar":
        return _view_name(slot)
    if slot.index in _ROW_INDEX:
        return f"{_view_name(slot)}[_j]"
    return f"{slot.array}[_r, _j]" if slot.index == "flat" else f"{slot.array}[_j]"


def _element(slot: Slot) -> str:
    """One element of a slot read directly, not through a row view."""
    return f"{slot.array}[{_ROW_INDEX[slot.index]}, {_offset(slot.offset)}_j]"


def _offset(blocks: int) -> str:
    return "" if blocks == 0 else ("_H + " if blocks == 1 else f"{blocks} * _H + ")


def _chunk(slot: Slot) -> str:
    """A staged kernel's view of the stage _j0.._j0 + _n of a slot's row."""
    return f"_c{_view_name(slot)}" if slot.index in _ROW_INDEX else f"_c_{slot.array}"


def _kernel_text(k: Kernel, printer: Printer) -> KernelText:
    slots = [sl for _, sl in k.reads] + [sl for sl, _ in k.writes] + [sl for sl, _ in k.accumulates]
    views = sorted({_row_view(sl) for sl in slots if sl.index in _ROW_INDEX})
    staged = k.staged
    read = (lambda sl: _view_name(sl) if sl.index == "scalar" else f"{_chunk(sl)}[_j]") if staged else _slot
    lines = [f"{s.name} = {read(sl)}" for s, sl in k.reads]
    lines += [f"{s.name} = {printer(e)}" for s, e in k.body]
    outputs = [(sl, e, "=") for sl, e in k.writes] + [(sl, e, "+=") for sl, e in k.accumulates]
    if staged:
        lines += [f"_s{i}[_j] = {printer(e)}" for i, (_, e, _) in enumerate(outputs)]
    else:
        lines += [f"{_slot(sl)} {op} {printer(e)}" for sl, e, op in outputs]
    used = sorted(c for c in printer.constants if re.search(rf"\b{c}\b", "\n".join(lines)))
    # Element by element in one loop: Numba compiles a slice assignment's broadcasting and
    # error formatting in seconds per kernel.
    frozen = tuple(f"{_slot(sl)} = {_element(src) if src else 0}" for sl, src in k.frozen)
    stage_rows, chunk_views, copies = (), (), ()
    if staged:
        stage_rows = tuple(f"_s{i} = _staging_row({sl.array})" for i, (sl, _, _) in enumerate(outputs))
        chunked = [sl for _, sl in k.reads if sl.index != "scalar"] + [sl for sl, _, _ in outputs]
        chunk_views = tuple(sorted({f"{_chunk(sl)} = "
                                    + (f"{_view_name(sl)}[_j0:_j0 + _n]" if sl.index in _ROW_INDEX
                                       else f"{sl.array}[_j0:_j0 + _n]") for sl in chunked}))
        copies = tuple(f"{_chunk(sl)}[_j] {op} _s{i}[_j]" for i, (sl, _, op) in enumerate(outputs))
    _check_names(k, views + list(stage_rows) + list(chunk_views), list(printer.constants))
    return KernelText(k.name, k.purpose, k.space, k.arrays, tuple(used), tuple(views), frozen, tuple(lines),
                      staged, stage_rows, chunk_views, copies)


_LOOP_NAMES = {"_t", "_td", "_b", "_b0", "_b1", "_H", "_I", "_L", "_k", "_r", "_r0", "_r1", "_j", "_j0", "_n"}


def _check_names(k: Kernel, views: list[str], constants: list[str]) -> None:
    """Each local of a kernel is assigned once and shadows no argument, constant or loop
    variable: a clash would mean a spec name collided with a generated one. Raised at
    build time, never compiled into a wrong kernel."""
    assigned = [v.split(" = ", 1)[0] for v in views] + [s.name for s, _ in k.reads] + [s.name for s, _ in k.body]
    taken = set(k.arrays) | set(constants) | _LOOP_NAMES
    clashes = {a for a in assigned if assigned.count(a) > 1 or a in taken}
    if clashes:
        raise AssertionError(f"{k.name}: generated names clash: {sorted(clashes)}")


def _unit(blocks: int) -> str:
    """The column where block `blocks` of hidden units starts."""
    return "0" if blocks == 0 else "_H" if blocks == 1 else f"{blocks} * _H"


def _step_rows(array: str, per_step: bool, columns: tuple[int, int] | None = None) -> str:
    """A step's [B, n] view of an array restricted to the row block _b0.._b1."""
    cols = f", {_unit(columns[0])}:{_unit(columns[1])}" if columns else ""
    return f"{array}[_t, _b0:_b1{cols}]" if per_step else f"{array}[_b0:_b1{cols}]"


def _step_lines(step: tuple, kernels: dict[str, KernelText], td: str, rows: str = "_b0, _b1") -> list[str]:
    """A step's products and kernels over the batch rows `rows`; td indexes dys (the forward
    has none: 0)."""
    out = []
    for op in step:
        if isinstance(op, Gemm) and op.is_mean:
            first, last = op.columns or (0, 1)  # a mean's operand is hidden-sized
            a = f"{op.a}[_t]" if op.a_per_step else op.a
            mean = f"{op.out}[_t]" if op.out_per_step else op.out
            out.append(f"_row_means({a}, {rows}, {_unit(first)}, {_unit(last)}, {mean})  # {op.comment}")
        elif isinstance(op, Gemm):
            assert rows == "_b0, _b1", "a stage of rows has no products with weights"
            out.append(f"_step_product({_step_rows(op.a, op.a_per_step, op.columns)}, {op.b}, "
                       f"{_step_rows(op.out, op.out_per_step)}, _tail)  # {op.comment}")
        else:
            units = _units(kernels[op.name].space)
            out.append(f"{op.name}(_t, {td}, {rows}, {units}, {', '.join(kernels[op.name].arrays)}, _L, _k)")
    return out


def _units(size: str) -> str:
    """The driver's local holding a size's unit count: a kernel loops over _H units of its size."""
    return "_H" if size == HIDDEN else f"_H_{size}"


def _size_lines(table: tuple, sizes: tuple[str, ...]) -> list[str]:
    """How a driver reads the hidden size and each size the spec names off its arrays (0 for
    a size no array has: no kernel loops over it)."""
    lines = []
    for size in (HIDDEN,) + sizes:
        text = "H" if size == HIDDEN else size
        found = next(((a.name, axis, d[:-len(text)]) for a in table for axis, d in enumerate(a.shape)
                      if d == text or (d.endswith(text) and d[:-len(text)].isdigit())), None)
        if found is None:
            lines.append(f"{_units(size)} = 0")
            continue
        name, axis, n = found
        lines.append(f"{_units(size)} = {name}.shape[{axis}]" + (f" // {n}" if n else ""))
    return lines


def _literal(value) -> str:
    """A table record as the constructor call that makes it, with its non-default fields."""
    if hasattr(value, "_fields"):  # a runtime.table record: printed as _Name(...)
        fields = [_literal(getattr(value, f)) for f in value._fields if f not in value._field_defaults]
        fields += [f"{f}={_literal(getattr(value, f))}" for f, default in value._field_defaults.items()
                   if getattr(value, f) != default]
        return f"_{type(value).__name__}({', '.join(fields)})"
    if isinstance(value, tuple):
        items = [_literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return repr(value)


def render(plan: Plan) -> str:
    d = plan.derivation
    g = d.graph
    cell = g.cell
    table: ArrayTable = arrays(plan)
    printer = Printer()
    hidden_kernels = [k for k in plan.forward_step + plan.backward_step + plan.forward_stage + plan.backward_stage
                      if isinstance(k, Kernel)]
    kernels = [_kernel_text(k, printer) for k in list(plan.hoisted_kernels) + hidden_kernels
               + ([plan.dx_kernel] if plan.dx_kernel else [])]
    by_name = {k.name: k for k in kernels}
    constants = sorted(printer.constants.items(), key=lambda kv: kv[1])
    eq = equations(plan)
    codes = [g.prev[s].name for s in cell.states]
    carries = [(names.carry(c), names.carry_next(c)) for c in codes]

    forward_step = _step_lines(plan.forward_step, by_name, "0")
    if cell.output_is_state:
        out = names.state(g.prev[cell.output].name)
        forward_step.append(f"_copy_rows({out}[_t + 1], {names.YS}[_t], _b0, _b1)  # the output, while in cache")
    backward_step = _step_lines(plan.backward_step, by_name, "_td")
    backward_step += [f"_freeze_rows(_t, _L, {names.carry(g.prev[s].name)}, {names.carry_next(g.prev[s].name)}, "
                      f"_b0, _b1)  # a carry the product wrote" for s in plan.carry_from_gemm]
    backward_step += [f"{c}, {n} = {n}, {c}" for c, n in carries]
    # the input stage goes through its rows a chunk at a time, every level of a chunk while
    # its rows are in cache (over all rows at once, each level is a pass through memory)
    forward_stage = _step_lines(plan.forward_stage, by_name, "0", "_c0, _c1")
    backward_stage = _step_lines(plan.backward_stage, by_name, "0", "_c0, _c1")
    hoisted = {k.name for k in plan.hoisted_kernels}
    row_kernels = {
        "input_kernels": [f"_RowKernel({k.name}, {_literal(k.arrays)})" for k in kernels if k.name in hoisted],
        "dx_kernels": [f"_RowKernel({k.name}, {_literal(k.arrays)})" for k in kernels
                       if plan.dx_kernel and k.name == plan.dx_kernel.name],
    }
    records = {"input_products": table.input_products, "weight_grads": table.weight_grads,
               "operand_grads": table.operand_grads, "vector_sums": table.vector_sums}
    sequence = {field: [_literal(r) for r in rs] for field, rs in records.items()} | row_kernels

    source = _TEMPLATES.get_template("module.py.j2").render(
        version=__version__, runtime=runtime.VERSION,
        row_means=any(isinstance(op, Gemm) and op.is_mean for op in plan.forward_step + plan.backward_step
                      + plan.forward_stage + plan.backward_stage),
        staged=any(k.staged for k in kernels), activations=_activation_imports(kernels), build=_UNBUILT, cell=cell,
        source=_safe_comment(Path(cell.path).name),
        forward_eqs=eq.forward, backward_eqs=eq.backward, legend=eq.legend, dx_lines=eq.dx,
        params=[(p.name, p.shape) for p in cell.params],
        masks=[(m.name, "sequence" if m.per_sequence else "step") for m in cell.masks], inits={k: float(v) for k, v in cell.inits.items()},
        constants=constants, kernels=kernels, sizes=cell.sizes, state_sizes=[cell.state_size(s) for s in cell.states],
        output_size=cell.output_size, mask_sizes=[(m.name, m.size) for m in cell.masks],
        forward_sizes=_size_lines(table.forward, cell.sizes), backward_sizes=_size_lines(table.backward, cell.sizes),
        forward_args=[a.name for a in table.forward], backward_args=[a.name for a in table.backward],
        forward_step_lines=forward_step, backward_step_lines=backward_step,
        forward_stage_lines=forward_stage, backward_stage_lines=backward_stage,
        sequence={k: v for k, v in sequence.items() if v},
        carries=[c for c, _ in carries], carry_pairs=carries, groups=table.groups, widest=table.widest,
        forward_table=[_literal(a) for a in table.forward],
        backward_table=[_literal(a) for a in table.backward], param_grads=table.param_grads)
    return _sign(source)


def _activation_imports(kernels: list[KernelText]) -> list[str]:
    """The runtime functions the kernels call, as `name as _name`, three to an import line."""
    text = "\n".join(line for k in kernels for line in k.lines)
    used = [f"{f[1:]} as {f}" for f in RUNTIME_CALLS if re.search(rf"\b{f}\(", text)]
    return [", ".join(used[i:i + 3]) for i in range(0, len(used), 3)]


def _sign(source: str) -> str:
    """BUILD: a hash of every other byte, so the module's bytes name it (runtime.adopt)."""
    build = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    return source.replace(f'BUILD = "{_UNBUILT}"', f'BUILD = "{build}"', 1)


def _safe_comment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- ]", "?", text)
