"""Numba's cache where it cannot write: read-only deployments.

Numba finds a folder for a function's cache among NUMBA_CACHE_DIR, the source's
__pycache__ and the user-wide cache, and takes one only if it can write there; with none,
`cache=True` fails at import ("no locator available"). A container image or another
user's checkout has its caches populated but not writable. This module adds a last
locator: a populated cache folder of the source is served through a private temporary
folder of links to its files (Numba reads them; what it writes goes to the temporary
folder and is dropped with the process); where there is none, the functions compile in
memory, with one warning per source file. Imported before any jitted function is defined.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings

from numba.core import caching
from numba.misc.appdirs import AppDirs

_private: dict[str, str] = {}  # read-only folder (or source file) -> this process's folder for it


def _cleanup() -> None:
    for path in _private.values():
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup)


class ReadOnlyCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """The last of Numba's cache locators; see the module's docstring."""

    def __init__(self, py_func, py_file, path: str):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = path

    def get_cache_path(self) -> str:
        return self._cache_path

    @classmethod
    def candidates(cls, py_file: str) -> list[str]:
        """The folders Numba would have used for py_file's cache, in its order."""
        subpath = cls.get_suitable_cache_subpath(py_file)
        out = []
        if os.environ.get("NUMBA_CACHE_DIR"):
            out.append(os.path.join(os.environ["NUMBA_CACHE_DIR"], subpath))
        out.append(os.path.join(os.path.dirname(py_file), "__pycache__"))
        out.append(os.path.join(AppDirs(appname="numba", appauthor=False).user_cache_dir, subpath))
        return out

    @classmethod
    def from_function(cls, py_func, py_file):
        if not os.path.exists(py_file):
            return None
        stem = os.path.splitext(os.path.basename(py_file))[0] + "."
        for folder in cls.candidates(py_file):
            try:
                names = [n for n in os.listdir(folder) if n.startswith(stem)]
            except OSError:
                continue
            if names:
                return cls(py_func, py_file, _linked(folder, names))
        if py_file not in _private:
            warnings.warn(f"cellgen: no writable Numba cache for {py_file}: its functions compile in memory "
                          f"each time; point NUMBA_CACHE_DIR at a writable folder to keep them", stacklevel=2)
            _private[py_file] = tempfile.mkdtemp(prefix="cellgen-numba-")
        return cls(py_func, py_file, _private[py_file])


def _linked(folder: str, names: list[str]) -> str:
    """A private folder with a link to each of `names` in the read-only `folder`. Numba
    replaces an index by renaming a new file over it, so a link is never written through."""
    if folder not in _private:
        _private[folder] = tempfile.mkdtemp(prefix="cellgen-numba-")
    private = _private[folder]
    for name in names:
        link = os.path.join(private, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(folder, name), link)
    return private


if ReadOnlyCacheLocator not in caching.CacheImpl._locator_classes:
    caching.CacheImpl._locator_classes.append(ReadOnlyCacheLocator)
