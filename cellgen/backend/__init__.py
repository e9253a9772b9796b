"""Back end: plan -> Python source of a standalone Numba module."""
