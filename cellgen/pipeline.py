"""The compiler as one function per use: spec text -> checked cell -> ... -> module source."""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from typing import TYPE_CHECKING

from .errors import Diagnostic, Reporter, SpecError, SpecWarning
from .frontend.checker import Cell, check
from .frontend.parser import parse

if TYPE_CHECKING:
    from .middle.derive import Derivation
    from .middle.plan import Plan


@dataclass(frozen=True)
class Compiled:
    cell: Cell
    derivation: Derivation
    plan: Plan
    source: str


def read_spec(path: str | os.PathLike) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SpecError([Diagnostic(1, 1, f"not UTF-8 text ({e.reason} at byte {e.start})", str(path))]) from None
    except OSError as e:
        raise SpecError([Diagnostic(1, 1, f"cannot read the file: {e.strerror}", str(path))]) from None


def check_text(text: str, path: str = "<spec>") -> Cell:
    """Parse and check; raise SpecError listing every problem."""
    report = Reporter(str(path))
    spec = parse(text, str(path), report)
    cell = check(spec, report)
    report.raise_if_any()
    return cell


def compile_spec(text: str, path: str = "<spec>", disable: frozenset[str] = frozenset()) -> Compiled:
    """Spec text -> module source; `disable` names planner passes to leave out (see PASSES)."""
    # SymPy and Jinja2 load only here: a warm cellgen.load of a cached module never needs them.
    from .backend.emit import render
    from .middle.derive import derive
    from .middle.hoist import hoist
    from .middle.lower import lower
    from .middle.plan import plan
    cell = check_text(text, path)
    graph = lower(cell)
    if "hoist_input_norms" not in disable:  # a rewrite of the graph: derive sees the hoisted nodes
        graph = hoist(graph)
    p = plan(derive(graph), disable)
    return Compiled(cell, p.derivation, p, render(p))


def write_atomic(target: Path, data: str) -> bool:
    """Write only when the bytes change (Numba's cache keys on mtime); never leave half a file."""
    encoded = data.encode("utf-8")
    if target.exists() and target.read_bytes() == encoded:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(encoded)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def cache_dir() -> Path:
    """Where cellgen.load keeps its modules; refused before anything is compiled when it
    (or a folder above it) is a file."""
    variable = "CELLGEN_CACHE_DIR" if os.environ.get("CELLGEN_CACHE_DIR") else "XDG_CACHE_HOME"
    root = Path(os.environ.get("CELLGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "cellgen"))
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise NotADirectoryError(f"cellgen's cache folder {root} cannot be made: {existing} is a file; "
                                 f"point {variable} at a folder (it is created if missing)")
    return root


CATALOG = Path(__file__).resolve().parent / "catalog"


def catalog() -> list[str]:
    """The names of the cells that ship with cellgen (lstm, gru, ...)."""
    return sorted(p.stem for p in CATALOG.glob("*.cell"))


def catalog_path(name: str) -> Path:
    """The spec file of a catalog cell; ValueError naming the catalog when there is none."""
    path = CATALOG / f"{name}.cell"
    if name not in catalog():
        raise ValueError(f"no cell {name!r} in cellgen's catalog; it has {catalog()}")
    return path


def load(path: str | os.PathLike) -> ModuleType:
    """Build the spec at `path` (cached by its content) and import the generated module.

    `path` may also name a catalog cell: cellgen.load("lstm") where no file ./lstm exists.

    The module lives at a stable path named by the hash of the spec and of cellgen (its
    version and its code), so Numba's on-disk cache of its kernels stays valid across
    processes and a changed compiler never serves a module it did not generate.
    """
    path = spec_path(path)
    return load_text(read_spec(path), str(path))


def spec_path(path: str | os.PathLike) -> Path:
    """The spec file `path` names: the file, or the catalog cell of that name where no such
    file exists (SpecError when there is neither)."""
    if isinstance(path, str) and not Path(path).exists() and path.isidentifier():
        if path not in catalog():
            raise SpecError([Diagnostic(1, 1, f"no such file, and no cell of that name in the catalog "
                                              f"{catalog()}", path)])
        return catalog_path(path)
    return Path(path)


@functools.lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """A hash of cellgen's own code and templates. Part of a cached module's name: a changed
    compiler (an editable install, an upgrade that kept the version) never serves the
    module an older one generated."""
    package = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2") and p.is_file()):
        h.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def load_text(text: str, path: str = "<spec>") -> ModuleType:
    """`load` for spec text that is not in a file; `path` only names it in errors."""
    from . import __version__, runtime
    # runtime.VERSION as this process imported it: the module must pass runtime.require
    key = f"{__version__}\0{runtime.VERSION}\0{compiler_fingerprint()}\0{text}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    cell = check_text(text, path)
    for w in cell.warnings:
        warnings.warn(w.format(), SpecWarning, stacklevel=3)
    directory = cache_dir()
    target = directory / f"{cell.name}_{digest}.py"
    module_name = f"cellgen_cache.{cell.name}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    if _cached_source(target) is None:
        source = compile_spec(text, path).source
        write_atomic(target, source + _DIGEST + hashlib.sha256(source.encode()).hexdigest() + "\n")
    spec = importlib.util.spec_from_file_location(module_name, target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[module_name] = module
    return module


_DIGEST = "# cellgen cache digest: "


def _cached_source(target: Path) -> str | None:
    """The cached module's source, or None when it is missing, torn or tampered with.

    Each cache file ends with the SHA-256 of everything above that line: a corrupt
    entry is rebuilt, never trusted."""
    try:
        data = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    body, sep, digest = data.rpartition(_DIGEST)
    if not sep or digest.strip() != hashlib.sha256(body.encode()).hexdigest():
        return None
    return body
