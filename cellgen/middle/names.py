"""The names of a cell's arrays in generated code.

Every array name is ROLE + "__" + a group number or a spec name as `ident` spells it.
A spec name in generated code never contains "__" unless it starts with "_u_" (see
lower.ident), and no name made here starts with "_", so no spec name, however it is
spelled (`dV_a`, `S__h`, `mv__a`), can equal an array name; and the role before the
first "__" keeps the arrays apart from each other and from the generator's symbols
(`mv__`, `d__`, `g__`, `da__`, `dy__out`).
"""
from __future__ import annotations

X_ROWS = "x__rows"  # the input as [T * B, input] rows
DX_ROWS = "dx__rows"  # its gradient
YS = "y__seq"  # the outputs [T, B, hidden]
DYS = "dy__seq"  # their gradients


def state(code: str) -> str:
    """A state at every step, [T + 1, B, hidden]."""
    return f"S__{code}"


def carry(code: str) -> str:
    """A state's gradient handed back from step t + 1."""
    return f"G__{code}"


def carry_next(code: str) -> str:
    """The same gradient being computed for step t - 1."""
    return f"Gn__{code}"


def vector(code: str) -> str:
    return f"P__{code}"


def kept(code: str) -> str:
    """An intermediate's value at every step, [T, B, hidden], kept for BPTT."""
    return f"K__{code}"


def kept_grad(code: str) -> str:
    """A kept intermediate's gradient at every step, [T, B, hidden]: what BPTT hands to the
    input stage after the loop (hoist_input_norms)."""
    return f"dK__{code}"


def mask(code: str) -> str:
    """A mask the caller gives: [T, B, hidden] (per step) or [B, hidden] (per sequence)."""
    return f"Z__{code}"


def vector_grads(stream: str) -> str:
    """The gradients of the vector parameters that sum one stream, a row each."""
    return f"dP__{stream}"


def vector_rows(code: str) -> str:
    """A vector parameter's gradient added up over the steps, one row per batch row."""
    return f"dR__{code}"


def vector_stream(code: str) -> str:
    """A vector parameter's gradient at every step and row, summed after the loop."""
    return f"dV__{code}"


def products(group: int) -> str:
    """A recurrent group's products (the step's, or every step's)."""
    return f"M__{group}"


def input_products(group: int) -> str:
    """An input group's products of every step (or what the forward stores in their place)."""
    return f"X__{group}"


def operand(group: int) -> str:
    """A group's operand, when it is an expression rather than the input or a state."""
    return f"A__{group}"


def weights(group: int, transposed: bool) -> str:
    return f"Wt__{group}" if transposed else f"W__{group}"


def panels(group: int, transposed: bool) -> str:
    return f"{weights(group, transposed)}__panels"


def products_grad(group: int) -> str:
    return f"dM__{group}"


def input_products_grad(group: int) -> str:
    return f"dX__{group}"


def operand_grad(group: int) -> str:
    return f"dA__{group}"


def weight_grad(group: int) -> str:
    return f"dW__{group}"
