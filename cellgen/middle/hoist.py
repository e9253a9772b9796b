"""Step graph -> step graph: the input's normalizations move out of the recurrence.

Pass `hoist_input_norms`. A value made of the input alone (its products `U @ x`, means of
them, vector parameters and constants) does not depend on the states, so it can be
computed for all steps at once before the loop, over the [T * B] rows, instead of inside
every step; its gradient likewise after BPTT. That only pays where the value holds a mean
(a layer norm of `U @ x`): a mean is a barrier inside a step (a reduction per batch row
between two kernels), and a layer-normalized LSTM spends eight of the eighteen means of
its forward step on the input side. A sum `U @ x + b` alone stays in the
step, where `fuse_sums` already folds it into the input products.

The rewrite names each largest input-only term that holds a mean (`gx_i * (U_i @ x - mx) /
sx + b_i` in a gate's sum) as a node of its own, a *boundary* value: the step reads it from
the tape, and BPTT writes its gradient to a stream that the stage after the loop takes up.
It applies only when the two sides meet at the boundary alone: every value the input stage
computes has all of its users in that stage (else its gradient would need both), and no
product's operand reads the stage (the products stay as `lower` made them).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..frontend.checker import INPUT
from .lower import Hoisting, Node, StepGraph, symbol


def hoist(graph: StepGraph) -> StepGraph:
    """The graph with its input-side normalizations as boundary nodes (graph.hoisting says
    which); the graph unchanged when there is none, or the two sides meet elsewhere."""
    means = {p.symbol: p for p in graph.products if p.kind == "mean"}
    input_products = {p.symbol for p in graph.products if p.kind == "matvec" and p.operand_size == INPUT}
    node_expr = {n.symbol: n.expr for n in graph.nodes if not n.is_state}
    constant_leaves = {graph.x} | input_products | set(graph.vectors.values())
    input_only: dict[sp.Symbol, bool] = {}
    has_mean: dict[sp.Symbol, bool] = {}
    for s in graph.order:  # each after what it reads
        if s in means:
            reads = means[s].operand.free_symbols
        elif s in node_expr:
            reads = node_expr[s].free_symbols
        else:
            continue
        input_only[s] = all(v in constant_leaves or input_only.get(v, False) for v in reads)
        has_mean[s] = s in means or any(has_mean.get(v, False) for v in reads)

    def hoistable(e: sp.Expr) -> bool:
        free = e.free_symbols
        return bool(free) and all(v in constant_leaves or input_only.get(v, False) for v in free) \
            and any(has_mean.get(v, False) for v in free)

    boundary: dict[sp.Expr, sp.Symbol] = {}
    owner: dict[sp.Symbol, sp.Symbol] = {}  # boundary node -> the node it was taken from

    def name(e: sp.Expr, user: sp.Symbol) -> sp.Symbol:
        if e not in boundary:
            boundary[e] = symbol(f"xterm__{len(boundary) + 1}")
            owner[boundary[e]] = user
        return boundary[e]

    def split(e: sp.Expr, user: sp.Symbol) -> sp.Expr:
        if hoistable(e):
            return name(e, user)
        if isinstance(e, (sp.Add, sp.Mul)):
            inner = [a for a in e.args if hoistable(a) or (a.free_symbols and _leaves_only(a, constant_leaves))]
            if any(hoistable(a) for a in inner):
                rest = [split(a, user) for a in e.args if a not in inner]
                return e.func(name(e.func(*inner), user), *rest)
        if e.args:
            return e.func(*(split(a, user) for a in e.args))
        return e

    nodes = [n if n.symbol in node_expr and input_only[n.symbol] else replace(n, expr=split(n.expr, n.symbol))
             for n in graph.nodes]
    if not boundary:
        return graph
    terms = {s: e for e, s in boundary.items()}
    # The stage: the boundary nodes and everything input-only they read, down to x.
    stage: set[sp.Symbol] = set()
    stack = list(terms)
    while stack:
        s = stack.pop()
        if s in stage or s == graph.x:
            continue
        stage.add(s)
        expr = terms.get(s, node_expr.get(s))
        if s in means:
            expr = means[s].operand
        if expr is not None:
            stack.extend(expr.free_symbols)
    users: dict[sp.Symbol, set] = {}
    for n in nodes:
        for v in n.expr.free_symbols:
            users.setdefault(v, set()).add(n.symbol)
    for s, e in terms.items():
        for v in e.free_symbols:
            users.setdefault(v, set()).add(s)
    for p in graph.products:
        for v in p.operand.free_symbols:
            users.setdefault(v, set()).add(p.symbol)
    if any(users.get(s, set()) - stage for s in stage - set(terms)):
        return graph  # a stage value read inside the step as well: its gradient would need both
    # Boundary nodes go right before the first node that reads them: after all they read.
    by_user: dict[sp.Symbol, list[sp.Symbol]] = {}
    for s in terms:
        by_user.setdefault(owner[s], []).append(s)
    display = dict(graph.display)
    new_nodes: list[Node] = []
    for n in nodes:
        for s in by_user.get(n.symbol, ()):
            new_nodes.append(Node(s, terms[s], s.name, False, size=graph.size_of(n)))
            display[s] = f"xterm{s.name.rsplit('__', 1)[1]}"
        new_nodes.append(n)
    order: list[sp.Symbol] = []
    for s in graph.order:
        order.extend(by_user.get(s, ()))
        order.append(s)
    kept_stage = stage - {graph.x}
    changes = tuple(f"{display[s]} = {_show(terms[s], display)} is computed before the loop" for s in terms)
    return replace(graph, nodes=tuple(new_nodes), order=tuple(order), display=display,
                   hoisting=Hoisting(frozenset(kept_stage), tuple(terms), changes))


def _leaves_only(e: sp.Expr, leaves: set) -> bool:
    """A term of constants alone (a bias b_i): it joins the input-only term it stands beside."""
    return e.free_symbols <= leaves


def _show(e: sp.Expr, display: dict) -> str:
    return str(e.xreplace({s: sp.Symbol(display.get(s, s.name)) for s in e.free_symbols}))
