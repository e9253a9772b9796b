"""The tables a generated module hands the runtime: its arrays and what each one holds.

The compiler decides every array of a cell once (cellgen/middle/arrays.py) and the
generated module prints the decision as these records; the driver allocates and passes
them to the cell's jitted drivers in table order. Plain Python: the compiler imports this
file without loading Numba.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

class Array(NamedTuple):
    """An array of a call. Its role says where the driver gets it and what becomes of it.

    Forward: input (xs as [T * B, input] rows, kept on the tape), state (a state at every
    step, [T + 1, B, hidden], row 0 the initial state; on the tape), tape (a new buffer the
    forward fills and the backward reads), scratch (a new array for one call), weights (a
    stacked group of weight matrices, transposed if `transpose`), panels (the same, packed for
    the step products), vector (a vector parameter), mask (a mask the caller gives, `param`
    names it: kept on the tape by reference, never copied), output (ys, [T, B, hidden]), work
    (a buffer of the pool for this call alone: the input stage's).
    Backward: input, tape and mask (from the tape, by name), weights, panels, vector, dy (dys, one
    zero row when None), carry (a state's gradient from the next step: dfinal, else zeros),
    carry_next (the one being computed), work (a new buffer), scratch, weight_grad (a stacked
    weight gradient, transposed, summed over row blocks), vector_grad (vector parameters'
    gradients in float64, a row each, summed over row blocks), vector_rows (a vector
    parameter's gradient in float64, [B, hidden]: each batch row's sum over the steps, which
    the BPTT kernels add to; summed over the rows after the loop), dx ([T * B, input] rows).
    """
    name: str
    role: str
    shape: tuple[str, ...] = ()  # dims: "T", "T+1", "B", "T*B", "I", "H", a size's name, "<n>H", "<n><size>", "<n>"
    index: int = -1  # state, carry: which state
    group: int = -1  # weights, panels: which stacked product group
    transpose: bool = False  # weights, panels
    param: str = ""  # vector: which parameter; mask: which mask
    zero: bool = False  # allocated zeroed (dx when no product writes every row)


class Rows(NamedTuple):
    """An operand of a whole-sequence product: an array, or a block of its [T * B] rows."""
    array: str
    columns: str = ""  # "": the whole array as it is; "I", "H", "<n>H": its [T * B, columns] rows
    drop_last: bool = False  # a state's [T + 1] steps: steps 0..T-1
    blocks: tuple[int, int] | None = None  # only these column blocks (in hidden sizes)


class Product(NamedTuple):
    """out = a @ b (a^T @ b where transpose_a) over all steps' rows at once."""
    a: Rows
    b: Rows
    out: Rows
    transpose_a: bool = False
    comment: str = ""


class VectorSum(NamedTuple):
    """out[k] += the column sums of block blocks[k] of a stream, over all rows: the gradients
    of the vector parameters that read one stream, in one call."""
    stream: Rows
    blocks: tuple[int, ...]
    out: str  # a vector_grad array, [len(blocks), H]


class RowKernel(NamedTuple):
    """A cell's element-wise kernel over [T * B] input-space rows, and the arrays it takes."""
    kernel: Callable
    arrays: tuple[str, ...]


class Drivers(NamedTuple):
    forward_rows: Callable  # steps t0..t1 of the recurrence over a block of batch rows
    backward_rows: Callable  # BPTT, steps t1 - 1..t0 of a block of rows; carries in and out in place
    # the input stage (a cell whose input terms hold means): the [T * B] rows as one step of
    # T * B rows, before the loop and after BPTT, with the same arguments as the two above
    forward_stage: Callable | None = None
    backward_stage: Callable | None = None


class Cell(NamedTuple):
    name: str
    states: tuple[str, ...]
    output_is_state: bool
    params: dict[str, tuple[str, ...]]
    init: dict[str, float]
    constants: tuple[float, ...]
    groups: dict[int, tuple[str, ...]]  # stacked group -> its weight matrices, in order
    widest: int  # columns of the widest stacked product, in hidden sizes
    forward_arrays: tuple[Array, ...]
    backward_arrays: tuple[Array, ...]
    # parameter -> where its gradient is: ((weight_grad, block), ...) summed, ((vector_grad, row),),
    # or () for a gradient that is zero
    param_grads: dict[str, tuple[tuple[str, int], ...]]
    drivers: Drivers
    # Before the recurrence: input-space operands, then the input products of all steps.
    input_kernels: tuple[RowKernel, ...] = ()
    input_products: tuple[Product, ...] = ()
    # After BPTT: weight gradients, operand gradients (dx), dx kernels, vector sums.
    weight_grads: tuple[Product, ...] = ()
    operand_grads: tuple[Product, ...] = ()
    dx_kernels: tuple[RowKernel, ...] = ()
    vector_sums: tuple[VectorSum, ...] = ()
    masks: tuple[tuple[str, str], ...] = ()  # (mask, "step" or "sequence"): see the role "mask"
    sizes: tuple[str, ...] = ()  # the sizes beyond input and hidden the spec names, as the params and dims name them


def dim(text: str, T: int, B: int, H: int, I: int, extra: tuple[tuple[str, int], ...] = ()) -> int:
    """The size a dim of Array.shape stands for: "T", "T+1", "B", "T*B", "H", "I", a size
    the spec names (its value in `extra`), or n of one side by side ("4H", "2proj"), or "<n>"."""
    named = {"T": T, "T+1": T + 1, "B": B, "T*B": T * B, "H": H, "I": I}
    if text in named:
        return named[text]
    digits = len(text) - len(text.lstrip("0123456789"))
    n, unit = int(text[:digits] or 1), text[digits:]
    if not unit:
        return n
    return n * (H if unit == "H" else I if unit == "I" else dict(extra)[unit])
