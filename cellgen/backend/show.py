"""The equations of a compiled cell for people: text (the module docstring), LaTeX,
Markdown, and the step's stages as a Graphviz `dot` graph."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..frontend.checker import fold
from ..frontend.syntax import Call, Expr, MatVec, Name, Num, Unary
from ..middle.plan import Plan, describe


@dataclass(frozen=True)
class Equations:
    forward: list[str]
    backward: list[str]
    dx: list[str]
    legend: list[str]


def show_expr(e: Expr) -> str:
    """A spec expression as a person wrote it, with only the parentheses it needs."""
    prec = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "**": 4}

    def visit(node, kids):
        if isinstance(node, Num):
            return node.text, 5
        if isinstance(node, Name):
            return node.id + ("'" if node.primed else ""), 5
        if isinstance(node, Call):
            return f"{node.func}({', '.join(k[0] for k in kids)})", 5
        if isinstance(node, Unary):
            text, p = kids[0]
            return node.op + (text if p >= 3 else f"({text})"), 3
        op = "@" if isinstance(node, MatVec) else node.op
        (lt, lp), (rt, rp) = kids
        p = prec[op]
        left = lt if lp >= p else f"({lt})"
        right = rt if rp > p or (rp == p and op in "+*") else f"({rt})"
        return f"{left} {op} {right}", p
    return fold(e, visit)[0]


def display_names(plan: Plan) -> dict[sp.Symbol, str]:
    d = plan.derivation
    names = dict(d.graph.display)
    for value, adj in d.adjoints.items():
        names[adj] = "d" + names.get(value, value.name)
    for s, carry in d.carries.items():
        names[carry] = f"g_{s}"
    for grp in plan.groups:
        names[grp.da] = f"dA{grp.index}"
    names[d.dy] = "dy"
    return names


def _display(e: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    return str(e.xreplace({s: sp.Symbol(names.get(s, s.name)) for s in e.free_symbols}))


def equations(plan: Plan) -> Equations:
    d = plan.derivation
    cell = d.graph.cell
    names = display_names(plan)
    forward = [f"{df.name}{chr(39) if df.is_state else ''} = {show_expr(df.expr)}" for df in cell.definitions]
    backward = [f"{names[adj]} = {_display(e, names)}" for adj, e in d.definitions.items()]
    legend = [f"g_{s}: gradient of the loss w.r.t. {s} at step t, handed back by step t+1 "
              "(dfinal at the last step)" for s in cell.states]
    legend.append("dy: gradient of the loss w.r.t. the output at step t (dys[t])")
    legend += [f"{m.name}: a mask the caller gives, " + ("the same at every step" if m.per_sequence else "at step t")
               + " (no gradient flows into it)" for m in cell.masks]
    for grp in plan.groups:
        if grp.is_mean:  # the mean is (J / H) @ v, and J / H is its own transpose
            legend.append(f"dA{grp.index} = the mean over the units of d{names[grp.members[0].symbol]}")
        elif grp.operand_size != "input":
            legend.append(f"dA{grp.index} = [{'; '.join(p.param for p in grp.members)}]^T @ "
                          f"[{'; '.join('d' + names[p.symbol] for p in grp.members)}], one GEMM")
    dx = [f"dx += {_display(t, names)}" for t in d.dx_terms.values()]
    return Equations(forward, backward, dx, legend)


def as_text(plan: Plan) -> str:
    eq = equations(plan)
    cell = plan.derivation.graph.cell
    states = ", ".join(s if cell.state_size(s) == "hidden" else f"{s}[{cell.state_size(s)}]" for s in cell.states)
    lines = [f"cell {cell.name}: input {cell.input}, states {states}, output {cell.output}", "",
             "forward (one step):"]
    lines += ["  " + e for e in eq.forward]
    lines += ["", "backward (derived):"] + ["  " + e for e in eq.backward + eq.dx]
    lines += ["", "where"] + ["  " + e for e in eq.legend]
    g = plan.derivation.graph
    lines += ["", "products (one stacked GEMM per group):"]
    lines += [f"  group {grp.index}: {describe(grp, g.display)}" for grp in plan.groups]
    lines += ["", "planner passes:"]
    for p in plan.passes:
        done = "; ".join(p.changes) if p.changes else ("off" if not p.enabled else "nothing to do")
        lines.append(f"  {p.name}: {done}")
    return "\n".join(lines)


def _latex_names(plan: Plan) -> dict[sp.Symbol, str]:
    d = plan.derivation
    g = d.graph

    def tex(name: str) -> str:
        base, _, sub = name.partition("_")
        return f"{base}_{{{sub}}}" if sub else base

    names = {g.x: tex(g.cell.input)}
    names.update({sym: tex(s) for s, sym in g.prev.items()})
    names.update({sym: tex(s) + "'" for s, sym in g.new.items()})
    names.update({sym: tex(n) for n, sym in g.vectors.items()})
    for n in g.nodes:
        if not n.is_state:
            names[n.symbol] = tex(n.name)
    for p in g.products:
        operand = sp.latex(p.operand, symbol_names=names)
        names[p.symbol] = f"{tex(p.param)} {operand if isinstance(p.operand, sp.Symbol) else '(' + operand + ')'}"
    for value, adj in d.adjoints.items():
        names[adj] = rf"\bar{{{names.get(value, value.name)}}}" if value in g.prev.values() or \
            value in g.vectors.values() else rf"\overline{{{names.get(value, value.name)}}}"
    for s, carry in d.carries.items():
        names[carry] = rf"\bar{{{tex(s)}}}_{{t+1}}"
    names[d.dy] = r"\bar{y}"
    for grp in plan.groups:
        names[grp.da] = rf"\overline{{A_{{{grp.index}}}}}"
    return names


def as_latex(plan: Plan) -> str:
    d = plan.derivation
    g = d.graph
    names = _latex_names(plan)
    tex = lambda e: sp.latex(e, symbol_names=names)
    forward = [f"{names[n.symbol]} &= {tex(n.expr)}" for n in g.nodes]
    backward = [f"{names[adj]} &= {tex(e)}" for adj, e in d.definitions.items()]
    backward += [rf"\bar{{{names[g.x]}}} &\mathrel{{+}}= {tex(t)}" for t in d.dx_terms.values()]
    legend = [rf"\overline{{A_{{{grp.index}}}}} &= [{'; '.join(p.param for p in grp.members)}]^\top"
              rf" [{'; '.join(names[d.adjoint(p.symbol)] for p in grp.members)}]"
              for grp in plan.groups if grp.operand_size != "input"]
    body = r" \\" + "\n"
    return ("% forward\n\\begin{aligned}\n" + body.join(forward) + "\n\\end{aligned}\n\n"
            "% backward (\\bar{v}: gradient of the loss with respect to v)\n\\begin{aligned}\n"
            + body.join(backward + legend) + "\n\\end{aligned}\n")


def as_markdown(plan: Plan) -> str:
    eq = equations(plan)
    cell = plan.derivation.graph.cell
    rows = "\n".join(f"| `{p.name}` | {' x '.join(p.shape)} |" for p in cell.params)
    return (f"# `{cell.name}`\n\ninput `{cell.input}`, states {', '.join(f'`{s}`' for s in cell.states)}, "
            f"output `{cell.output}`\n\n## Forward\n\n```\n" + "\n".join(eq.forward) + "\n```\n\n"
            "## Backward (derived)\n\n```\n" + "\n".join(eq.backward + eq.dx) + "\n```\n\n"
            + "\n".join(f"- {line}" for line in eq.legend) + "\n\n## Parameters\n\n| name | shape |\n|---|---|\n"
            + rows + "\n")


def as_dot(plan: Plan) -> str:
    """The step's stages: products by level (each a GEMM group) and the values between them."""
    g = plan.derivation.graph
    names = dict(g.display)
    quote = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [f"digraph {quote(g.cell.name)} {{", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    leaves = [g.x] + list(g.prev.values()) + list(g.vectors.values())
    for s in leaves:
        lines.append(f"  {quote(s.name)} [label={quote(names[s])}, shape=plaintext];")
    for grp in plan.groups:
        stage = "before the loop" if grp.operand_size == "input" else f"level {grp.level}"
        lines.append(f"  subgraph {quote('cluster_' + str(grp.index))} {{ label={quote(f'GEMM {grp.index}: {stage}')}; "
                     f"style=dashed;")
        for p in grp.members:
            lines.append(f"    {quote(p.symbol.name)} [label={quote(names[p.symbol])}, shape=box];")
        lines.append("  }")
    for n in g.nodes:
        shape = "doublecircle" if n.is_state else "ellipse"
        lines.append(f"  {quote(n.symbol.name)} [label={quote(names[n.symbol])}, shape={shape}];")
    for p in g.products:
        for s in sorted(p.operand.free_symbols, key=lambda s: s.name):
            lines.append(f"  {quote(s.name)} -> {quote(p.symbol.name)};")
    for n in g.nodes:
        for s in sorted(n.expr.free_symbols, key=lambda s: s.name):
            lines.append(f"  {quote(s.name)} -> {quote(n.symbol.name)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
