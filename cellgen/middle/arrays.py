"""Plan -> array table: every array a call allocates or reads, decided once, in Python.

The table lists the arguments of the cell's jitted drivers in order, each with its role
(where the runtime's driver gets it, see cellgen/runtime/table.py) and its shape. The
whole-sequence products and sums around the time loop are typed records over the same
names, so the backend only prints: no name is ever parsed back out of a string.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..runtime.table import Array, Product, Rows, VectorSum
from . import names
from .plan import Plan, describe


@dataclass(frozen=True)
class ArrayTable:
    forward: tuple[Array, ...]
    backward: tuple[Array, ...]
    groups: dict[int, tuple[str, ...]]  # stacked group -> its weight matrices
    widest: int
    param_grads: dict[str, tuple[tuple[str, int], ...]]
    input_products: tuple[Product, ...]  # forward, before the loop
    weight_grads: tuple[Product, ...]  # backward, after the loop
    operand_grads: tuple[Product, ...]  # dx, or the gradient of an input-sized operand
    vector_sums: tuple[VectorSum, ...]
    first_state: str  # a state array: the drivers read T, B and H off its shape


def _width(n: int) -> str:
    return "H" if n == 1 else f"{n}H"


def arrays(plan: Plan) -> ArrayTable:
    g = plan.derivation.graph
    cell = g.cell
    codes = [g.prev[s].name for s in cell.states]
    inputs = [grp for grp in plan.groups if grp.operand_size == "input"]
    recurrent = [grp for grp in plan.groups if grp.operand_size != "input"]
    weighted = [grp for grp in plan.groups if not grp.is_mean]  # the means have no weights
    has_operand = set(plan.operand_buffers)

    fwd: list[Array] = [Array(names.X_ROWS, "input", ("T*B", "I"))]
    fwd += [Array(names.state(c), "state", ("T+1", "B", "H"), index=i) for i, c in enumerate(codes)]
    fwd += [Array(names.input_products(grp.index), "tape", ("T", "B", _width(len(grp.members)))) for grp in inputs]
    for grp in recurrent:
        n = _width(len(grp.members))
        if grp.is_mean:  # one value per batch row and step
            fwd.append(Array(names.products(grp.index), "tape", ("T", "B")))
        elif grp.index in plan.summed:
            fwd.append(Array(names.products(grp.index), "scratch", ("B", n)))
        else:
            fwd.append(Array(names.products(grp.index), "tape", ("T", "B", n)))
    for grp in plan.groups:
        if grp.index in has_operand and grp.is_mean:  # read by its mean in the same step only
            fwd.append(Array(names.operand(grp.index), "scratch", ("B", "H")))
        elif grp.index in has_operand:
            shape = ("T*B", "I") if grp.operand_size == "input" else ("T", "B", "H")
            fwd.append(Array(names.operand(grp.index), "tape", shape))
    fwd += [Array(names.kept(s.name), "tape", ("T", "B", "H")) for s in plan.kept]
    tape = [a for a in fwd if a.role in ("input", "state", "tape")]
    fwd += [Array(names.weights(grp.index, True), "weights", group=grp.index, transpose=True) for grp in inputs]
    fwd += [Array(names.panels(grp.index, True), "panels", group=grp.index, transpose=True) for grp in recurrent
            if not grp.is_mean]
    vectors = [Array(names.vector(sym.name), "vector", param=name) for name, sym in g.vectors.items()]
    per_sequence = {m.name for m in cell.masks if m.per_sequence}
    masks = [Array(names.mask(sym.name), "mask", ("B", "H") if name in per_sequence else ("T", "B", "H"),
                   param=name) for name, sym in g.masks.items()]
    fwd += vectors + masks
    fwd.append(Array(names.YS, "output", ("T", "B", "H")))

    bwd: list[Array] = [Array(a.name, a.role if a.role == "input" else "tape", a.shape) for a in tape]
    bwd += [Array(names.weights(grp.index, False), "weights", group=grp.index) for grp in inputs]
    bwd += [Array(names.panels(grp.index, False), "panels", group=grp.index) for grp in recurrent
            if not grp.is_mean]
    bwd += vectors + masks
    bwd.append(Array(names.DYS, "dy", ("T", "B", "H")))
    bwd += [Array(names.carry(c), "carry", ("B", "H"), index=i) for i, c in enumerate(codes)]
    bwd += [Array(names.carry_next(c), "carry_next", ("B", "H"), index=i) for i, c in enumerate(codes)]
    bwd += [Array(names.products_grad(grp.index), "scratch", ("B", "H")) if grp.is_mean
            else Array(names.products_grad(grp.index), "work", ("T", "B", _width(len(grp.members))))
            for grp in recurrent if grp.index not in plan.dm_within]
    bwd += [Array(names.input_products_grad(grp.index), "work", ("T", "B", _width(len(grp.members))))
            for grp in inputs if grp.index not in plan.dm_alias]
    carried = set(plan.carry_from_gemm.values())
    for grp in plan.groups:
        if grp.operand_size == "input" and grp.index in has_operand:
            bwd.append(Array(names.operand_grad(grp.index), "work", ("T*B", "I")))
        elif grp.operand_size != "input" and grp.index not in carried:
            bwd.append(Array(names.operand_grad(grp.index), "scratch", ("B", "H")))
    streams = {stream for stream, _ in plan.vector_sums.values()}
    bwd += [Array(names.vector_stream(sym.name), "work", ("T", "B", "H"))
            for sym in g.vectors.values() if names.vector_stream(sym.name) in streams]
    by_stream: dict[str, list[tuple[str, int]]] = {}  # stream -> (vector parameter, block), in order
    for name, (stream, block) in plan.vector_sums.items():
        by_stream.setdefault(stream, []).append((name, block))
    bwd += [Array(names.vector_grads(stream), "vector_grad", (str(len(sums)), "H")) for stream, sums in by_stream.items()]
    bwd += [Array(names.weight_grad(grp.index), "weight_grad",
                  ("I" if grp.operand_size == "input" else "H", _width(len(grp.members)))) for grp in weighted]
    bwd.append(Array(names.DX_ROWS, "dx", ("T*B", "I"), zero=plan.dx_from_gemm is None))

    widths = {a.name: a.shape[-1] for a in fwd + bwd if a.shape}

    def operand_rows(grp) -> Rows:
        if grp.index in has_operand:
            return Rows(names.operand(grp.index), "I" if grp.operand_size == "input" else "H")
        if grp.operand_size == "input":
            return Rows(names.X_ROWS, "I")
        return Rows(names.state(grp.operand.name), "H", drop_last=True)

    def adjoint_rows(grp) -> Rows:
        if grp.index in plan.dm_within:
            ui, first = plan.dm_within[grp.index]
            array = names.input_products_grad(ui)
            return Rows(array, widths[array], blocks=(first, first + len(grp.members)))
        if grp.index in plan.dm_alias:
            array = names.products_grad(plan.dm_alias[grp.index])
        elif grp.operand_size == "input":
            array = names.input_products_grad(grp.index)
        else:
            array = names.products_grad(grp.index)
        return Rows(array, widths[array])

    input_products = tuple(
        Product(operand_rows(grp), Rows(names.weights(grp.index, True)),
                Rows(names.input_products(grp.index), _width(len(grp.members))), comment=describe(grp, g.display))
        for grp in inputs)
    weight_grads = tuple(
        Product(operand_rows(grp), adjoint_rows(grp), Rows(names.weight_grad(grp.index)), transpose_a=True,
                comment="d(" + ", ".join(p.param for p in grp.members) + "), transposed")
        for grp in weighted)
    operand_grads = []
    for grp in inputs:
        if plan.dx_from_gemm == grp.index:
            out = Rows(names.DX_ROWS, "I")
        elif grp.index in has_operand:
            out = Rows(names.operand_grad(grp.index), "I")
        else:
            continue
        operand_grads.append(Product(adjoint_rows(grp), Rows(names.weights(grp.index, False)), out,
                                     comment="d" + describe(grp, g.display, operand_only=True)))
    sums = tuple(VectorSum(Rows(stream, widths[stream]), tuple(block for _, block in vs), names.vector_grads(stream))
                 for stream, vs in by_stream.items())
    vector_row = {name: (names.vector_grads(stream), k) for stream, vs in by_stream.items()
                  for k, (name, _) in enumerate(vs)}

    param_grads: dict[str, tuple[tuple[str, int], ...]] = {}
    for p in cell.params:
        if p.is_matrix:
            param_grads[p.name] = tuple((names.weight_grad(grp.index), k) for grp in plan.groups
                                        for k, m in enumerate(grp.members) if m.param == p.name)
        else:
            param_grads[p.name] = (vector_row[p.name],) if p.name in vector_row else ()
    groups = {grp.index: tuple(m.param for m in grp.members) for grp in weighted}
    widest = max((len(grp.members) for grp in plan.groups), default=1)
    return ArrayTable(tuple(fwd), tuple(bwd), groups, widest, param_grads, input_products, weight_grads,
                      tuple(operand_grads), sums, names.state(codes[0]))
