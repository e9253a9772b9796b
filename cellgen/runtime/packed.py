"""Parameters checked once and laid out for the kernels, and their initial values."""
from __future__ import annotations

import numpy as np

from .rows import transposed
from .step_products import pack_panels
from .table import Cell
from .validation import check_params


class Packed:
    """A cell's parameters checked once and laid out for the kernels (stacked, transposed,
    packed weights). forward, backward and step accept a Packed in place of the dict: pack
    once and call many times (inference), as long as the arrays are not changed in place."""

    def __init__(self, cell: Cell, params: dict):
        self.cell = cell
        self.p, self.dtype, self.sizes = check_params(params, cell.params)
        self.H, self.I = self.sizes.get("hidden"), self.sizes.get("input")
        self._stacked: dict = {}

    def stacked(self, group: int, transpose: bool) -> np.ndarray:
        """The weights of a product group stacked by rows (transpose: transposed)."""
        key = (group, transpose)
        if key not in self._stacked:
            names = self.cell.groups[group]
            w = self.p[names[0]] if len(names) == 1 else np.concatenate([self.p[n] for n in names])
            self._stacked[key] = transposed(w) if transpose else w
        return self._stacked[key]

    def panels(self, group: int, transpose: bool) -> np.ndarray:
        """The stacked weights (transpose: transposed) as step_product reads them."""
        key = ("panels", group, transpose)
        if key not in self._stacked:
            self._stacked[key] = pack_panels(self.stacked(group, False), transpose)
        return self._stacked[key]


def pack(cell: Cell, params) -> Packed:
    """Check and lay out params for repeated calls; a Packed of this cell passes through."""
    if isinstance(params, Packed):
        if params.cell is not cell:
            raise TypeError(f"params were packed for the cell {params.cell.name!r}, not {cell.name!r}")
        return params
    return Packed(cell, params)


def init_params(cell: Cell, input_size: int, hidden_size: int, seed: int = 0, dtype=np.float32,
                **sizes: int) -> dict:
    """Parameters as torch.nn.LSTM starts them, U(-1/sqrt(hidden), 1/sqrt(hidden));
    a spec's `init` lines as given. The sizes the spec names come by name (proj=...)."""
    if set(sizes) != set(cell.sizes):
        missing, unknown = [s for s in cell.sizes if s not in sizes], [s for s in sizes if s not in cell.sizes]
        raise TypeError(f"{cell.name} takes the sizes {list(cell.sizes)} by name besides input and hidden "
                        f"(e.g. init_params(I, H, {', '.join(f'{s}=...' for s in cell.sizes) or '...'})); "
                        f"missing {missing}, unknown {unknown}")
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden_size)
    sizes = {"hidden": hidden_size, "input": input_size, **sizes}
    params = {}
    for k, shape in cell.params.items():
        dims = tuple(sizes[d] for d in shape)
        if k in cell.init:
            params[k] = np.full(dims, cell.init[k], dtype=dtype)
        else:
            params[k] = rng.uniform(-bound, bound, dims).astype(dtype)
    return params
