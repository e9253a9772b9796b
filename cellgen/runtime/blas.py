"""numpy's OpenBLAS, found once per process: the whole-sequence products run on it (through
numpy's matmul), and its thread count is what a call may borrow (threads.py)."""
from __future__ import annotations

import ctypes
import sys

_THREAD_CALLS = ("openblas_get_num_threads", "openblas_set_num_threads", "openblas_get_parallel")


class OpenBLAS:
    """found(): (get, set) of the thread count of numpy's OpenBLAS; None where numpy has no
    OpenBLAS, or one that is not a single pool of pthreads (an OpenMP build keeps a limit
    per calling thread, which a call cannot lend)."""

    _found = False

    @classmethod
    def found(cls):
        if cls._found is False:
            umath = sys.modules.get("numpy._core._multiarray_umath") or sys.modules.get("numpy.core._multiarray_umath")
            path = getattr(umath, "__file__", None)
            calls = path and cls._entry_points(path, ("64_", "_64", ""), _THREAD_CALLS)
            cls._found = calls[:2] if calls and calls[2]() == 1 else None
        return cls._found

    @staticmethod
    def _entry_points(path, suffixes, names):
        # the functions `names` under the first prefix and suffix that has them all
        try:
            lib = ctypes.CDLL(path)  # its symbols include those of the OpenBLAS it links
        except OSError:
            return None
        for prefix in ("scipy_", ""):
            for suffix in suffixes:
                functions = tuple(getattr(lib, f"{prefix}{name}{suffix}", None) for name in names)
                if all(functions):
                    return functions
        return None
