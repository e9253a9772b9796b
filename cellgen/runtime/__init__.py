"""cellgen's runtime: what every generated module shares, as ordinary Python modules.

Generated modules import numpy, numba and this package only; this package imports only
numpy, numba and the standard library. Its parts, by concern:

- activations: the cell language's functions as kernels call them
- step_products: a step's products on a register-tiled kernel over packed weights
- sequence_products: the whole-sequence products on the same kernel (no BLAS)
- rows: small jitted helpers on batch rows, gradient streams and transposes
- threads, buffers: one thread pool and one buffer pool per process
- validation, packed: argument checks; parameters laid out once
- table: the records a generated module describes its arrays with
- cache: Numba's cache where it cannot write (read-only deployments)
- driver: forward, backward and step of any cell, from its tables (the whole-sequence
  products and the cell's own jitted drivers, in chunks on the threads)

VERSION names this runtime's code. A generated module records the VERSION it was built
against and refuses to load against another: Numba's cache does not notice when jitted
functions in another file change (numba#1833), so a module must be rebuilt (and its bytes
change, which invalidates its cache) whenever the runtime it calls changes.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

__all__ = ["VERSION", "adopt", "require"]


def _version() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for f in sorted(here.glob("*.py")):
        # line endings normalised: a Windows checkout is the same runtime
        h.update(f.name.encode() + b"\0" + f.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()[:16]


VERSION = _version()


def require(built_for: str, module: str) -> None:
    """Refuse a generated module built against another runtime."""
    if built_for != VERSION:
        raise ImportError(
            f"{module} was generated for cellgen runtime {built_for}, but this is runtime {VERSION}: "
            f"rebuild with `cellgen build` (cellgen.load rebuilds its cache by itself)")


def adopt(module_globals: dict, build: str) -> str:
    """Register a generated module under a name that depends only on its contents; returns it.

    Numba's cache pickles each function's environment with the name of the module it was
    compiled in, and imports that name again when it loads the entry (numba's
    environment._rebuild_env). A file first imported as `generated.lstm` would then fail to
    load from its cache as top-level `lstm`, or through spec_from_file_location under any
    other name. A generated module therefore sets `__name__` to this name before defining
    its kernels; every import of the same bytes, under any name and in any process, finds
    it in sys.modules."""
    # no dot: pickle imports a dotted name's parent package first
    name = f"_cellgen_cell_{module_globals['NAME']}_{build}"
    current = sys.modules.get(module_globals["__name__"])
    if current is None or current.__dict__ is not module_globals:
        current = _Namespace(module_globals)  # loaded without a sys.modules entry
    sys.modules.setdefault(name, current)
    return name


class _Namespace:
    """A module's globals as a module-like object, for a module not in sys.modules."""

    def __init__(self, module_globals: dict):
        self.__dict__ = module_globals
