"""Plan -> module source, through the Jinja2 template in templates/.

Python decides what each line says; the template decides where it goes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .. import __version__
from ..middle.plan import Gemm, Kernel, Plan, Slot
from .printer import Printer
from .show import equations

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    autoescape=False)


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
    suffix = {"t": "", "t+1": "_next", "td": "", "row": ""}[slot.index]
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
    frozen = []
    for sl, _ in k.writes:
        if sl.index == "t+1":  # a new state: keep the old one
            frozen.append(f"{_view_name(sl)}[_j] = {sl.array}[_t, _b, _j]")
        elif sl.index == "row" and sl.array.startswith("Gn_"):  # a carry: pass it on
            frozen.append(f"{_view_name(sl)}[_j] = G_{sl.array[3:]}[_b, _j]")
        elif sl.index in _ROW_INDEX:
            frozen.append(f"{_view_name(sl)}[_j] = 0")
    carries = {f"G_{sl.array[3:]}" for sl, _ in k.writes if sl.array.startswith("Gn_")}
    arrays = tuple(sorted(set(k.arrays) | carries))
    return KernelText(k.name, k.purpose, k.space, arrays, tuple(used), tuple(views), tuple(frozen),
                      tuple(lines))


def _safe_comment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- ]", "?", text)


def render(plan: Plan) -> str:
    d = plan.derivation
    g = d.graph
    cell = g.cell
    printer = Printer()
    hidden_kernels = [k for k in plan.forward_step + plan.backward_step if isinstance(k, Kernel)]
    kernels = [_kernel_text(k, printer) for k in list(plan.hoisted_kernels) + hidden_kernels
               + ([plan.dx_kernel] if plan.dx_kernel else [])]
    constants = sorted(printer.constants.items(), key=lambda kv: kv[1])
    eq = equations(plan)
    params = [(p.name, p.shape) for p in cell.params]
    product_params = {p.name: [] for p in cell.params if p.is_matrix}
    for grp in plan.groups:
        for k, p in enumerate(grp.members):
            product_params[p.param].append((grp.index, k))
    ctx = dict(_buffers(plan),
        version=__version__, cell=cell, source=_safe_comment(Path(cell.path).name),
        forward_eqs=eq.forward, backward_eqs=eq.backward, legend=eq.legend, dx_lines=eq.dx,
        params=params, inits={k: float(v) for k, v in cell.inits.items()},
        constants=constants, kernels=kernels, plan=plan, groups=plan.groups,
        state_codes=[(s, g.prev[s].name) for s in cell.states],
        output_code=g.prev[cell.output].name if cell.output_is_state else None,
        vectors=list(g.vectors), product_params=product_params,
        forward_ops=_ops(plan.forward_step), backward_ops=_ops(plan.backward_step),
        hoisted_kernels=[k.name for k in plan.hoisted_kernels], kernel_arrays={k.name: k.arrays for k in kernels},
        operand_width={grp.index: ("_I" if grp.operand_size == "input" else "_H") for grp in plan.groups},
    )
    return _TEMPLATES.get_template("module.py.j2").render(**ctx)


def _buffers(plan: Plan) -> dict:
    """Names of the driver's arrays, in signature order, and where the wrappers find each."""
    g = plan.derivation.graph
    codes = [g.prev[s].name for s in g.cell.states]
    groups = []
    width = {f"dX_{grp.index}": len(grp.members) for grp in plan.groups if grp.operand_size == "input"}
    width |= {f"dM_{grp.index}": len(grp.members) for grp in plan.groups if grp.operand_size != "input"}
    for grp in plan.groups:
        hoisted = grp.operand_size == "input"
        has_operand = grp.index in plan.operand_buffers
        columns = ""
        if hoisted:
            source = f"A_{grp.index}" if has_operand else "xs2"
            dm = f"dM_{plan.dm_alias[grp.index]}" if grp.index in plan.dm_alias else f"dX_{grp.index}"
        else:
            source = (f"A_{grp.index}.reshape(_T * _B, _H)" if has_operand
                      else f"S_{grp.operand.name}[:_T].reshape(_T * _B, _H)")
            dm = f"dM_{grp.index}"
            if grp.index in plan.dm_within:
                ui, first = plan.dm_within[grp.index]
                dm, columns = f"dX_{ui}", f", {first} * _H:{first + len(grp.members)} * _H"
        groups.append(dict(
            index=grp.index, n=len(grp.members), params=[p.param for p in grp.members], hoisted=hoisted,
            operand_text=str(grp.operand), source=source, dm=dm, has_operand=has_operand,
            dm_rows=f"{dm}.reshape(_T * _B, {width[dm]} * _H)[_r0:_r1{columns}]",
            width="I" if hoisted else "H", alias=grp.index in plan.dm_alias, within=grp.index in plan.dm_within,
            dx_direct=plan.dx_from_gemm == grp.index, carry=grp.index in plan.carry_from_gemm.values(),
            scratch=grp.index in plan.summed))
    hoisted = [x for x in groups if x["hoisted"]]
    recurrent = [x for x in groups if not x["hoisted"]]
    stacked = {x["index"]: "[" + ", ".join(f'"{p}"' for p in x["params"]) + "]" for x in groups}
    fwd = {"xs2": 'tape["xs2"]'}
    fwd.update({f"S_{c}": f"S_{c}" for c in codes})
    fwd.update({f"X_{x['index']}": f'tape["X_{x["index"]}"]' for x in hoisted})
    fwd.update({f"M_{x['index']}": f"M_{x['index']}" if x["scratch"] else f'tape["M_{x["index"]}"]'
                for x in recurrent})
    fwd.update({f"A_{x['index']}": f'tape["A_{x["index"]}"]' for x in groups if x["has_operand"]})
    common = dict(fwd)
    fwd.update({f"Wt_{x['index']}": f"pk.stacked({x['index']}, True)" for x in hoisted})
    fwd.update({f"Wt_{x['index']}_panels": f"pk.panels({x['index']}, True)" for x in recurrent})
    vectors = {f"P_{v}": f'p["{v}"]' for v in g.vectors}
    fwd.update(vectors)
    if not g.cell.output_is_state:
        fwd["ys"] = 'tape["ys"]'
    bwd = {k: v.replace("S_", 'tape["S_', 1) + '"]' if k.startswith("S_") else v for k, v in common.items()
           if not (k.startswith("M_") and int(k[2:]) in plan.summed)}
    bwd.update({f"W_{x['index']}": f"pk.stacked({x['index']}, False)" for x in hoisted})
    bwd.update({f"W_{x['index']}_panels": f"pk.panels({x['index']}, False)" for x in recurrent})
    bwd.update(vectors)
    bwd["dys"] = "dys"
    bwd.update({f"G_{c}": f"G_{c}" for c in codes})
    bwd.update({f"Gn_{c}": f"Gn_{c}" for c in codes})
    bwd.update({f"dM_{x['index']}": f'work["dM_{x["index"]}"]' for x in recurrent if not x["within"]})
    bwd.update({f"dX_{x['index']}": f'work["dX_{x["index"]}"]' for x in hoisted if not x["alias"]})
    bwd.update({f"dA_{x['index']}": f'work["dA_{x["index"]}"]' for x in groups
                if (x["hoisted"] and x["has_operand"]) or (not x["hoisted"] and not x["carry"])})
    bwd.update({f"dV_{v}": f'work["dV_{v}"]' for v, (arr, _) in plan.vector_sums.items() if arr.startswith("dV_")})
    bwd.update({f"dP_{v}": f'work["dP_{v}"]' for v in g.vectors})
    sums = [dict(name=v, array=arr, width=width.get(arr, 1), block=k) for v, (arr, k) in plan.vector_sums.items()]
    bwd.update({f"dW_{x['index']}": f'work["dW_{x["index"]}"]' for x in groups})
    bwd["dxs2"] = "dxs2"
    parameter_sums = [i for i, name in enumerate(bwd) if name.startswith(("dW_", "dP_"))]
    return dict(fwd_arrays=list(fwd), fwd_source=fwd, bwd_arrays=list(bwd), bwd_source=bwd, parameter_sums=parameter_sums,
                hoisted_groups=hoisted, recurrent_groups=recurrent, all_groups=groups, vector_sums=sums,
                stacked_names=stacked, first_state=f"S_{codes[0]}", dx_kernel=plan.dx_kernel.name if plan.dx_kernel else None,
                gemm_carries=[g.prev[s].name for s in plan.carry_from_gemm], dxs_written=plan.dx_from_gemm is not None)


def _block_rows(view: str, columns: tuple[int, int] | None = None) -> str:
    """A step's [B, n] view (`M_0` or `S_h[_t]`) restricted to the row block _b0.._b1 (and
    to the column blocks `columns`, in hidden sizes)."""
    m = re.fullmatch(r"(\w+)(\[_t\])?", view)
    if m is None:
        raise ValueError(f"cannot take the batch rows of {view!r}")
    cols = f", {columns[0]} * _H:{columns[1]} * _H" if columns else ""
    return f"{m[1]}[_t, _b0:_b1{cols}]" if m[2] else f"{m[1]}[_b0:_b1{cols}]"


def _ops(step: tuple) -> list[dict]:
    """A step's operations for the template; a GEMM reads its weights as packed panels."""
    return [dict(kind="gemm", a=_block_rows(o.a, o.columns), panels=f"{o.b}_panels", out=_block_rows(o.out),
                 comment=o.comment) if isinstance(o, Gemm) else dict(kind="kernel", name=o.name)
            for o in step]
