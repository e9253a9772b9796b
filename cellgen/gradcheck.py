"""Derived gradients against central finite differences, in float64.

Used by `cellgen check` and by the tests. The loss is a random linear function of
every output and final state, so every gradient path is exercised.
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np


@dataclass(frozen=True)
class Row:
    name: str
    max_abs: float
    max_rel: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(self.max_abs <= self.tolerance)


def import_source(source: str, name: str, directory: str | None = None) -> ModuleType:
    """Import generated source from a real file (Numba's cache needs a file to key on)."""
    directory = directory or tempfile.mkdtemp(prefix="cellgen-")
    path = Path(directory) / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"cellgen_check_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXTRA_SIZE = 3  # the default of each size a spec names: unlike H, so a mix-up changes a shape


def random_problem(module: ModuleType, T=3, B=2, I=3, H=4, seed=0, scale=0.5, **sizes):
    """(params, xs, state0, dys, dfinal, masks); masks None for a cell that reads none,
    else uniform in [0, 1), as fractional masks test more of the derivative than 0s and 1s.
    The sizes a spec names come by name (proj=5), each EXTRA_SIZE unless given."""
    rng = np.random.default_rng(seed)
    extra = {s: sizes.get(s, EXTRA_SIZE) for s in module.SIZES}
    units = {"hidden": H, **extra}
    params = module.init_params(I, H, seed=seed, dtype=np.float64, **extra)
    params = {k: v + scale * rng.standard_normal(v.shape) for k, v in params.items()}
    xs = rng.standard_normal((T, B, I))
    widths = [units[s] for s in module.STATE_SIZES]
    state0 = tuple(0.5 * rng.standard_normal((B, n)) for n in widths)
    dys = rng.standard_normal((T, B, units[module.OUTPUT_SIZE]))
    dfinal = tuple(rng.standard_normal((B, n)) for n in widths)
    mask_sizes = getattr(module, "MASK_SIZES", {})
    masks = {k: rng.uniform(size=(T, B, units[mask_sizes[k]]) if per == "step" else (B, units[mask_sizes[k]]))
             for k, per in getattr(module, "MASKS", {}).items()} or None
    return params, xs, state0, dys, dfinal, masks


def loss_terms(module, params, xs, state0, dys, dfinal, masks=None) -> list[np.ndarray]:
    """The products whose sum is the loss: outputs times dys, final states times dfinal."""
    ys, final, _ = module.forward(params, xs, state0, masks=masks)
    terms = [] if dys is None else [ys * dys]
    if dfinal is not None:
        terms += [f * d for f, d in zip(final, dfinal)]
    return terms


def loss(module, params, xs, state0, dys, dfinal, masks=None) -> float:
    return sum(float(np.sum(t)) for t in loss_terms(module, params, xs, state0, dys, dfinal, masks))


FD_STEP = 1e-6


def numerical_gradients(module, params, xs, state0, dys, dfinal, masks=None, eps=FD_STEP):
    def fd(array, assign):
        g = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            old = array[idx]
            array[idx] = old + eps
            up = assign()
            array[idx] = old - eps
            down = assign()
            array[idx] = old
            g[idx] = (up - down) / (2 * eps)
        return g

    f = lambda: loss(module, params, xs, state0, dys, dfinal, masks)
    grads = {k: fd(v, f) for k, v in params.items()}
    grads["xs"] = fd(xs, f)
    for s, a in zip(module.STATES, state0):
        grads[f"state0[{s}]"] = fd(a, f)
    return grads


def analytic_gradients(module, params, xs, state0, dys, dfinal, masks=None):
    _, _, tape = module.forward(params, xs, state0, masks=masks)
    dparams, dxs, dstate0 = module.backward(params, tape, dys, dfinal)
    grads = dict(dparams)
    grads["xs"] = dxs
    for s, a in zip(module.STATES, dstate0):
        grads[f"state0[{s}]"] = a
    return grads


def compare(analytic: dict, numeric: dict, rtol=1e-6, atol=1e-7, roundoff=0.0) -> list[Row]:
    """`roundoff`: the central difference's own rounding error, added to the tolerance."""
    rows = []
    for k, n in numeric.items():
        a = analytic[k]
        if a.shape != n.shape:
            rows.append(Row(k, float("inf"), float("inf"), 0.0))
            continue
        diff = np.abs(a - n)
        scale = float(np.max(np.abs(n), initial=0.0))
        max_abs = float(np.max(diff, initial=0.0))
        if np.isnan(diff).any():
            max_abs = float("inf")
        rows.append(Row(k, max_abs, max_abs / max(scale, 1e-12), atol + rtol * scale + roundoff))
    return rows


def check_module_object(module, seed=0, with_dfinal=True, **sizes) -> list[Row]:
    params, xs, state0, dys, dfinal, masks = random_problem(module, seed=seed, **sizes)
    if not with_dfinal:
        dfinal = None
    magnitude = sum(float(np.sum(np.abs(t))) for t in loss_terms(module, params, xs, state0, dys, dfinal, masks))
    # A loss of size M is rounded to about M * 2.2e-16; divided by the step 2e-6 that is the
    # central difference's noise. Cells whose states explode over T steps (fuzzing makes
    # them) reach M = 1e9, where the noise, not the derived gradient, sets the error.
    roundoff = 8 * np.finfo(np.float64).eps * magnitude / FD_STEP
    return compare(analytic_gradients(module, params, xs, state0, dys, dfinal, masks),
                   numerical_gradients(module, params, xs, state0, dys, dfinal, masks), roundoff=roundoff)


def check_module(source: str, name: str, seed=0) -> list[Row]:
    """Check generated source without writing it anywhere that lasts."""
    with tempfile.TemporaryDirectory(prefix="cellgen-check-") as directory:
        module = import_source(source, name, directory)
        rows = check_module_object(module, seed=seed)
    sys.modules.pop(module.__name__, None)
    return rows


def format_table(name: str, rows: list[Row], sizes: tuple[str, ...] = ()) -> str:
    extra = "".join(f", {s}={EXTRA_SIZE}" for s in sizes)
    lines = [f"{name}: float64 gradients against central differences (T=3, B=2, input=3, hidden=4{extra})",
             f"  {'gradient':<16} {'max abs err':>12} {'rel err':>10} {'tolerance':>10}  result"]
    for r in rows:
        lines.append(f"  {r.name:<16} {r.max_abs:>12.2e} {r.max_rel:>10.2e} {r.tolerance:>10.2e}  "
                     f"{'ok' if r.ok else 'FAIL'}")
    return "\n".join(lines)
