"""Spec text -> logical lines of tokens.

A logical line ends at a newline outside parentheses, so a line continues while a
parenthesis is open. Everything the language does not have (strings, attribute access,
subscripts, stray characters) is reported here with its line and column.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from ..errors import Reporter

NAME, NUMBER, OP, END = "NAME", "NUMBER", "OP", "END"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int
    col: int


_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("**", "+", "-", "*", "/", "@", "(", ")", ",", "=", "'", "[", "]")  # brackets only declare a size
_FORBIDDEN = {
    '"': "strings are not allowed",
    ".": "attribute access is not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    ":": "':' is not allowed (no slices, lambdas or blocks)",
    ";": "one statement per line: ';' is not allowed",
    "\\": "backslashes are not allowed; a line continues while a parenthesis is open",
}


def tokenize(text: str, report: Reporter) -> list[tuple[list[Token], bool]]:
    """Logical lines, each with a flag telling whether the lexer already reported a problem in it."""
    lines: list[tuple[list[Token], bool]] = []
    reported = len(report.diagnostics)
    current: list[Token] = []
    opened: list[Token] = []  # open parentheses, innermost last
    line, col, i = 1, 1, 0
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark, as some editors write
        i = 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            if not opened and current:
                current.append(Token(END, "", line, col))
                lines.append((current, len(report.diagnostics) > reported))
                current, reported = [], len(report.diagnostics)
            i, line, col = i + 1, line + 1, 1
            continue
        if ch in " \t\r\f":
            i, col = i + 1, col + 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        m = _NUMBER.match(text, i) if (ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit())) else None
        if m and ch.isascii():
            tok = Token(NUMBER, m.group(), line, col)
            follow = text[m.end()] if m.end() < n else ""
            if follow.isascii() and (follow.isalnum() or follow == "_"):
                report.error(line, col + len(tok.text), f"unexpected '{follow}' after the number {tok.text}")
        else:
            m = _NAME.match(text, i) if ch.isascii() else None
            if m:
                tok = Token(NAME, m.group(), line, col)
                if tok.text == "lambda":
                    report.error(line, col, "lambdas are not allowed")
                elif keyword.iskeyword(tok.text):
                    report.error(line, col, f"'{tok.text}' is a Python keyword; the cell language has no keywords "
                                            "but cell, input, state, output and init")
            else:
                op = next((o for o in _OPS if text.startswith(o, i)), None)
                if op is None:
                    report.error(line, col, _FORBIDDEN.get(ch, f"unexpected character {ch!r}"))
                    i, col = i + 1, col + 1
                    continue
                if op == "'" and not (current and current[-1].kind == NAME and current[-1].line == line
                                      and current[-1].col + len(current[-1].text) == col):
                    report.error(line, col, "strings are not allowed ('  only marks a new state value, as in h')")
                    i, col = i + 1, col + 1
                    continue
                tok = Token(OP, op, line, col)
                if op == "(":
                    opened.append(tok)
                elif op == ")" and opened:
                    opened.pop()
        current.append(tok)
        i += len(tok.text)
        col += len(tok.text)
    if opened:
        report.error(opened[-1].line, opened[-1].col, "this '(' is never closed")
    if current:
        current.append(Token(END, "", line, col))
        lines.append((current, len(report.diagnostics) > reported))
    return lines
