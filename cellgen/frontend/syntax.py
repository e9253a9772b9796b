"""The syntax tree of a `.cell` file. Every node knows its line and column."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Num:
    text: str  # kept as written so the value is read exactly (as a rational)
    line: int
    col: int


@dataclass(frozen=True)
class Name:
    id: str
    primed: bool
    line: int
    col: int
    size: Name | None = None  # a declared size, `h[proj]`: in a declaration or an equation's target


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or '+'
    operand: "Expr"
    line: int
    col: int


@dataclass(frozen=True)
class Binary:
    op: str  # '+', '-', '*', '/', '**'
    left: "Expr"
    right: "Expr"
    line: int
    col: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["Expr", ...]
    line: int
    col: int


@dataclass(frozen=True)
class MatVec:
    matrix: "Expr"  # the checker insists on a parameter name
    operand: "Expr"
    line: int
    col: int


Expr = Union[Num, Name, Unary, Binary, Call, MatVec]


@dataclass(frozen=True)
class Decl:
    """`cell NAME`, `input NAME`, `state A, B`, `output NAME`, `param A, B`, `mask A, B [per sequence]`."""
    keyword: str
    names: tuple[Name, ...]
    line: int
    col: int
    per: str = ""  # a mask's: "step" (a value at every step) or "sequence" (the same at every step)


@dataclass(frozen=True)
class Init:
    target: Name
    value: Num
    negative: bool
    line: int
    col: int


@dataclass(frozen=True)
class Equation:
    target: Name  # primed when it updates a state
    expr: Expr
    line: int
    col: int


Statement = Union[Decl, Init, Equation]


@dataclass(frozen=True)
class SpecFile:
    path: str
    statements: tuple[Statement, ...]
    broken_targets: tuple[Name, ...] = ()  # targets of lines that failed to parse


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Call):
        return e.args
    if isinstance(e, MatVec):
        return (e.matrix, e.operand)
    return ()


def walk(e: Expr):
    """Every node of an expression, iteratively (deep nesting must not hit Python's recursion limit)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def start(e: Expr) -> Expr:
    """The leftmost node of an expression: where a person sees it begin."""
    while isinstance(e, (Binary, MatVec)):
        e = e.left if isinstance(e, Binary) else e.matrix
    return e
