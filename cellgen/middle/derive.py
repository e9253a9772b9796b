"""Reverse mode over the step graph: one adjoint expression per value that needs one.

Adjoints are symbols `d__NAME`. The adjoint of a new state starts from what the next
step hands back (`g__NAME`, the carry) and the output's from `dy`. A product
`P @ a` hands its operand `da__G`, the result of the stacked GEMM `dM @ P` of its group
G: that symbol is where an element-wise kernel ends and a matrix product begins.
Local derivatives are written with the values they reuse (sigmoid' as i*(1 - i)),
so the backward equations read like the ones in a paper.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .lower import Product, StepGraph, symbol


@dataclass(frozen=True)
class Group:
    """Products of one level sharing an operand: computed by one GEMM with stacked weights."""
    index: int
    level: int
    operand: sp.Expr
    operand_size: str
    members: tuple[Product, ...]
    da: sp.Symbol  # adjoint of the operand, dM @ stacked P

    @property
    def size(self) -> str:
        """The rows of each stacked product (all members share it)."""
        return self.members[0].size

    @property
    def plain_state(self) -> sp.Symbol | None:
        return self.operand if isinstance(self.operand, sp.Symbol) else None

    @property
    def is_mean(self) -> bool:
        """A mean over the units (one member): a row reduction, not a GEMM, and no weights."""
        return self.members[0].kind == "mean"


@dataclass(frozen=True)
class Derivation:
    graph: StepGraph
    groups: tuple[Group, ...]
    carries: dict[str, sp.Symbol]  # state -> adjoint of its new value from step t+1
    dy: sp.Symbol
    adjoints: dict[sp.Symbol, sp.Symbol]  # value -> its adjoint symbol
    definitions: dict[sp.Symbol, sp.Expr]  # adjoint symbol -> expression (reverse order of the step)
    dx_terms: dict[int, sp.Expr]  # hoisted group index -> its contribution to dx, per element

    def adjoint(self, value: sp.Symbol) -> sp.Expr:
        return self.adjoints.get(value, sp.S.Zero)


def group_products(graph: StepGraph) -> tuple[Group, ...]:
    keyed: dict[tuple, list[Product]] = {}
    for p in graph.products:  # stacked rows share one size: a kernel's column blocks are of one size
        keyed.setdefault((p.level, p.operand, p.kind, p.size), []).append(p)
    groups = []
    for i, ((lvl, operand, _, _), members) in enumerate(keyed.items()):
        groups.append(Group(i, lvl, operand, members[0].operand_size, tuple(members), symbol(f"da__{i}")))
    return tuple(groups)


def derive(graph: StepGraph) -> Derivation:
    groups = group_products(graph)
    group_of = {p.symbol: g for g in groups for p in g.members}
    carries = {s: symbol(f"g__{sym.name}") for s, sym in graph.new.items()}
    dy = symbol("dy__out")  # "__": no spec name can be this symbol (an intermediate may be called dy)
    contributions: dict[sp.Symbol, list[sp.Expr]] = {}

    def add(target: sp.Symbol, term: sp.Expr) -> None:
        if term != 0:
            contributions.setdefault(target, []).append(term)

    for s, sym in graph.new.items():
        add(sym, carries[s])
    add(graph.output, dy)
    # Rewrite f(z) back to the node that holds it, so derivatives reuse forward values.
    reuse = {n.expr: n.symbol for n in graph.nodes if isinstance(n.expr, sp.Function)}
    adjoints: dict[sp.Symbol, sp.Symbol] = {}
    definitions: dict[sp.Symbol, sp.Expr] = {}

    def finish(value: sp.Symbol) -> sp.Symbol | None:
        terms = contributions.pop(value, [])
        if not terms:
            return None
        adj = symbol(f"d__{value.name}")
        adjoints[value] = adj
        definitions[adj] = sp.Add(*terms)
        return adj

    masks = set(graph.masks.values())

    def propagate(adj: sp.Expr, expr: sp.Expr) -> None:
        for v in sorted(expr.free_symbols - masks, key=sp.default_sort_key):  # no gradient flows into a mask
            local = sp.diff(expr, v).xreplace(reuse)
            add(v, adj * local)

    done_groups = set()
    # Walk the step backwards: nodes and products interleaved in reverse creation order.
    node_expr = {n.symbol: n.expr for n in graph.nodes}
    for value in reversed(graph.order):
        adj = finish(value)
        if value in group_of:
            g = group_of[value]
            if g.index not in done_groups and g.operand_size != "input":
                done_groups.add(g.index)
                propagate(g.da, g.operand)
            continue
        if adj is not None:
            propagate(adj, node_expr[value])
    # What is left are leaves: previous states, vector parameters, hoisted products.
    for leaf in list(graph.prev.values()) + list(graph.vectors.values()):
        finish(leaf)
    dx_terms = {}
    for g in groups:
        if g.operand_size == "input":
            dx_terms[g.index] = g.da * sp.diff(g.operand, graph.x)
    assert not contributions, contributions
    return Derivation(graph, groups, carries, dy, adjoints, definitions, dx_terms)
