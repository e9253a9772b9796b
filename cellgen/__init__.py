"""cellgen: recurrent-cell equations in, fast Numba kernels with derived BPTT out."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import SpecError  # noqa: E402
from .pipeline import compile_spec, load, load_text  # noqa: E402

__all__ = ["SpecError", "compile_spec", "load", "load_text", "__version__"]
