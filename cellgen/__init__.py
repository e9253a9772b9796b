"""cellgen: recurrent-cell equations in, fast Numba kernels with derived BPTT out.

The compiler (SymPy, Jinja2) loads only when it is used: a generated module imports
cellgen.runtime, and importing it must not pay for the compiler.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["SpecError", "SpecWarning", "__version__", "compile_spec", "load", "load_text", "num_threads", "set_num_threads"]


def __getattr__(name: str):
    if name in ("SpecError", "SpecWarning"):
        from . import errors
        return getattr(errors, name)
    if name in ("compile_spec", "load", "load_text"):
        from . import pipeline
        return getattr(pipeline, name)
    if name in ("num_threads", "set_num_threads"):
        from .runtime import threads
        return getattr(threads, name)
    raise AttributeError(f"module 'cellgen' has no attribute {name!r}")
