"""Hypothesis strategies for random *valid* cells: random gates, functions, nesting, states.

Every function of the language appears, composed so the math stays finite for any
argument (log and sqrt of positive values, exp of bounded ones, division by 1.5 + |.|).
"""
from __future__ import annotations

from hypothesis import strategies as st

UNARY = [
    "sigmoid({})", "tanh({})", "relu({})", "softplus({})", "abs({})", "exp(tanh({}))",
    "log(1 + sigmoid({}))", "sqrt(1 + ({}) ** 2)", "({}) ** 2", "-({})", "({}) * 0.5", "mean({})",
]


@st.composite
def hidden_expr(draw, names, params, depth):
    """A hidden-sized expression over `names`, creating parameters as it goes."""
    choice = draw(st.integers(0, 7 if depth > 0 else 2))
    if choice <= 1 or depth == 0:
        if choice == 2 or not names:
            params.append(f"v{len(params)}")
            return params[-1]
        return draw(st.sampled_from(names))
    if choice == 2:
        params.append(f"W{len(params)}")
        return f"{params[-1]} @ ({draw(hidden_expr(names, params, depth - 1))})"
    if choice == 3:
        params.append(f"U{len(params)}")
        operand = draw(st.sampled_from(["x", "tanh(x)", "x * x"]))
        return f"{params[-1]} @ {operand}" if operand == "x" else f"{params[-1]} @ ({operand})"
    if choice == 4:
        return draw(st.sampled_from(UNARY)).format(draw(hidden_expr(names, params, depth - 1)))
    a = draw(hidden_expr(names, params, depth - 1))
    b = draw(hidden_expr(names, params, depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    if op == "/":
        return f"({a}) / (1.5 + abs({b}))"
    return f"({a}) {op} ({b})"


@st.composite
def cells(draw, max_states=3, max_intermediates=5, depth=3):
    n_states = draw(st.integers(1, max_states))
    states = [f"s{i}" for i in range(n_states)]
    masks = [(f"m{i}", draw(st.sampled_from(["", " per sequence"]))) for i in range(draw(st.integers(0, 2)))]
    names = list(states) + [m for m, _ in masks]
    params: list[str] = []
    lines = []
    n_inter = draw(st.integers(0, max_intermediates))
    order = [("a%d" % i, False) for i in range(n_inter)] + [(s, True) for s in states]
    order = draw(st.permutations(order))
    for name, is_state in order:
        expr = draw(hidden_expr(names, params, depth))
        # Make every state depend on the input and its past, so all gradients are exercised.
        params.append(f"U{len(params)}")
        expr = f"{expr} + {params[-1]} @ x"
        lines.append(f"{name}{chr(39) if is_state else ''} = {expr}")
        names.append(name + ("'" if is_state else ""))
    for mask, _ in masks:  # each mask scales some equation, whether or not a leaf drew it
        k = draw(st.integers(0, len(lines) - 1))
        target, expr = lines[k].split(" = ", 1)
        lines[k] = f"{target} = {mask} * ({expr})"
    intermediates = [n for n, s in order if not s]
    output = draw(st.sampled_from(states + intermediates))
    body = draw(st.permutations(lines))  # equations in any order
    declarations = [f"mask {m}{per}" for m, per in masks]
    return "\n".join(["input x", f"state {', '.join(states)}", *declarations, f"output {output}", *body]) + "\n"
