"""Argument checks: every wrong input is a ValueError or TypeError naming the array and the
shape expected, never a crash inside Numba."""
from __future__ import annotations

import numpy as np

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def floating(name: str, a, key=None) -> np.ndarray:
    # name (or name[key]) is formatted only for the error: a call checks a dozen arrays
    a = np.asarray(a)
    if a.dtype not in FLOATS:
        label = name if key is None else f"{name}[{key!r}]"
        raise TypeError(f"{label} has dtype {a.dtype}; expected float32 or float64")
    return a


def check_params(params, expected: dict[str, tuple[str, ...]]):
    """The parameters as C-ordered arrays of one float dtype: (arrays, dtype, sizes), sizes
    naming each size the parameters fix ("hidden", "input", a spec's own)."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays with the keys {list(expected)}, "
                        f"not {type(params).__name__}")
    if params.keys() != expected.keys():
        missing = [k for k in expected if k not in params]
        extra = [k for k in params if k not in expected]
        raise ValueError(f"params has missing keys {missing} and unknown keys {extra}; expected {list(expected)}")
    arrays = {k: floating("params", params[k], k) for k in expected}
    dtype = next(iter(arrays.values())).dtype if arrays else np.dtype(np.float64)
    sizes: dict[str, int] = {}
    for k, a in arrays.items():
        if a.dtype != dtype:
            raise TypeError(f"params[{k!r}] has dtype {a.dtype} but the other parameters have {dtype}")
        if a.ndim != len(expected[k]):
            raise ValueError(f"params[{k!r}] has shape {a.shape}; expected {expected[k]}")
        for size, role in zip(a.shape, expected[k]):
            if sizes.setdefault(role, size) != size:
                shape = tuple(sizes[r] for r in expected[k])
                raise ValueError(f"params[{k!r}] has shape {a.shape}; expected {expected[k]} = {shape}")
    arrays = {k: a if a.flags.c_contiguous else np.ascontiguousarray(a) for k, a in arrays.items()}
    return arrays, dtype, sizes


def check_state(name: str, state, states: tuple[str, ...], B: int, widths, dtype, dims=None):
    """A tuple of [B, width] arrays (or None entries) in `states` order; None stays None.
    widths: each state's size (an int: all the same); dims: their names ("hidden")."""
    if state is None:
        return None
    widths = (widths,) * len(states) if isinstance(widths, int) else tuple(widths)
    dims = dims or ("hidden",) * len(states)
    if not isinstance(state, (tuple, list)) or len(state) != len(states):
        shapes = ", ".join(f"{s!r}: [B, {d}]" for s, d in zip(states, dims))
        raise ValueError(f"{name} must be a tuple of {len(states)} arrays, one per state ({shapes})")
    out = []
    for s, a, H, d in zip(states, state, widths, dims):
        if a is None:
            out.append(None)
            continue
        a = floating(name, a, s)
        if a.dtype != dtype:
            raise TypeError(f"{name}[{s!r}] has dtype {a.dtype}; expected {dtype} (the parameters' dtype)")
        if a.shape != (B, H):
            raise ValueError(f"{name}[{s!r}] has shape {a.shape}; expected [B, {d}] = {(B, H)}")
        out.append(a)
    return out


def check_masks(masks, expected: dict[str, str], T: int, B: int, widths, dtype,
                dims: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """The cell's masks (name -> "step" or "sequence") as C-ordered arrays: [T, B, hidden]
    for a mask per step, [B, hidden] for one per sequence. widths: each mask's size (an int:
    all the same); dims: their names."""
    if not expected:
        if masks:
            raise ValueError(f"this cell reads no masks, but masks {list(masks)} were given")
        return {}
    widths = dict.fromkeys(expected, widths) if isinstance(widths, int) else widths
    dims = dims or dict.fromkeys(expected, "hidden")
    shapes = {k: ((T, B, widths[k]), f"[T, B, {dims[k]}]") if per == "step" else ((B, widths[k]), f"[B, {dims[k]}]")
              for k, per in expected.items()}
    wanted = ", ".join(f"{k!r}: {dims}" for k, (_, dims) in shapes.items())
    if not isinstance(masks, dict) or masks.keys() != expected.keys():
        got = "none" if masks is None else (list(masks) if isinstance(masks, dict) else type(masks).__name__)
        raise ValueError(f"this cell reads the masks {{{wanted}}}: pass masks= a dict with exactly those keys "
                         f"(got {got})")
    out = {}
    for k, a in masks.items():
        out[k] = check_sequence(f"masks[{k!r}]", a, shapes[k][0], dtype, shapes[k][1])
    return out


def unit_sizes(known: dict[str, int], wanted: tuple[str, ...], state_sizes: tuple[str, ...], state0) -> dict[str, int]:
    """The sizes `wanted` ("hidden" and the spec's own): from the parameters (`known`), else
    from the initial states of that size."""
    sizes = {}
    for size in wanted:
        if known.get(size) is not None:
            sizes[size] = known[size]
            continue
        given = [np.shape(a)[-1] for s, a in zip(state_sizes, state0 or ()) if s == size and a is not None]
        if not given:
            raise ValueError(f"the {size} size cannot be inferred: no parameter has it; pass state0")
        sizes[size] = given[0]
    return sizes


def check_lengths(lengths, T: int, B: int) -> np.ndarray:
    if lengths is None:
        return np.full(B, T, np.int64)
    a = np.asarray(lengths)
    if a.shape != (B,) or a.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers of shape [B] = ({B},), not {a.dtype} {a.shape}")
    if B and (a.min() < 0 or a.max() > T):
        raise ValueError(f"lengths must lie in [0, T] = [0, {T}]; got {a.min()}..{a.max()}")
    return np.ascontiguousarray(a, np.int64)


def check_sequence(name: str, a, shape: tuple, dtype, dims: str) -> np.ndarray:
    """A float array of `shape` and `dtype`, C-ordered; `dims` names the axes for the error."""
    a = floating(name, a)
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}; expected {dims} = {shape}")
    if a.dtype != dtype:
        raise TypeError(f"{name} has dtype {a.dtype}; expected {dtype} (the parameters' dtype)")
    return np.ascontiguousarray(a)
