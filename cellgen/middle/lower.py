"""Checked cell -> step graph: one SymPy expression per named value of one time step.

Matrix-vector products become opaque symbols (`mv__W`), each remembering its operand; so
does `mean(v)` (`mean__1`), the product of v with the constant matrix J / H (every entry
1 / H): a per-row reduction is a barrier inside a step just as a product is, and its
adjoint is the same reduction of the mean's adjoint. `layernorm` is written with `mean`.
A product's *level* says when in a step it can run: level 0 products have an input-sized
operand and run for all steps at once before the time loop; a product of level k needs
products of level k-1 first. Element-wise work between products is what the kernels do.
"""
from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass

import sympy as sp

from ..errors import Diagnostic, SpecError
from ..frontend.checker import HIDDEN, INPUT, REDUCTIONS, SCALAR, Cell, fold
from ..frontend.syntax import Call, Expr, MatVec, Name, Num, Unary
from .functions import apply

# Globals a kernel reads: a local of the same name would shadow them.
_RESERVED = set(dir(builtins)) | {"np", "numba", "math"}


def ident(name: str) -> str:
    """A spec name as a Python identifier in generated code, injective and collision-free.

    Names the generator makes itself start with '_' or contain '__' (middle/names.py); a
    user name that could be mistaken for one, or for a keyword or builtin, gets the prefix
    '_u_', which no generated name has.
    """
    if name.startswith("_") or "__" in name or keyword.iskeyword(name) or keyword.issoftkeyword(name) \
            or name in _RESERVED:
        return "_u_" + name
    return name


def symbol(code_name: str) -> sp.Symbol:
    return sp.Symbol(code_name, real=True)


LAYERNORM_EPS = sp.Rational(1, 100000)  # torch.nn.functional.layer_norm's default


@dataclass(frozen=True)
class Product:
    """`param @ operand`, or `mean(operand)` (kind "mean", no param): an opaque vector in
    the element-wise expressions."""
    symbol: sp.Symbol
    param: str
    operand: sp.Expr
    operand_size: str  # INPUT, HIDDEN or a size the spec names
    level: int
    kind: str = "matvec"  # or "mean"
    size: str = HIDDEN  # the result's: the matrix's rows (a mean is hidden-sized)


@dataclass(frozen=True)
class Node:
    """A named value of the step: an intermediate, or a state's new value."""
    symbol: sp.Symbol
    expr: sp.Expr
    name: str
    is_state: bool
    size: str | None = None  # a node the compiler made (hoist); else the spec's definition has it


@dataclass(frozen=True)
class Hoisting:
    """Values computed before the loop (middle/hoist.py): `stage` is every value the input
    stage computes (means, nodes, and the input products and vector parameters it alone
    reads), `boundary` the nodes of it that the step reads, in step order."""
    stage: frozenset[sp.Symbol] = frozenset()
    boundary: tuple[sp.Symbol, ...] = ()
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepGraph:
    cell: Cell
    x: sp.Symbol
    prev: dict[str, sp.Symbol]  # state name -> its value at t-1
    new: dict[str, sp.Symbol]  # state name -> its value at t
    vectors: dict[str, sp.Symbol]  # vector parameter name -> symbol
    masks: dict[str, sp.Symbol]  # mask name -> symbol: values the caller gives, without gradients
    products: tuple[Product, ...]  # in creation order (operands before products)
    nodes: tuple[Node, ...]  # dependency order
    output: sp.Symbol
    display: dict[sp.Symbol, str]  # how a person reads each symbol
    order: tuple[sp.Symbol, ...]  # products and nodes, each after everything it reads
    hoisting: Hoisting = Hoisting()

    def size_of(self, node: Node) -> str:
        return node.size or self.cell.definition(node.name, node.is_state).size

    @property
    def levels(self) -> int:
        return max((p.level for p in self.products), default=0)


def to_sympy(expr: Expr, resolve) -> sp.Expr:
    def visit(node: Expr, kids: list) -> sp.Expr:
        if isinstance(node, Num):
            return sp.Rational(node.text)
        if isinstance(node, Name):
            return resolve(node)
        if isinstance(node, Unary):
            return -kids[0] if node.op == "-" else kids[0]
        if isinstance(node, Call) and node.func == "layernorm":
            centered = kids[0] - resolve(node, kids[0])
            return centered / sp.sqrt(resolve(node, centered ** 2) + LAYERNORM_EPS)
        if isinstance(node, Call) and node.func in REDUCTIONS:
            return resolve(node, kids[0])
        if isinstance(node, Call):
            return apply(node.func, *kids)
        if isinstance(node, MatVec):
            return resolve(node, kids[1])
        a, b = kids
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "**": lambda: a ** b}[node.op]()
    return fold(expr, visit)


def lower(cell: Cell) -> StepGraph:
    x = symbol(ident(cell.input))
    prev = {s: symbol(ident(s)) for s in cell.states}
    new = {s: symbol(ident(s) + "__new") for s in cell.states}
    display: dict[sp.Symbol, str] = {x: cell.input}
    display.update({prev[s]: s for s in cell.states})
    display.update({new[s]: s + "'" for s in cell.states})
    vectors = {p.name: symbol(ident(p.name)) for p in cell.params if not p.is_matrix}
    display.update({vectors[n]: n for n in vectors})
    masks = {m.name: symbol(ident(m.name)) for m in cell.masks}
    display.update({masks[n]: n for n in masks})
    shapes = {p.name: p.shape for p in cell.params if p.is_matrix}
    matrix_uses: dict[str, int] = {}
    products: dict[tuple[str, sp.Expr], Product] = {}
    level: dict[sp.Symbol, int] = {}
    inlined: dict[str, sp.Expr] = {}  # input-sized and constant intermediates are substituted
    named: dict[str, sp.Symbol] = {}

    def level_of(e: sp.Expr) -> int:
        return max((level.get(s, 0) for s in e.free_symbols), default=0)

    def resolve(node, operand=None) -> sp.Expr:
        if isinstance(node, Call):  # mean(operand): the function's name cannot be a parameter's
            key = ("mean", operand)
            if key not in products:
                sym = symbol(f"mean__{sum(p.kind == 'mean' for p in products.values()) + 1}")
                level[sym] = 1 + level_of(operand)
                products[key] = Product(sym, "", operand, HIDDEN, level[sym], "mean")
                order.append(sym)
                shown = _show(operand, display)
                display[sym] = f"mean{shown if shown.startswith('(') and operand in display else '(' + shown + ')'}"
            return products[key].symbol
        if operand is not None:  # a product
            p = node.matrix.id
            key = (p, operand)
            if key not in products:
                matrix_uses[p] = matrix_uses.get(p, 0) + 1
                # mv__W, then mv2__W, ...: '__' keeps it apart from every user name, and the
                # use count stands before it, so no parameter's name can fake another's.
                uses = "" if matrix_uses[p] == 1 else str(matrix_uses[p])
                sym = symbol(f"mv{uses}__{ident(p)}")
                rows, cols = shapes[p]
                lvl = 0 if cols == INPUT else 1 + level_of(operand)
                level[sym] = lvl
                products[key] = Product(sym, p, operand, cols, lvl, size=rows)
                order.append(sym)
                shown = _show(operand, display)
                display[sym] = f"({p} @ {shown if isinstance(operand, sp.Symbol) else '(' + shown + ')'})"
            return products[key].symbol
        if node.id == cell.input:
            return x
        if node.id in prev:
            return new[node.id] if node.primed else prev[node.id]
        if node.id in masks:
            return masks[node.id]
        if node.id in inlined:
            return inlined[node.id]
        if node.id in named:
            return named[node.id]
        return vectors.get(node.id)  # None for a matrix: only its product has a value

    nodes = []
    order: list[sp.Symbol] = []
    for d in cell.definitions:
        e = to_sympy(d.expr, resolve)
        if e.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise SpecError([Diagnostic(d.line, d.col, f"'{d.name}' divides by zero or is not finite",
                                        cell.path)])
        if d.is_state:
            sym = new[d.name]
        elif d.size not in (INPUT, SCALAR):
            sym = symbol(ident(d.name))
            named[d.name] = sym
            display[sym] = d.name
        else:
            inlined[d.name] = e
            continue
        level[sym] = level_of(e)
        nodes.append(Node(sym, e, d.name, d.is_state))
        order.append(sym)
    output = new[cell.output] if cell.output_is_state else named[cell.output]
    return StepGraph(cell, x, prev, new, vectors, masks, tuple(products.values()), tuple(nodes), output, display,
                     tuple(order))


def _show(e: sp.Expr, display: dict) -> str:
    return str(e.xreplace({s: sp.Symbol(display.get(s, s.name)) for s in e.free_symbols}))
