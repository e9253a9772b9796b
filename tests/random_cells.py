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
def hidden_expr(draw, names, params, depth, size="hidden", sizes=("hidden",)):
    """An expression of `size` over `names` (size -> the names of that size), creating
    parameters as it goes; a product's operand may be of any of `sizes`."""
    if isinstance(names, list):
        names = {"hidden": names}
    own = names.get(size, [])
    choice = draw(st.integers(0, 7 if depth > 0 else 2))
    if choice <= 1 or depth == 0:
        if choice == 2 or not own:
            params.append(f"v{len(params)}")
            return params[-1]
        return draw(st.sampled_from(own))
    if choice == 2:
        params.append(f"W{len(params)}")
        operand = draw(st.sampled_from(sizes))
        return f"{params[-1]} @ ({draw(hidden_expr(names, params, depth - 1, operand, sizes))})"
    if choice == 3:
        params.append(f"U{len(params)}")
        operand = draw(st.sampled_from(["x", "tanh(x)", "x * x"]))
        return f"{params[-1]} @ {operand}" if operand == "x" else f"{params[-1]} @ ({operand})"
    if choice == 4:
        unary = UNARY if size == "hidden" else [u for u in UNARY if not u.startswith("mean")]
        return draw(st.sampled_from(unary)).format(draw(hidden_expr(names, params, depth - 1, size, sizes)))
    a = draw(hidden_expr(names, params, depth - 1, size, sizes))
    b = draw(hidden_expr(names, params, depth - 1, size, sizes))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    if op == "/":
        return f"({a}) / (1.5 + abs({b}))"
    return f"({a}) {op} ({b})"


@st.composite
def cells(draw, max_states=3, max_intermediates=5, depth=3, sized=True):
    """A valid cell; with `sized`, states and intermediates may also have a second size `p`."""
    sizes = ("hidden", "p") if sized and draw(st.booleans()) else ("hidden",)
    n_states = draw(st.integers(1, max_states))
    states = {f"s{i}": draw(st.sampled_from(sizes)) for i in range(n_states)}
    masks = [(f"m{i}", draw(st.sampled_from(["", " per sequence"]))) for i in range(draw(st.integers(0, 2)))]
    names: dict[str, list[str]] = {size: [] for size in sizes}
    for state, size in states.items():
        names[size].append(state)
    if len(sizes) == 1:  # masks as leaves too (with two sizes a mask's size would depend on its uses)
        names["hidden"] += [m for m, _ in masks]
    params: list[str] = []
    lines = []
    n_inter = draw(st.integers(0, max_intermediates))
    inter_sizes = {f"a{i}": draw(st.sampled_from(sizes)) for i in range(n_inter)}
    order = [(a, False) for a in inter_sizes] + [(s, True) for s in states]
    order = draw(st.permutations(order))
    for name, is_state in order:
        size = states[name] if is_state else inter_sizes[name]
        expr = draw(hidden_expr(names, params, depth, size, sizes))
        # Make every value depend on the input and its past, so all gradients are exercised.
        params.append(f"U{len(params)}")
        expr = f"{expr} + {params[-1]} @ x"
        declared = f"[{size}]" if not is_state and size != "hidden" and draw(st.booleans()) else ""
        lines.append(f"{name}{chr(39) if is_state else declared} = {expr}")
        names[size].append(name + ("'" if is_state else ""))
    for mask, _ in masks:  # each mask scales some equation, whether or not a leaf drew it
        k = draw(st.integers(0, len(lines) - 1))
        target, expr = lines[k].split(" = ", 1)
        lines[k] = f"{target} = {mask} * ({expr})"
    output = draw(st.sampled_from(list(states) + list(inter_sizes)))
    body = draw(st.permutations(lines))  # equations in any order
    declarations = [f"mask {m}{per}" for m, per in masks]
    state_line = ", ".join(s + ("" if size == "hidden" else f"[{size}]") for s, size in states.items())
    return "\n".join(["input x", f"state {state_line}", *declarations, f"output {output}", *body]) + "\n"
