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
from ..middle import names
from ..middle.arrays import ArrayTable, Rows, arrays
from ..middle.plan import Gemm, Kernel, Plan, Slot
from ..runtime.table import Array
from .printer import Printer
from .show import equations

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    autoescape=False)

# The runtime's element-wise functions, as the printer calls them and the module imports them.
ACTIVATIONS = ("_pow2", "_pow3", "_relu", "_sigmoid", "_softplus", "_step", "_tanh")
_UNBUILT = "0" * 16


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


_ROW_INDEX = {"t": "_t, _b", "t+1": "_t + 1, _b", "td": "_td, _b", "row": "_b"}


def _view_name(slot: Slot) -> str:
    suffix = "_next" if slot.index == "t+1" else ""
    return f"_{slot.array}{suffix}_{slot.offset}"


def _row_view(slot: Slot) -> str:
    """A 1-D view of one batch row, taken outside the inner loop so it indexes by _j alone
    (unit stride, no wrap-around checks: what LLVM needs to vectorize)."""
    begin = "" if slot.offset == 0 else ("_H" if slot.offset == 1 else f"{slot.offset} * _H")
    end = "_H" if slot.offset == 0 else f"{slot.offset + 1} * _H"
    return f"{_view_name(slot)} = {slot.array}[{_ROW_INDEX[slot.index]}, {begin}:{end}]"


def _slot(slot: Slot) -> str:
    if slot.index in _ROW_INDEX:
        return f"{_view_name(slot)}[_j]"
    return f"{slot.array}[_r, _j]" if slot.index == "flat" else f"{slot.array}[_j]"


def _element(slot: Slot) -> str:
    """One element of a slot read directly, not through a row view."""
    return f"{slot.array}[{_ROW_INDEX[slot.index]}, {_offset(slot.offset)}_j]"


def _offset(blocks: int) -> str:
    return "" if blocks == 0 else ("_H + " if blocks == 1 else f"{blocks} * _H + ")


def _kernel_text(k: Kernel, printer: Printer) -> KernelText:
    slots = [sl for _, sl in k.reads] + [sl for sl, _ in k.writes] + [sl for sl, _ in k.accumulates]
    views = sorted({_row_view(sl) for sl in slots if sl.index in _ROW_INDEX})
    lines = [f"{s.name} = {_slot(sl)}" for s, sl in k.reads]
    lines += [f"{s.name} = {printer(e)}" for s, e in k.body]
    lines += [f"{_slot(sl)} = {printer(e)}" for sl, e in k.writes]
    lines += [f"{_slot(sl)} += {printer(e)}" for sl, e in k.accumulates]
    used = sorted(c for c in printer.constants if re.search(rf"\b{c}\b", "\n".join(lines)))
    # Element by element in one loop: Numba compiles a slice assignment's broadcasting and
    # error formatting in seconds per kernel.
    frozen = tuple(f"{_slot(sl)} = {_element(src) if src else 0}" for sl, src in k.frozen)
    _check_names(k, views, list(printer.constants))
    return KernelText(k.name, k.purpose, k.space, k.arrays, tuple(used), tuple(views), frozen, tuple(lines))


_LOOP_NAMES = {"_t", "_td", "_b", "_b0", "_b1", "_H", "_I", "_L", "_k", "_r", "_r0", "_r1", "_j"}


def _check_names(k: Kernel, views: list[str], constants: list[str]) -> None:
    """Each local of a kernel is assigned once and shadows no argument, constant or loop
    variable: a clash would mean a spec name collided with a generated one. Raised at
    build time, never compiled into a wrong kernel."""
    assigned = [v.split(" = ", 1)[0] for v in views] + [s.name for s, _ in k.reads] + [s.name for s, _ in k.body]
    taken = set(k.arrays) | set(constants) | _LOOP_NAMES
    clashes = {a for a in assigned if assigned.count(a) > 1 or a in taken}
    if clashes:
        raise AssertionError(f"{k.name}: generated names clash: {sorted(clashes)}")


def _rows(r: Rows) -> str:
    """An array as [T * B, columns] rows, the driver's block _r0.._r1 of them."""
    columns = "_I" if r.columns == "I" else _hidden(r.columns)
    source = f"{r.array}[:_T]" if r.drop_last else r.array
    blocks = f", {r.blocks[0]} * _H:{r.blocks[1]} * _H" if r.blocks else ""
    return f"{source}.reshape(_T * _B, {columns})[_r0:_r1{blocks}]"


def _hidden(dim: str) -> str:
    n = int(dim[:-1]) if dim != "H" else 1
    return "_H" if n == 1 else f"{n} * _H"


def _step_rows(array: str, per_step: bool, columns: tuple[int, int] | None = None) -> str:
    """A step's [B, n] view of an array restricted to the row block _b0.._b1."""
    cols = f", {columns[0]} * _H:{columns[1]} * _H" if columns else ""
    return f"{array}[_t, _b0:_b1{cols}]" if per_step else f"{array}[_b0:_b1{cols}]"


def _step_lines(step: tuple, kernels: dict[str, KernelText], td: str) -> list[str]:
    """A step's products and kernels; td indexes dys (the forward has none: 0)."""
    out = []
    for op in step:
        if isinstance(op, Gemm):
            out.append(f"_step_product({_step_rows(op.a, op.a_per_step, op.columns)}, {op.b}, "
                       f"{_step_rows(op.out, op.out_per_step)}, _tail)  # {op.comment}")
        else:
            out.append(f"{op.name}(_t, {td}, _b0, _b1, _H, {', '.join(kernels[op.name].arrays)}, _L, _k)")
    return out


def _array_text(a: Array) -> str:
    """An Array record as a constructor call with its non-default fields."""
    fields = [repr(a.name), repr(a.role)]
    if a.shape:
        fields.append(repr(tuple(a.shape)))
    for field in ("index", "group", "transpose", "param", "zero"):
        value = getattr(a, field)
        if value != Array._field_defaults[field]:
            fields.append(f"{field}={value!r}")
    return f"_Array({', '.join(fields)})"


def render(plan: Plan) -> str:
    d = plan.derivation
    g = d.graph
    cell = g.cell
    table: ArrayTable = arrays(plan)
    printer = Printer()
    hidden_kernels = [k for k in plan.forward_step + plan.backward_step if isinstance(k, Kernel)]
    kernels = [_kernel_text(k, printer) for k in list(plan.hoisted_kernels) + hidden_kernels
               + ([plan.dx_kernel] if plan.dx_kernel else [])]
    by_name = {k.name: k for k in kernels}
    constants = sorted(printer.constants.items(), key=lambda kv: kv[1])
    eq = equations(plan)
    codes = [g.prev[s].name for s in cell.states]
    carries = [(names.carry(c), names.carry_next(c)) for c in codes]

    forward_inputs = [f"{k.name}(_r0, _r1, _I, {', '.join(k.arrays)}, _k)" for k in kernels
                      if k.name in {h.name for h in plan.hoisted_kernels}]
    for p in table.input_products:
        forward_inputs.append(f"_matmul(_gemm, {_rows(p.a)}, {p.b}, {_rows(p.out)})  # {p.comment}")
    forward_step = _step_lines(plan.forward_step, by_name, "0")
    if cell.output_is_state:
        out = names.state(g.prev[cell.output].name)
        forward_step.append(f"_copy_rows({out}[_t + 1], {names.YS}[_t], _b0, _b1)  # the output, while in cache")
    backward_step = _step_lines(plan.backward_step, by_name, "_td")
    backward_step += [f"_freeze_rows(_t, _L, {names.carry(g.prev[s].name)}, {names.carry_next(g.prev[s].name)}, "
                      f"_b0, _b1)  # a carry the product wrote" for s in plan.carry_from_gemm]
    backward_step += [f"{c}, {n} = {n}, {c}" for c, n in carries]
    weights = ["# weight gradients, transposed: operand^T @ adjoints, one product per stacked group"]
    weights += [f"_matmul(_gemm, {_rows(w.operand)}.T, {_rows(w.adjoints)}, {w.out})  # {w.comment}"
                for w in table.weight_grads]
    weights += [f"_matmul(_gemm, {_rows(p.a)}, {p.b}, {_rows(p.out)})  # {p.comment}" for p in table.operand_grads]
    if plan.dx_kernel:
        k = by_name[plan.dx_kernel.name]
        weights.append(f"{k.name}(_r0, _r1, _I, {', '.join(k.arrays)}, _k)")
    if table.vector_sums:
        weights.append("# vector parameter gradients: sums over the rows of their streams")
    weights += [f"_column_sum({_rows(v.stream)}, {v.block} * _H, {v.out})" for v in table.vector_sums]

    source = _TEMPLATES.get_template("module.py.j2").render(
        version=__version__, runtime=runtime.VERSION, activations=_activation_imports(kernels), build=_UNBUILT, cell=cell,
        source=_safe_comment(Path(cell.path).name),
        forward_eqs=eq.forward, backward_eqs=eq.backward, legend=eq.legend, dx_lines=eq.dx,
        params=[(p.name, p.shape) for p in cell.params], inits={k: float(v) for k, v in cell.inits.items()},
        constants=constants, kernels=kernels, first_state=table.first_state,
        forward_args=[a.name for a in table.forward], backward_args=[a.name for a in table.backward],
        forward_input_lines=forward_inputs, forward_step_lines=forward_step,
        backward_step_lines=backward_step, backward_weight_lines=weights,
        carries=[c for c, _ in carries], groups=table.groups, widest=table.widest,
        forward_table=[_array_text(a) for a in table.forward],
        backward_table=[_array_text(a) for a in table.backward], param_grads=table.param_grads)
    return _sign(source)


def _activation_imports(kernels: list[KernelText]) -> list[str]:
    """The runtime functions the kernels call, as `name as _name`, three to an import line."""
    text = "\n".join(line for k in kernels for line in k.lines)
    used = [f"{f[1:]} as {f}" for f in ACTIVATIONS if re.search(rf"\b{f}\(", text)]
    return [", ".join(used[i:i + 3]) for i in range(0, len(used), 3)]


def _sign(source: str) -> str:
    """BUILD: a hash of every other byte, so the module's bytes name it (runtime.adopt)."""
    build = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    return source.replace(f'BUILD = "{_UNBUILT}"', f'BUILD = "{build}"', 1)


def _safe_comment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- ]", "?", text)
