"""Spec -> spec: the regularizers as equations, and a syntax tree printed back as a spec.

`regularize` writes what a regularizer does to a cell into the cell itself, as masks the
caller gives (`mask` lines): the result is an ordinary spec that the whole compiler,
`cellgen show` and the gradient checks handle like any other. No gradient code is
written here; the derivation treats a mask as a value without gradient.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import Reporter
from .checker import Cell, check
from .parser import parse
from .syntax import Binary, Call, Decl, Equation, Expr, Init, MatVec, Name, Num, SpecFile, Statement, Unary, walk

# Binding strength as the parser reads it: a child that binds less gets parentheses.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "unary": 3, "**": 4}
_ATOM = 5


def _precedence(e: Expr) -> int:
    if isinstance(e, Binary):
        return _PRECEDENCE[e.op]
    if isinstance(e, MatVec):
        return _PRECEDENCE["@"]
    if isinstance(e, Unary):
        return _PRECEDENCE["unary"]
    return _ATOM


def expression_text(e: Expr) -> str:
    """An expression as the spec language writes it, with the parentheses it needs."""
    def wrapped(child: Expr, needs: bool) -> str:
        text = expression_text(child)
        return f"({text})" if needs else text

    if isinstance(e, Num):
        return e.text
    if isinstance(e, Name):
        return e.id + ("'" if e.primed else "")
    if isinstance(e, Call):
        return f"{e.func}({', '.join(expression_text(a) for a in e.args)})"
    if isinstance(e, Unary):
        return e.op + wrapped(e.operand, _precedence(e.operand) < _PRECEDENCE["unary"])
    op = "@" if isinstance(e, MatVec) else e.op
    left, right = (e.matrix, e.operand) if isinstance(e, MatVec) else (e.left, e.right)
    mine = _PRECEDENCE[op]
    if op == "**":  # right-associative, and binds tighter than a unary minus on its left
        return f"{wrapped(left, _precedence(left) <= mine)} ** {wrapped(right, _precedence(right) < mine)}"
    # left-associative: a right operand of the same strength keeps its parentheses
    return f"{wrapped(left, _precedence(left) < mine)} {op} {wrapped(right, _precedence(right) <= mine)}"


def statement_text(s: Statement) -> str:
    if isinstance(s, Decl):
        per = " per sequence" if s.per == "sequence" else ""
        return f"{s.keyword} {', '.join(_declared(n) for n in s.names)}{per}"
    if isinstance(s, Init):
        return f"init {s.target.id} = {'-' if s.negative else ''}{s.value.text}"
    return f"{_declared(s.target)} = {expression_text(s.expr)}"


def _declared(n: Name) -> str:
    return expression_text(n) + (f"[{n.size.id}]" if n.size else "")


def spec_text(spec: SpecFile, header: Iterable[str] = ()) -> str:
    """A parsed spec as text (comments are not kept: `header` lines come first, as comments)."""
    return "".join(f"# {line}\n" for line in header) + "".join(statement_text(s) + "\n" for s in spec.statements)


def _parse_checked(text: str, path: str) -> tuple[SpecFile, Cell]:
    report = Reporter(path)
    spec = parse(text, path, report)
    cell = check(spec, report)
    report.raise_if_any()
    return spec, cell


def _replace(e: Expr, change) -> Expr:
    """e with every node n that change(n) answers (not None) replaced, bottom-up."""
    if isinstance(e, Unary):
        e = Unary(e.op, _replace(e.operand, change), e.line, e.col)
    elif isinstance(e, Binary):
        e = Binary(e.op, _replace(e.left, change), _replace(e.right, change), e.line, e.col)
    elif isinstance(e, Call):
        e = Call(e.func, tuple(_replace(a, change) for a in e.args), e.line, e.col)
    elif isinstance(e, MatVec):
        e = MatVec(e.matrix, _replace(e.operand, change), e.line, e.col)
    new = change(e)
    return e if new is None else new


@dataclass(frozen=True)
class Regularized:
    text: str  # the spec with its masks
    zoneout: dict[str, str]  # state -> its zoneout mask (per step)
    dropout: tuple[str, ...]  # the recurrent dropout masks (per sequence), one per distinct operand


def regularize(text: str, path: str, zoneout: Iterable[str] = (), recurrent_dropout: bool = False) -> Regularized:
    """The spec of `text` with masks for zoneout on the states `zoneout` and for variational
    recurrent dropout.

    Zoneout (Krueger et al. 2017): a state's update `s' = E` becomes `s_new = E` and
    `s' = zoneout_s * s + (1 - zoneout_s) * s_new`, a mask per step; within the step the
    other equations read s_new, as in the paper (h' = o * tanh(c') reads the new c before
    zoneout). Recurrent dropout (Gal & Ghahramani 2016): the operand v of every product
    whose operand depends on a state becomes `dropout_k * v`, a mask per sequence; products
    that share an operand share its mask (and stay one stacked product).
    """
    spec, cell = _parse_checked(text, path)
    zoneout = tuple(zoneout)
    unknown = [s for s in zoneout if s not in cell.states]
    if unknown:
        raise ValueError(f"zoneout names {unknown}, which are not states of {cell.name} (states: {cell.states})")
    taken = {n.id for s in spec.statements for n in _names(s)}

    def fresh(base: str) -> str:
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    raw = {s: fresh(f"{s}_new") for s in cell.states if s in zoneout}
    zone_masks = {s: fresh(f"zoneout_{s}") for s in raw}
    recurrent = _state_dependent(cell)
    dropout_masks: dict[str, str] = {}  # operand text -> its mask

    def unzoned(n: Expr):
        if isinstance(n, Name) and n.primed and n.id in raw:
            return Name(raw[n.id], False, n.line, n.col)
        return None

    def dropped(n: Expr):
        if not isinstance(n, MatVec) or not any(isinstance(v, Name) and (v.primed or v.id in recurrent)
                                                for v in walk(n.operand)):
            return None  # not a recurrent product: its operand does not depend on a state
        key = expression_text(n.operand)
        if key not in dropout_masks:
            plain = n.operand.id if isinstance(n.operand, Name) and not n.operand.primed else str(len(dropout_masks))
            dropout_masks[key] = fresh(f"dropout_{plain}")
        mask = Name(dropout_masks[key], False, n.line, n.col)
        return MatVec(n.matrix, Binary("*", mask, n.operand, n.line, n.col), n.line, n.col)

    statements: list[Statement] = []
    zoned_updates: list[Statement] = []
    for s in spec.statements:
        if isinstance(s, Decl) and s.keyword == "cell":
            continue
        if isinstance(s, Equation):
            expr = _replace(s.expr, unzoned)
            expr = _replace(expr, dropped) if recurrent_dropout else expr
            target = s.target
            if target.primed and target.id in raw:
                z = Name(zone_masks[target.id], False, s.line, s.col)
                keep = Binary("*", z, Name(target.id, False, s.line, s.col), s.line, s.col)
                change = Binary("*", Binary("-", Num("1", s.line, s.col), z, s.line, s.col),
                                Name(raw[target.id], False, s.line, s.col), s.line, s.col)
                zoned_updates.append(Equation(target, Binary("+", keep, change, s.line, s.col), s.line, s.col))
                target = Name(raw[target.id], False, target.line, target.col)
            s = Equation(target, expr, s.line, s.col)
        statements.append(s)
    at = (1, 1)
    declarations = [Decl("cell", (Name(fresh(f"{cell.name}_regularized"), False, *at),), *at)]
    if zone_masks:
        declarations.append(Decl("mask", tuple(Name(m, False, *at) for m in zone_masks.values()), *at, "step"))
    if dropout_masks:
        declarations.append(Decl("mask", tuple(Name(m, False, *at) for m in dropout_masks.values()), *at, "sequence"))
    what = [f"zoneout on {', '.join(zone_masks)}"] if zone_masks else []
    what += ["recurrent dropout"] if dropout_masks else []
    header = [f"{cell.name} with {' and '.join(what) or 'no regularizer'}, written by cellgen.frontend.rewrite"]
    text = spec_text(SpecFile(path, tuple(declarations + statements + zoned_updates)), header)
    return Regularized(text, zone_masks, tuple(dropout_masks.values()))


def _state_dependent(cell: Cell) -> set[str]:
    """The states and the intermediates that read one, directly or through others."""
    found = set(cell.states)
    changed = True
    while changed:  # definitions are sorted, but a state's new value may come later than its readers
        changed = False
        for d in cell.definitions:
            if d.name not in found and any(isinstance(v, Name) and (v.primed or v.id in found) for v in walk(d.expr)):
                found.add(d.name)
                changed = True
    return found


def _names(s: Statement):
    if isinstance(s, Decl):
        yield from s.names
    elif isinstance(s, Init):
        yield s.target
    else:
        yield s.target
        yield from (n for n in walk(s.expr) if isinstance(n, Name))
