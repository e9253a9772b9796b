"""SymPy expressions -> Python expressions for Numba kernels.

Numbers never appear as literals: a float literal would promote float32 arithmetic to
float64. Each number is a named constant read from an array of the data's dtype.
"""
from __future__ import annotations

import sympy as sp

from ..middle import functions as fn

ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5

CALLS = {
    fn.sigmoid: "_sigmoid", fn.relu: "_relu", fn.step: "_step", fn.softplus: "_softplus",
    fn.absolute: "np.abs", fn.sign0: "np.sign", sp.tanh: "_tanh", sp.exp: "_exp", sp.log: "_log",
    fn.logsigmoid: "_logsigmoid", fn.maximum: "_maximum", fn.minimum: "_minimum", fn.tie_step: "_tie_step",
}
# The names printed code calls that the module imports from cellgen.runtime.activations
# (each `_name` there is `name`).
RUNTIME_CALLS = tuple(sorted({c for c in CALLS.values() if c.startswith("_")} | {"_pow2", "_pow3"}))


def constant_name(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = repr(value).replace(".", "_").replace("e-", "em").replace("e+", "e")
    # Leading underscore: the generator's namespace, so no spec name can shadow a constant.
    return "_c_" + text.replace("-", "m")


class Printer:
    def __init__(self) -> None:
        self.constants: dict[str, float] = {}  # name -> value, shared by a whole module

    def number(self, value: float) -> tuple[str, int]:
        if value < 0:
            text, _ = self.number(-value)
            return "-" + text, NEG
        name = constant_name(value)
        self.constants[name] = value
        return name, ATOM

    def __call__(self, e: sp.Expr) -> str:
        return self.print(e)[0]

    def wrap(self, e: sp.Expr, prec: int) -> str:
        text, p = self.print(e)
        return f"({text})" if p < prec else text

    def print(self, e: sp.Expr) -> tuple[str, int]:
        if isinstance(e, sp.Symbol):
            return e.name, ATOM
        if e.is_Number:
            return self.number(float(e))
        if isinstance(e, sp.Add):
            terms = e.as_ordered_terms()
            parts = [self.wrap(terms[0], ADD)]
            for t in terms[1:]:
                if t.could_extract_minus_sign():
                    parts.append("- " + self.wrap(-t, MUL))
                else:
                    parts.append("+ " + self.wrap(t, ADD + 1))
            return " ".join(parts), ADD
        if isinstance(e, sp.Mul):
            coeff, rest = e.as_coeff_Mul()
            if coeff < 0:
                return "-" + self.wrap(-e, POW), NEG
            num, den = [], []
            if coeff != 1:
                num.append(self.number(float(coeff))[0])
            for f in sp.Mul.make_args(rest):
                if isinstance(f, sp.Pow) and f.exp.is_Number and f.exp < 0:
                    den.append(f.base ** -f.exp)
                else:
                    num.append(self.wrap(f, MUL))
            text = " * ".join(num) if num else self.number(1.0)[0]
            if den:
                d = sp.Mul(*den)
                text += " / " + self.wrap(d, POW)
            return text, MUL
        if isinstance(e, sp.Pow):
            base, exp = e.base, e.exp
            if exp == sp.Rational(1, 2):
                return f"np.sqrt({self(base)})", ATOM
            if exp.is_Number and exp < 0:
                return f"{self.number(1.0)[0]} / {self.wrap(base ** -exp, POW)}", MUL
            if exp in (2, 3) and isinstance(base, sp.Symbol):
                return " * ".join([base.name] * int(exp)), MUL
            if exp in (2, 3):
                return f"_pow{int(exp)}({self(base)})", ATOM
            return f"{self.wrap(base, ATOM)} ** {self.wrap(exp, ATOM)}", POW
        if isinstance(e, sp.Function) and type(e) in CALLS:
            return f"{CALLS[type(e)]}({', '.join(self(a) for a in e.args)})", ATOM
        raise NotImplementedError(f"cannot print {type(e).__name__}: {e}")
