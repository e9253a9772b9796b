"""Plan -> array table: every array a call allocates or reads, decided once, in Python.

The table lists the arguments of the cell's jitted drivers in order, each with its role
(where the runtime's driver gets it, see cellgen/runtime/table.py) and its shape. The
whole-sequence products and sums around the time loop are typed records over the same
names, so the backend only prints: no name is ever parsed back out of a string.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..frontend.checker import HIDDEN, INPUT
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


def dim(size: str, n: int = 1) -> str:
    """A size as an array's dim: "H", "I" or the spec's name for it; n of them side by side "<n>H"."""
    text = {HIDDEN: "H", INPUT: "I"}.get(size, size)
    return text if n == 1 else f"{n}{text}"


def _width(grp) -> str:
    return dim(grp.size, len(grp.members))


def arrays(plan: Plan) -> ArrayTable:
    g = plan.derivation.graph
    cell = g.cell
    codes = [g.prev[s].name for s in cell.states]
    inputs = [grp for grp in plan.groups if grp.operand_size == "input"]
    recurrent = [grp for grp in plan.groups if grp.operand_size != "input"]
    weighted = [grp for grp in plan.groups if not grp.is_mean]  # the means have no weights
    has_operand = set(plan.operand_buffers)
    # input groups whose operand gradient the dx kernel reads: an operand made of x, or x
    # itself in a group whose rows have another size than the group that writes dx
    dx_summands = {grp.index for grp in plan.groups if grp.operand_size == "input"
                   and (grp.index in has_operand or grp.index != plan.dx_from_gemm)}

    fwd: list[Array] = [Array(names.X_ROWS, "input", ("T*B", "I"))]
    state_dim = [dim(cell.state_size(s)) for s in cell.states]
    fwd += [Array(names.state(c), "state", ("T+1", "B", state_dim[i]), index=i) for i, c in enumerate(codes)]
    fwd += [Array(names.input_products(grp.index), "tape", ("T", "B", _width(grp))) for grp in inputs]
    for grp in recurrent:
        n = _width(grp)
        if grp.is_mean:  # one value per batch row and step
            fwd.append(Array(names.products(grp.index), "tape", ("T", "B")))
        elif grp.index in plan.summed:
            fwd.append(Array(names.products(grp.index), "scratch", ("B", n)))
        else:
            fwd.append(Array(names.products(grp.index), "tape", ("T", "B", n)))
    stage = plan.stage_groups
    for grp in plan.groups:
        if grp.index in has_operand and grp.index in stage:  # the input stage's, all steps at once
            fwd.append(Array(names.operand(grp.index), "work", ("T", "B", "H")))
        elif grp.index in has_operand and grp.is_mean:  # read by its mean in the same step only
            fwd.append(Array(names.operand(grp.index), "scratch", ("B", "H")))
        elif grp.index in has_operand:
            shape = ("T*B", "I") if grp.operand_size == "input" else ("T", "B", dim(grp.operand_size))
            fwd.append(Array(names.operand(grp.index), "tape", shape))
    node_size = {n.symbol: g.size_of(n) for n in g.nodes}
    fwd += [Array(names.kept(s.name), "tape", ("T", "B", dim(node_size[s]))) for s in plan.kept + plan.boundary]
    tape = [a for a in fwd if a.role in ("input", "state", "tape")]
    fwd += [Array(names.weights(grp.index, True), "weights", group=grp.index, transpose=True) for grp in inputs]
    fwd += [Array(names.panels(grp.index, True), "panels", group=grp.index, transpose=True) for grp in recurrent
            if not grp.is_mean]
    vectors = [Array(names.vector(sym.name), "vector", param=name) for name, sym in g.vectors.items()]
    masks = [Array(names.mask(g.masks[m.name].name), "mask", ("B", dim(m.size)) if m.per_sequence
                   else ("T", "B", dim(m.size)), param=m.name) for m in cell.masks]
    fwd += vectors + masks
    out_dim = dim(cell.output_size)
    fwd.append(Array(names.YS, "output", ("T", "B", out_dim)))

    bwd: list[Array] = [Array(a.name, a.role if a.role == "input" else "tape", a.shape) for a in tape]
    bwd += [Array(names.weights(grp.index, False), "weights", group=grp.index) for grp in inputs]
    bwd += [Array(names.panels(grp.index, False), "panels", group=grp.index) for grp in recurrent
            if not grp.is_mean]
    bwd += vectors + masks
    bwd.append(Array(names.DYS, "dy", ("T", "B", out_dim)))
    bwd += [Array(names.carry(c), "carry", ("B", state_dim[i]), index=i) for i, c in enumerate(codes)]
    bwd += [Array(names.carry_next(c), "carry_next", ("B", state_dim[i]), index=i) for i, c in enumerate(codes)]
    bwd += [Array(names.products_grad(grp.index), "work", ("T", "B", "H")) if grp.index in stage
            else Array(names.products_grad(grp.index), "scratch", ("B", "H")) if grp.is_mean
            else Array(names.products_grad(grp.index), "work", ("T", "B", _width(grp)))
            for grp in recurrent if grp.index not in plan.dm_within and grp.index not in plan.mean_alias]
    bwd += [Array(names.kept_grad(s.name), "work", ("T", "B", dim(node_size[s]))) for s in plan.boundary]
    bwd += [Array(names.input_products_grad(grp.index), "work", ("T", "B", _width(grp)))
            for grp in inputs if grp.index not in plan.dm_alias]
    carried = set(plan.carry_from_gemm.values())
    for grp in plan.groups:
        if grp.index in dx_summands:
            bwd.append(Array(names.operand_grad(grp.index), "work", ("T*B", "I")))
        elif grp.index in stage and grp.index not in plan.mean_alias:  # one value per row and step
            bwd.append(Array(names.operand_grad(grp.index), "work", ("T", "B")))
        elif grp.operand_size != "input" and grp.index not in carried and grp.index not in plan.mean_alias:
            bwd.append(Array(names.operand_grad(grp.index), "scratch", ("B", dim(grp.operand_size))))
    streams = {stream for stream, _ in plan.vector_sums.values()}
    vector_dim = {p.name: dim(p.shape[0]) for p in cell.params if not p.is_matrix}
    bwd += [Array(names.vector_stream(sym.name), "work", ("T", "B", vector_dim[name]))
            for name, sym in g.vectors.items() if names.vector_stream(sym.name) in streams]
    bwd += [Array(plan.vector_rows[name], "vector_rows", ("B", vector_dim[name])) for name in plan.vector_rows]
    by_stream: dict[str, list[tuple[str, int]]] = {}  # stream -> (vector parameter, block), in order
    for name, (stream, block) in plan.vector_sums.items():
        by_stream.setdefault(stream, []).append((name, block))
    bwd += [Array(names.vector_grads(stream), "vector_grad", (str(len(sums)), vector_dim[sums[0][0]]))
            for stream, sums in by_stream.items()]
    bwd += [Array(names.weight_grad(grp.index), "weight_grad", (dim(grp.operand_size), _width(grp)))
            for grp in weighted]
    bwd.append(Array(names.DX_ROWS, "dx", ("T*B", "I"), zero=plan.dx_from_gemm is None))

    widths = {a.name: a.shape[-1] for a in fwd + bwd if a.shape}

    def operand_rows(grp) -> Rows:
        if grp.index in has_operand:
            return Rows(names.operand(grp.index), dim(grp.operand_size))
        if grp.operand_size == "input":
            return Rows(names.X_ROWS, "I")
        return Rows(names.state(grp.operand.name), dim(grp.operand_size), drop_last=True)

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
                Rows(names.input_products(grp.index), _width(grp)), comment=describe(grp, g.display))
        for grp in inputs)
    weight_grads = tuple(
        Product(operand_rows(grp), adjoint_rows(grp), Rows(names.weight_grad(grp.index)), transpose_a=True,
                comment="d(" + ", ".join(p.param for p in grp.members) + "), transposed")
        for grp in weighted)
    operand_grads = []
    for grp in inputs:
        if plan.dx_from_gemm == grp.index:
            out = Rows(names.DX_ROWS, "I")
        elif grp.index in dx_summands:
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
            param_grads[p.name] = (vector_row[p.name],) if p.name in vector_row \
                else ((plan.vector_rows[p.name], 0),) if p.name in plan.vector_rows else ()
    groups = {grp.index: tuple(m.param for m in grp.members) for grp in weighted}
    widest = max((len(grp.members) for grp in plan.groups), default=1)
    return ArrayTable(tuple(fwd), tuple(bwd), groups, widest, param_grads, input_products, weight_grads,
                      tuple(operand_grads), sums)
