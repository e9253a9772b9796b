"""Syntax tree -> checked cell: names resolved, equations sorted, sizes inferred.

The checker is where a spec's meaning is fixed. Whatever it lets through, the later
stages can compile without further questions; whatever it refuses is reported with
the line and column of the part that is wrong.
"""
from __future__ import annotations

import keyword
import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, TypeVar

from ..errors import Diagnostic, Reporter
from .syntax import Binary, Call, Decl, Equation, Expr, Init, MatVec, Name, Num, SpecFile, Unary, children, start, walk

FUNCTIONS = ("sigmoid", "tanh", "relu", "softplus", "exp", "log", "sqrt", "abs", "logsigmoid", "max", "min",
             "mean", "layernorm")
ARITY = {"max": 2, "min": 2}  # the others take one argument
REDUCTIONS = ("mean", "layernorm")  # over the hidden units of one batch row
INPUT, HIDDEN, SCALAR, INVALID = "input", "hidden", "scalar", "invalid"
# A generated module must never take the place of a module the program imports.
RESERVED_MODULE_NAMES = frozenset(sys.stdlib_module_names) | {"numpy", "numba", "cellgen", "generated", "scipy",
                                                              "llvmlite", "torch", "sympy", "jinja2"}


@dataclass(frozen=True)
class Param:
    name: str
    shape: tuple[str, ...]  # ("hidden",), ("hidden", "hidden") or ("hidden", "input")

    @property
    def is_matrix(self) -> bool:
        return len(self.shape) == 2


@dataclass(frozen=True)
class Mask:
    """A value the caller gives, hidden-sized, per batch row: at every step (a zoneout mask)
    or once per sequence (a dropout mask kept for the whole sequence). It has no gradient."""
    name: str
    per_sequence: bool
    size: str = HIDDEN


@dataclass(frozen=True)
class Definition:
    """`name = expr` (an intermediate) or `name' = expr` (a state's new value)."""
    name: str
    is_state: bool
    expr: Expr
    size: str
    line: int
    col: int


@dataclass(frozen=True)
class Cell:
    name: str
    path: str
    input: str
    states: tuple[str, ...]
    output: str
    output_is_state: bool
    definitions: tuple[Definition, ...]  # sorted so that every name is defined before use
    params: tuple[Param, ...]  # in order of first use
    inits: dict[str, Fraction] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()  # it compiles, but may not say what was meant
    masks: tuple[Mask, ...] = ()  # in declaration order
    state_sizes: tuple[str, ...] = ()  # each state's size, in `states` order

    def state_size(self, state: str) -> str:
        return self.state_sizes[self.states.index(state)] if self.state_sizes else HIDDEN

    @property
    def output_size(self) -> str:
        return self.state_size(self.output) if self.output_is_state else self.definition(self.output, False).size

    @property
    def sizes(self) -> tuple[str, ...]:
        """The sizes beyond input and hidden, in order of first appearance."""
        found = [*self.state_sizes, *(m.size for m in self.masks), *(d.size for d in self.definitions),
                 *(dim for p in self.params for dim in p.shape)]
        return tuple(dict.fromkeys(s for s in found if s not in (INPUT, HIDDEN, SCALAR, INVALID)))

    def definition(self, name: str, is_state: bool) -> Definition:
        return next(d for d in self.definitions if d.name == name and d.is_state == is_state)


T = TypeVar("T")


def fold(expr: Expr, visit: Callable[[Expr, list], T]) -> T:
    """Post-order evaluation without recursion: flat chains of thousands of terms are fine."""
    results: dict[int, T] = {}
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        kids = children(node)
        if ready or not kids:
            results[id(node)] = visit(node, [results.pop(id(k)) for k in kids])
        else:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
    return results[id(expr)]


def parse_number(text: str) -> Fraction:
    return Fraction(text)


def fits_a_float(value: Fraction) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def is_constant(e: Expr) -> bool:
    return isinstance(e, Num) or (isinstance(e, Unary) and is_constant(e.operand))


def _valid_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii()


class _Checker:
    def __init__(self, spec: SpecFile, report: Reporter):
        self.spec = spec
        self.r = report
        self.decls: dict[str, list[Decl]] = {}
        self.inits: list[Init] = []
        self.equations: list[Equation] = []
        for s in spec.statements:
            if isinstance(s, Decl):
                self.decls.setdefault(s.keyword, []).append(s)
            elif isinstance(s, Init):
                self.inits.append(s)
            else:
                self.equations.append(s)

    def err(self, node, message: str) -> None:
        self.r.error(node.line, node.col, message)

    def single(self, keyword_text: str) -> Decl | None:
        found = self.decls.get(keyword_text, [])
        for extra in found[1:]:
            self.err(extra, f"a second '{keyword_text}' line (the first is at line {found[0].line})")
        return found[0] if found else None

    # -- the whole check -------------------------------------------------------
    def run(self) -> Cell | None:
        cell_name = self.cell_name()
        input_decl = self.single("input")
        if input_decl is None:
            self.r.error(1, 1, "no 'input NAME' line: a cell has exactly one input")
        self.input = input_decl.names[0].id if input_decl else None
        state_decls = self.decls.get("state", [])
        if not state_decls:
            self.r.error(1, 1, "no 'state NAME, ...' line: a cell has at least one state")
        self.states: dict[str, Name] = {}
        for d in state_decls:
            for n in d.names:
                self.declare_state(n)
        self.masks: dict[str, tuple[Name, str]] = {}
        for d in self.decls.get("mask", []):
            for n in d.names:
                self.declare_mask(n, d.per)
        self.intermediates: dict[str, Equation] = {}
        self.updates: dict[str, Equation] = {}
        for eq in self.equations:
            self.define(eq)
        broken = {(n.id, n.primed) for n in self.spec.broken_targets}
        for s, n in self.states.items():
            if s not in self.updates and (s, True) not in broken:
                self.err(n, f"state '{s}' has no update: add a line {s}' = ...")
        for eq in self.equations:
            self.check_names(eq.expr)
        declared = self.declared_params()
        self.params = self.collect_params()
        if declared is None:
            self.warn_near_misses()
        else:
            self.check_declared(declared)
        order = self.sort()
        self.state_sizes, self.mask_sizes = {}, {}
        sizes = self.infer_sizes(order) if order is not None else {}
        output, output_is_state = self.check_output(sizes)
        inits = self.check_inits()
        self.check_masks_used()
        if self.r.diagnostics:
            return None
        definitions = tuple(
            Definition(eq.target.id, eq.target.primed, eq.expr, sizes[(eq.target.id, eq.target.primed)],
                       eq.line, eq.col) for eq in order)
        masks = tuple(Mask(name, per == "sequence", self.mask_sizes[name]) for name, (_, per) in self.masks.items())
        return Cell(cell_name, self.spec.path, self.input, tuple(self.states), output, output_is_state,
                    definitions, tuple(self.params.values()), inits, tuple(sorted(self.r.warnings)), masks,
                    tuple(self.state_sizes[s] for s in self.states))

    def cell_name(self) -> str:
        decl = self.single("cell")
        if decl is not None:
            name, where = decl.names[0].id, decl.names[0]
        else:
            name, where = Path(self.spec.path).stem, None
        problem = None
        if not _valid_identifier(name):
            problem = f"the file name gives the cell name '{name}', which is not a name: add a 'cell NAME' line"
        elif keyword.iskeyword(name):
            problem = f"cell name '{name}' is a Python keyword and cannot name a module"
        elif name in RESERVED_MODULE_NAMES:
            problem = f"cell name '{name}' is the name of a module Python programs import; choose another"
        if problem:
            if where is None:
                self.r.error(1, 1, problem)
            else:
                self.err(where, problem)
        return name

    def declare_state(self, n: Name) -> None:
        if n.id in FUNCTIONS:
            self.err(n, f"'{n.id}' is a function and cannot name a state")
        elif n.id == self.input:
            self.err(n, f"'{n.id}' is defined twice: it is already the input")
        elif n.id in self.states:
            first = self.states[n.id]
            self.err(n, f"state '{n.id}' is declared twice (first at {first.line}:{first.col})")
        else:
            self.states[n.id] = n

    def declare_mask(self, n: Name, per: str) -> None:
        if n.id in FUNCTIONS:
            self.err(n, f"'{n.id}' is a function and cannot name a mask")
        elif n.id == self.input or n.id in self.states:
            self.err(n, f"'{n.id}' is defined twice: it is already {'the input' if n.id == self.input else 'a state'}")
        elif n.id in self.masks:
            first = self.masks[n.id][0]
            self.err(n, f"mask '{n.id}' is declared twice (first at {first.line}:{first.col})")
        else:
            self.masks[n.id] = (n, per)

    def check_masks_used(self) -> None:
        used = {node.id for eq in self.equations for node in walk(eq.expr) if isinstance(node, Name)}
        for name, (n, _) in self.masks.items():
            if name not in used:
                self.err(n, f"mask '{name}' is declared but never used")

    def define(self, eq: Equation) -> None:
        t = eq.target
        if t.primed:
            if t.id not in self.states:
                self.err(t, f"prime on '{t.id}', which is not a state (states: {', '.join(self.states) or 'none'})")
            elif t.id in self.updates:
                first = self.updates[t.id]
                self.err(t, f"state '{t.id}' is updated twice (first at {first.line}:{first.col})")
            else:
                self.updates[t.id] = eq
            return
        if t.id in FUNCTIONS:
            self.err(t, f"'{t.id}' is a function and cannot be assigned")
        elif t.id == self.input:
            self.err(t, f"'{t.id}' is the input and cannot be assigned")
        elif t.id in self.states:
            self.err(t, f"'{t.id}' is a state: its new value is written {t.id}' = ...")
        elif t.id in self.masks:
            self.err(t, f"'{t.id}' is a mask: the caller gives its values, a spec cannot assign it")
        elif t.id in self.intermediates:
            first = self.intermediates[t.id]
            self.err(t, f"'{t.id}' is defined twice (first at {first.line}:{first.col})")
        else:
            self.intermediates[t.id] = eq

    def is_param_name(self, name: str) -> bool:
        return (name != self.input and name not in self.states and name not in self.intermediates
                and name not in FUNCTIONS and name not in self.masks)

    def check_names(self, expr: Expr) -> None:
        for node in walk(expr):
            if isinstance(node, Name):
                if node.primed and node.id not in self.states:
                    self.err(node, f"prime on '{node.id}', which is not a state")
                elif node.id in FUNCTIONS:
                    self.err(node, f"'{node.id}' is a function: call it as {node.id}(...)")
            elif isinstance(node, Call):
                if node.func not in FUNCTIONS:
                    self.err(node, f"unknown function '{node.func}' (known: {', '.join(FUNCTIONS)})")
                elif len(node.args) != ARITY.get(node.func, 1):
                    wanted = ARITY.get(node.func, 1)
                    self.err(node, f"'{node.func}' takes {'one argument' if wanted == 1 else f'{wanted} arguments'}, "
                                   f"not {len(node.args)}")
            elif isinstance(node, MatVec):
                m = node.matrix
                if not (isinstance(m, Name) and not m.primed and self.is_param_name(m.id)):
                    self.err(start(m), "the left side of '@' must be a parameter (a weight matrix)")
            elif isinstance(node, Binary) and node.op == "**" and not is_constant(node.right):
                self.err(start(node.right), "the exponent of '**' must be a number")

    def collect_params(self) -> dict[str, Param]:
        """Every name that is nothing else is a parameter; how it is used gives its shape."""
        uses: dict[str, list[tuple[str, Expr]]] = {}
        matrix_nodes = set()
        for eq in self.equations:
            for node in walk(eq.expr):
                if isinstance(node, MatVec) and isinstance(node.matrix, Name):
                    matrix_nodes.add(id(node.matrix))
            for node in walk(eq.expr):
                if isinstance(node, Name) and not node.primed and self.is_param_name(node.id):
                    kind = "matrix" if id(node) in matrix_nodes else "vector"
                    uses.setdefault(node.id, []).append((kind, node))
        params = {}
        for name, used in uses.items():
            first_kind, first = used[0]
            for kind, node in used[1:]:
                if kind != first_kind:
                    self.err(node, f"parameter '{name}' is used as a {kind} here and as a {first_kind} "
                                   f"at {first.line}:{first.col}")
                    break
            params[name] = Param(name, ("hidden", "?") if first_kind == "matrix" else ("hidden",))
        return params

    def declared_params(self) -> dict[str, Name] | None:
        """The names of the `param` lines; None when there is none (any name may be one)."""
        decls = self.decls.get("param")
        if not decls:
            return None
        declared: dict[str, Name] = {}
        for d in decls:
            for n in d.names:
                if n.id in declared:
                    first = declared[n.id]
                    self.err(n, f"parameter '{n.id}' is declared twice (first at {first.line}:{first.col})")
                elif not self.is_param_name(n.id):
                    what = ("the input" if n.id == self.input else "a state" if n.id in self.states
                            else "a function" if n.id in FUNCTIONS else "a mask" if n.id in self.masks
                            else "an intermediate")
                    self.err(n, f"'{n.id}' is declared a parameter, but it is {what}")
                else:
                    declared[n.id] = n
        return declared

    def check_declared(self, declared: dict[str, Name]) -> None:
        # With a `param` line, a name nothing defines is an error, not a new parameter.
        names = ", ".join(declared) or "none"
        for name in self.params:
            if name not in declared:
                use = self.first_use(name)
                self.err(use, f"'{name}' is not defined: not a declared parameter ({names}), a state, "
                              f"an intermediate or the input")
        for name, n in declared.items():
            if name not in self.params:
                self.err(n, f"parameter '{name}' is declared but never used")

    def warn_near_misses(self) -> None:
        """A new parameter one edit from a state, an intermediate or the input is most
        likely a typo of it (`f * cc` for `f * c`): warn at its first use."""
        others = [(n, "state") for n in self.states] + [(n, "intermediate") for n in self.intermediates]
        others += [(n, "mask") for n in self.masks]
        others += [(self.input, "input")] if self.input else []
        for name in self.params:
            for other, kind in others:
                if _one_edit(name, other):
                    use = self.first_use(name)
                    self.r.warn(use.line, use.col, f"'{name}' becomes a new parameter, one edit from the {kind} "
                                                   f"'{other}': did you mean '{other}'? (a 'param' line declaring "
                                                   f"the parameters makes undeclared names errors)")
                    break

    def first_use(self, name: str) -> Name:
        return min((node for eq in self.equations for node in walk(eq.expr)
                    if isinstance(node, Name) and node.id == name and not node.primed),
                   key=lambda n: (n.line, n.col))

    def sort(self) -> list[Equation] | None:
        """Equations in dependency order, stable in source order; None after reporting a cycle."""
        key = lambda eq: (eq.target.id, eq.target.primed)
        by_key = {key(eq): eq for eq in list(self.intermediates.values()) + list(self.updates.values())}
        deps = {}
        for k, eq in by_key.items():
            d = set()
            for node in walk(eq.expr):
                if isinstance(node, Name):
                    if node.primed and (node.id, True) in by_key:
                        d.add((node.id, True))
                    elif not node.primed and (node.id, False) in by_key:
                        d.add((node.id, False))
            deps[k] = d
        source_order = sorted(by_key, key=lambda k: (by_key[k].line, by_key[k].col))
        done: list = []
        placed = set()
        progress = True
        while progress:
            progress = False
            for k in source_order:
                if k not in placed and deps[k] <= placed:
                    placed.add(k)
                    done.append(k)
                    progress = True
        if len(done) == len(by_key):
            return [by_key[k] for k in done]
        remaining = [k for k in source_order if k not in placed]
        cycle = self.find_cycle(remaining[0], deps, placed)
        label = lambda k: k[0] + ("'" if k[1] else "")
        start = min(cycle, key=lambda k: (by_key[k].line, by_key[k].col))
        i = cycle.index(start)
        ordered = cycle[i:] + cycle[:i]
        self.err(by_key[start].target,
                 "dependency cycle: " + " -> ".join(label(k) for k in ordered + [start]))
        return None

    @staticmethod
    def find_cycle(start, deps, placed) -> list:
        path, seen, node = [], {}, start
        while node not in seen:
            seen[node] = len(path)
            path.append(node)
            node = sorted(d for d in deps[node] if d not in placed)[0]
        return path[seen[node]:]

    def infer_sizes(self, order: list[Equation]) -> dict[tuple[str, bool], str]:
        """Every value's size, by unification: a state's or intermediate's declared size, the
        input's, and what meets what. Element-wise arithmetic joins the sizes of its operands,
        a product `W @ v` joins W's columns to v and W's rows to where its result goes; a size
        nothing fixes is the hidden size. A clash is reported where the two sizes meet."""
        u = _Unifier()
        sizes: dict[tuple[str, bool], int | None] = {}
        vector_vars: dict[str, int] = {}
        matrix_vars: dict[str, tuple[int, int]] = {}
        matrix_first: dict[str, tuple[MatVec, int]] = {}  # matrix -> its first product, for the message
        state_vars = {s: u.size(self.declared_size(n, "state")) for s, n in self.states.items()}
        # a mask without a declared size takes the size of what it multiplies
        mask_vars = {m: u.size(self.declared_size(n, "mask")) if n.size else u.variable(may_be_input=False)
                     for m, (n, _) in self.masks.items()}

        def clash(node: Expr, what: str, a: int | None, b: int | None) -> int:
            first, second = u.name(a), u.name(b)
            if INPUT in (first, second):
                other = second if first == INPUT else first
                self.err(node, f"{what} mixes an input-sized value with a{_an(other)} {other}-sized one; "
                               "only '@' connects the two sizes")
            else:
                self.err(node, f"{what} mixes a{_an(first)} {first}-sized value with a{_an(second)} "
                               f"{second}-sized one; only '@' connects two sizes")
            return INVALID_VAR

        def join(node: Expr, what: str, a, b):
            if a == INVALID_VAR or b == INVALID_VAR:
                return INVALID_VAR
            if a is None or b is None:  # a constant takes the other side's size
                return b if a is None else a
            return a if u.unify(a, b) else clash(node, what, a, b)

        def visit(node: Expr, kids: list):
            if isinstance(node, Num):
                if not fits_a_float(parse_number(node.text)):
                    self.err(node, f"the number {node.text} is too large for a float")
                return None
            if isinstance(node, Name):
                if node.id == self.input:
                    return u.size(INPUT)
                if node.id in self.states:
                    return state_vars[node.id]
                if node.id in self.masks:
                    return mask_vars[node.id]
                if (node.id, False) in sizes:
                    return sizes[(node.id, False)]
                if node.id not in vector_vars:  # a vector parameter (matrices only stand left of '@')
                    vector_vars[node.id] = u.variable(may_be_input=False)
                return vector_vars[node.id]
            if isinstance(node, Call) and node.func in REDUCTIONS:
                arg = kids[0]
                if arg == INVALID_VAR:
                    return INVALID_VAR
                if arg is None or u.name(arg) == INPUT or not u.unify(arg, u.size(HIDDEN)):
                    what = "a constant" if arg is None else f"a{_an(u.name(arg))} {u.name(arg)}-sized value"
                    self.err(node, f"'{node.func}' averages over the hidden units of a batch row; its argument "
                                   f"is {what}")
                    return INVALID_VAR
                return arg
            if isinstance(node, Unary) or (isinstance(node, Call) and len(kids) == 1):
                return kids[0]
            if isinstance(node, Call):  # max(a, b), min(a, b): sized as a + b
                if len(kids) != 2:
                    return INVALID_VAR
                return join(node, f"'{node.func}'", kids[0], kids[1])
            if isinstance(node, MatVec):
                operand = kids[1]
                if not isinstance(node.matrix, Name):
                    return INVALID_VAR
                name = node.matrix.id
                if name not in matrix_vars:
                    matrix_vars[name] = (u.variable(may_be_input=False), u.variable(may_be_input=True))
                rows, cols = matrix_vars[name]
                if operand is None:
                    self.err(node, "the right side of '@' is a constant and has no size; multiply instead")
                elif operand != INVALID_VAR:
                    if name in matrix_first and not u.unify(cols, operand):
                        other, other_cols = matrix_first[name]
                        self.err(node, f"matrix '{name}' multiplies a{_an(u.name(operand))} {u.name(operand)}-sized "
                                       f"vector here and a{_an(u.name(cols))} {u.name(cols)}-sized one at "
                                       f"{other.line}:{other.col}")
                    elif name not in matrix_first:
                        u.unify(cols, operand)
                    matrix_first.setdefault(name, (node, cols))
                return rows
            # Binary
            a, b = kids
            if node.op == "**":
                return a
            return join(node, f"'{node.op}'", a, b)

        for eq in order:
            var = fold(eq.expr, visit)
            t = eq.target
            if t.primed:
                if var == INVALID_VAR or var is None:
                    pass
                elif u.name(var) == INPUT:
                    self.err(t, f"the new value of state '{t.id}' is input-sized; states are "
                                f"{u.name(state_vars[t.id])}-sized (use a matrix: W @ ...)")
                elif not u.unify(var, state_vars[t.id]):
                    self.err(t, f"the new value of state '{t.id}' is {u.name(var)}-sized, but '{t.id}' is "
                                f"{u.name(state_vars[t.id])}-sized")
                var = state_vars[t.id]
            elif t.size is not None:
                declared = u.size(self.declared_size(t, "intermediate", may_be_input=True))
                if var == INVALID_VAR:
                    pass
                elif var is None or not u.unify(var, declared):
                    self.err(t, f"'{t.id}' is declared {u.name(declared)}-sized, but its value is "
                                f"{'a constant' if var is None else u.name(var) + '-sized'}")
                var = declared
            sizes[(t.id, t.primed)] = var
        for name, p in self.params.items():
            if p.is_matrix:
                rows, cols = matrix_vars.get(name, (None, None))
                self.params[name] = Param(name, (u.name(rows), u.name(cols)))
            else:
                self.params[name] = Param(name, (u.name(vector_vars.get(name)),))
        self.state_sizes = {s: u.name(v) for s, v in state_vars.items()}
        self.mask_sizes = {m: u.name(v) for m, v in mask_vars.items()}
        return {k: INVALID if v == INVALID_VAR else SCALAR if v is None else u.name(v) for k, v in sizes.items()}

    def declared_size(self, n: Name, what: str, may_be_input: bool = False) -> str:
        """The size written in `n[size]` (hidden when none is written)."""
        if n.size is None:
            return HIDDEN
        size = n.size.id
        if size == INPUT and not may_be_input:
            self.err(n.size, f"a {what} cannot be input-sized: only '@' connects the input's size to others")
            return HIDDEN
        if size in RESERVED_SIZES:
            self.err(n.size, f"'{size}' cannot name a size: the generated code's dimensions are "
                             f"{', '.join(RESERVED_SIZES)}; choose another name")
            return HIDDEN
        return size

    def check_output(self, sizes) -> tuple[str, bool]:
        decl = self.single("output")
        if decl is None:
            return (next(iter(self.states), ""), True)
        n = decl.names[0]
        if n.id in self.states:
            return n.id, True
        if n.id in self.intermediates:
            if sizes.get((n.id, False)) in (INPUT, SCALAR):
                self.err(n, f"output '{n.id}' is {sizes[(n.id, False)]}-sized; the output must be a vector "
                            "of units (not input-sized)")
            return n.id, False
        self.err(n, f"output '{n.id}' names no state or intermediate")
        return n.id, False

    def check_inits(self) -> dict[str, Fraction]:
        inits: dict[str, Fraction] = {}
        for i in self.inits:
            name = i.target.id
            if name not in self.params:
                self.err(i.target, f"init names '{name}', which is not a parameter")
            elif name in inits:
                self.err(i.target, f"parameter '{name}' has two init lines")
            else:
                value = parse_number(i.value.text)
                if not fits_a_float(value):
                    self.err(i.value, f"the number {i.value.text} is too large for a float")
                inits[name] = -value if i.negative else value
        return inits


INVALID_VAR = -1  # a value whose size could not be worked out (already reported)
RESERVED_SIZES = ("T", "B", "H", "I")


class _Unifier:
    """Union-find over size variables; a class may be bound to a size name. The hidden
    size, the input size and each named size are one variable each."""

    def __init__(self):
        self.parent: list[int] = []
        self.bound: list[str | None] = []
        self.no_input: list[bool] = []
        self.named: dict[str, int] = {}

    def variable(self, may_be_input: bool = True, bound: str | None = None) -> int:
        self.parent.append(len(self.parent))
        self.bound.append(bound)
        self.no_input.append(not may_be_input)
        return len(self.parent) - 1

    def size(self, name: str) -> int:
        if name not in self.named:
            self.named[name] = self.variable(bound=name)
        return self.named[name]

    def find(self, v: int) -> int:
        while self.parent[v] != v:
            self.parent[v] = self.parent[self.parent[v]]
            v = self.parent[v]
        return v

    def unify(self, a: int, b: int) -> bool:
        """Join the classes of a and b; False (and nothing joined) when their sizes differ."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        sa, sb = self.bound[ra], self.bound[rb]
        if sa is not None and sb is not None and sa != sb:
            return False
        size = sa if sa is not None else sb
        no_input = self.no_input[ra] or self.no_input[rb]
        if size == INPUT and no_input:
            return False
        self.parent[rb] = ra
        self.bound[ra], self.no_input[ra] = size, no_input
        return True

    def name(self, v: int | None) -> str:
        """A variable's size: its bound name, or hidden (what nothing else fixes)."""
        if v is None or v == INVALID_VAR:
            return HIDDEN
        return self.bound[self.find(v)] or HIDDEN


def _an(size: str) -> str:
    return "n" if size[:1].lower() in "aeiou" else ""


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one inserted, deleted or replaced character, or two swapped
    neighbours. One-letter names count only doubled: W is not a typo of h, nor Wz of z."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            return a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        return len(diff) == 1 and len(a) > 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) == 1:  # Wz is not a typo of z, but cc may be one of c
        return long_ == short * 2
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def check(spec: SpecFile, report: Reporter) -> Cell | None:
    """Resolve and check a parsed spec. Problems go to `report`; None when there are any."""
    return _Checker(spec, report).run()
