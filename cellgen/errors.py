"""Diagnostics: how every stage reports a wrong spec."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    line: int
    col: int
    message: str
    path: str = ""
    severity: str = "error"  # or "warning": the spec compiles, but may not mean what it says

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"


class SpecWarning(UserWarning):
    """A spec that compiles but may not say what was meant (a parameter one edit from a
    state's name): `cellgen.load` warns with it, `cellgen build` and `check` print it."""


class SpecError(Exception):
    """A wrong spec. ``.path .line .col`` locate the first problem, ``.diagnostics`` all."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        first = self.diagnostics[0]
        self.path, self.line, self.col, self.message = first.path, first.line, first.col, first.message
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class Reporter:
    """Collects every problem of a file so the user sees them all at once."""

    def __init__(self, path: str):
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, line: int, col: int, message: str) -> None:
        self.diagnostics.append(Diagnostic(line, col, message, self.path))

    def warn(self, line: int, col: int, message: str) -> None:
        self.warnings.append(Diagnostic(line, col, message, self.path, "warning"))

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise SpecError(self.diagnostics)
