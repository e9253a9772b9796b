"""The cell language's functions as SymPy functions, with PyTorch's conventions at kinks."""
from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)


class step(sp.Function):
    """1 where the argument is positive, else 0: relu'(0) = 0 as in PyTorch."""
    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero


class relu(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return step(self.args[0])


class softplus(sp.Function):
    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


class sign0(sp.Function):
    """sign with sign0(0) = 0, so abs'(0) = 0 as in PyTorch."""
    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero


class absolute(sp.Function):
    """|z|; a function of our own so SymPy's complex-analysis rules stay out of the way."""
    nargs = 1

    def fdiff(self, argindex=1):
        return sign0(self.args[0])


class logsigmoid(sp.Function):
    """log(sigmoid(z)), computed without overflow."""
    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(-self.args[0])


class tie_step(sp.Function):
    """1 where the argument is positive, 1/2 at 0, else 0: the share of the gradient each
    side of torch.maximum / torch.minimum gets, a tie split evenly."""
    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero


class maximum(sp.Function):
    """max(a, b) element-wise, with torch.maximum's gradient."""
    nargs = 2

    def fdiff(self, argindex=1):
        a, b = self.args
        return tie_step(a - b) if argindex == 1 else tie_step(b - a)


class minimum(sp.Function):
    """min(a, b) element-wise, with torch.minimum's gradient."""
    nargs = 2

    def fdiff(self, argindex=1):
        a, b = self.args
        return tie_step(b - a) if argindex == 1 else tie_step(a - b)


def apply(name: str, *args: sp.Expr) -> sp.Expr:
    """The cell language's function `name` applied to `args`."""
    if name == "sqrt":
        return sp.sqrt(*args)
    table = {"sigmoid": sigmoid, "tanh": sp.tanh, "relu": relu, "softplus": softplus,
             "exp": sp.exp, "log": sp.log, "abs": absolute, "logsigmoid": logsigmoid,
             "max": maximum, "min": minimum}
    return table[name](*args)
