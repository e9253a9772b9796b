"""Tokens -> syntax tree, by recursive descent with Python's precedence.

Each logical line is parsed on its own, so one bad line does not hide the problems
of the others. Nesting is bounded: a spec can never drive a later stage (or this one)
into Python's recursion limit.
"""
from __future__ import annotations

import keyword

from ..errors import Reporter
from .lexer import END, NAME, NUMBER, OP, Token, tokenize
from .syntax import Binary, Call, Decl, Equation, Expr, Init, MatVec, Name, Num, SpecFile, Statement, Unary

MAX_DEPTH = 64
DECLARATIONS = ("cell", "input", "state", "output", "init", "param", "mask")
LISTS = ("state", "param", "mask")  # the declarations that take several names
SIZED = ("state", "mask")  # the declarations whose names may carry a size, `state h[proj]`
SUBSCRIPTS = "subscripts are not allowed (brackets only declare a size: `state h[proj]`, `m[proj] = ...`)"


class _Fail(Exception):
    pass


class _LineParser:
    def __init__(self, tokens: list[Token], report: Reporter):
        self.tokens = tokens
        self.pos = 0
        self.report = report
        self.depth = 0

    # -- helpers -------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def fail(self, tok: Token, message: str):
        self.report.error(tok.line, tok.col, message)
        raise _Fail

    def describe(self, tok: Token) -> str:
        if tok.kind == END:
            return "end of line"
        if tok.kind == NAME and keyword.iskeyword(tok.text):
            return f"the Python keyword '{tok.text}' (keywords are not part of the cell language)"
        return repr(tok.text)

    def take(self) -> Token:
        t = self.tok
        self.pos += 1
        return t

    def accept(self, text: str) -> bool:
        if self.tok.kind == OP and self.tok.text == text:
            self.pos += 1
            return True
        return False

    def expect(self, text: str, what: str) -> Token:
        if self.tok.kind == OP and self.tok.text == text:
            return self.take()
        self.fail(self.tok, f"expected {what}, found {self.describe(self.tok)}")

    def name(self, what: str) -> Name:
        t = self.tok
        if t.kind != NAME:
            self.fail(t, f"expected {what}, found {self.describe(t)}")
        self.check_not_keyword(t)
        self.pos += 1
        primed = self.accept("'")
        return Name(t.text, primed, t.line, t.col)

    def check_not_keyword(self, t: Token) -> None:
        if t.text == "lambda":
            self.fail(t, "lambdas are not allowed")
        if keyword.iskeyword(t.text):
            self.fail(t, f"'{t.text}' is a Python keyword and cannot be used in a spec")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(self.tok, f"expression nested more than {MAX_DEPTH} levels deep")

    def end(self) -> None:
        if self.tok.kind == OP and self.tok.text in "[]":
            self.fail(self.tok, SUBSCRIPTS)
        if self.tok.kind != END:
            self.fail(self.tok, f"unexpected {self.describe(self.tok)}")

    def sized(self, n: Name) -> Name:
        """`NAME[SIZE]`: a state's or an intermediate's size, named like a variable."""
        if not (self.tok.kind == OP and self.tok.text == "["):
            return n
        self.take()
        t = self.tok
        problem = None
        if t.kind != NAME or keyword.iskeyword(t.text):
            problem = (t, f"expected a size name inside '[...]' (e.g. h[proj]), found {self.describe(t)}")
        elif not (self.tokens[self.pos + 1].kind == OP and self.tokens[self.pos + 1].text == "]"):
            after = self.tokens[self.pos + 1]
            problem = (after, f"expected ']' after the size name, found {self.describe(after)}")
        if problem:
            # reported, but the name is still declared: no second error says it is missing
            self.report.error(problem[0].line, problem[0].col, problem[1])
            while self.tok.kind != END and not (self.tok.kind == OP and self.tok.text in "],"):
                self.take()
            self.accept("]")
            return n
        self.pos += 2
        return Name(n.id, n.primed, n.line, n.col, Name(t.text, False, t.line, t.col))

    # -- statements ----------------------------------------------------------
    def statement(self) -> Statement:
        first = self.tok
        nxt = self.tokens[self.pos + 1]
        if first.kind == NAME and first.text in DECLARATIONS and nxt.kind == NAME:
            self.pos += 1
            if first.text == "init":
                return self.init(first)
            names = [self.declared_name(first.text)]
            while first.text in LISTS and self.accept(","):
                names.append(self.declared_name(first.text))
            per = self.mask_period() if first.text == "mask" else ""
            self.end()
            return Decl(first.text, tuple(names), first.line, first.col, per)
        if first.kind != NAME:
            self.fail(first, f"expected an equation 'NAME = ...' or a declaration, found {self.describe(first)}")
        target = self.name("a name")
        if target.primed and self.tok.kind == OP and self.tok.text == "[":
            self.fail(self.tok, f"a state's size is declared in its 'state' line (state {target.id}[size]); "
                                + SUBSCRIPTS.split(" (")[0] + " here")
        target = self.sized(target)
        self.expect("=", "'=' after the name")
        expr = self.expr()
        self.end()
        return Equation(target, expr, first.line, first.col)

    def mask_period(self) -> str:
        """`mask z` or `mask z per step`: a value at every step; `mask d per sequence`: one
        value per sequence, the same at every step."""
        if self.tok.kind != NAME or self.tok.text != "per":
            return "step"
        self.take()
        t = self.tok
        if t.kind != NAME or t.text not in ("step", "sequence"):
            self.fail(t, f"expected 'step' or 'sequence' after 'per', found {self.describe(t)}")
        self.take()
        return t.text

    def declared_name(self, keyword_text: str) -> Name:
        n = self.plain_name(keyword_text)
        return self.sized(n) if keyword_text in SIZED else n

    def plain_name(self, keyword_text: str) -> Name:
        n = self.name(f"a name after '{keyword_text}'")
        if n.primed:
            self.fail(self.tokens[self.pos - 1], f"'{keyword_text}' takes a plain name, without a prime")
        return n

    def init(self, first: Token) -> Init:
        target = self.plain_name("init")
        self.expect("=", "'=' after the parameter name")
        negative = False
        while self.tok.kind == OP and self.tok.text in "+-":
            negative ^= self.take().text == "-"
        if self.tok.kind != NUMBER:
            self.fail(self.tok, f"'init' takes a number, found {self.describe(self.tok)}")
        t = self.take()
        self.end()
        return Init(target, Num(t.text, t.line, t.col), negative, first.line, first.col)

    # -- expressions -----------------------------------------------------------
    def expr(self) -> Expr:
        self.nest()
        left = self.term()
        while self.tok.kind == OP and self.tok.text in ("+", "-"):
            op = self.take()
            left = Binary(op.text, left, self.term(), op.line, op.col)
        self.depth -= 1
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.tok.kind == OP and self.tok.text in ("*", "/", "@"):
            op = self.take()
            right = self.unary()
            if op.text == "@":
                left = MatVec(left, right, op.line, op.col)
            else:
                left = Binary(op.text, left, right, op.line, op.col)
        return left

    def unary(self) -> Expr:
        if self.tok.kind == OP and self.tok.text in ("-", "+"):
            self.nest()
            op = self.take()
            operand = self.unary()
            self.depth -= 1
            return Unary(op.text, operand, op.line, op.col)
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        if self.tok.kind == OP and self.tok.text == "**":
            op = self.take()
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            return Binary("**", base, exponent, op.line, op.col)
        return base

    def atom(self) -> Expr:
        t = self.tok
        if t.kind == NUMBER:
            self.pos += 1
            return Num(t.text, t.line, t.col)
        if t.kind == NAME:
            n = self.name("a name")
            if self.tok.kind == OP and self.tok.text == "(":
                if n.primed:
                    self.fail(self.tok, "a function name cannot carry a prime")
                self.take()
                args = [self.expr()]
                while self.accept(","):
                    args.append(self.expr())
                self.expect(")", "')' to close the call")
                return Call(n.id, tuple(args), t.line, t.col)
            if self.tok.kind == OP and self.tok.text == "[":
                self.fail(self.tok, SUBSCRIPTS)
            return n
        if t.kind == OP and t.text in "[]":
            self.fail(t, SUBSCRIPTS)
        if t.kind == OP and t.text == "(":
            self.take()
            inner = self.expr()
            self.expect(")", "')'")
            return inner
        self.fail(t, f"expected a number, a name or '(', found {self.describe(t)}")


def parse(text: str, path: str, report: Reporter) -> SpecFile:
    """Parse every logical line; problems go to `report`, good lines still come back.

    A line that fails still names what it meant to define, when that much is readable,
    so the checker does not add a second, misleading error ("h has no update").
    """
    statements: list[Statement] = []
    attempted: list[Name] = []
    for tokens, lexer_failed in tokenize(text, report):
        try:
            statement = _LineParser(tokens, Reporter(path) if lexer_failed else report).statement()
            if not lexer_failed:
                statements.append(statement)
                continue
        except _Fail:
            pass
        if len(tokens) > 2 and tokens[0].kind == NAME and tokens[1].text in ("=", "'"):
            attempted.append(Name(tokens[0].text, tokens[1].text == "'", tokens[0].line, tokens[0].col))
    return SpecFile(path, tuple(statements), tuple(attempted))
