"""A generated module holds only its cell and runs on cellgen.runtime: it loads under any
import name from one Numba cache, never loads the compiler, and refuses another runtime."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import cellgen
import cellgen.runtime
from cellgen.gradcheck import check_module_object, import_source
from conftest import ROOT

# Runs the module's forward + backward; prints a checksum and the drivers' cache misses.
RUN = """
import json, numpy as np
p = m.init_params(3, 5, seed=1, dtype=np.float64)
xs = np.random.default_rng(0).standard_normal((4, 2, 3))
ys, final, tape = m.forward(p, xs)
dparams, dxs, _ = m.backward(p, tape, np.ones_like(ys))
misses = sum(sum(f.stats.cache_misses.values()) for f in (m._forward_rows, m._backward_rows))
print(json.dumps([float(ys.sum()), float(dxs.sum()), float(sum(v.sum() for v in dparams.values())), misses]))
"""
IMPORTS = {
    "package": ("project", "from generated import rnn as m"),
    "top-level": ("project/generated", "import rnn as m"),
    "spec_from_file_location": (".", "import importlib.util\n"
                                "s = importlib.util.spec_from_file_location('other', 'project/generated/rnn.py')\n"
                                "m = importlib.util.module_from_spec(s)\ns.loader.exec_module(m)"),
}


def run(tmp_path, how, env):
    cwd, imports = IMPORTS[how]
    r = subprocess.run([sys.executable, "-c", imports + "\n" + RUN], cwd=tmp_path / cwd, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{how}: {r.stderr[-3000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("order", [("package", "top-level", "spec_from_file_location"),
                                   ("spec_from_file_location", "top-level", "package")])
def test_any_import_name_in_any_order_shares_one_cache(tmp_path, order):
    generated = tmp_path / "project" / "generated"
    generated.mkdir(parents=True)
    (generated / "__init__.py").write_text("")
    shutil.copy(ROOT / "generated" / "rnn.py", generated / "rnn.py")
    # cellgen from this checkout, whatever the current folder; one Numba cache for all
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), PYTHONPATH=str(ROOT))
    results = [run(tmp_path, how, env) for how in order]
    assert results[0][3] > 0  # the first process compiled the drivers
    for how, r in zip(order[1:], results[1:]):
        assert r[3] == 0, f"{how} compiled again instead of loading the cache"
        assert r[:3] == results[0][:3]


def test_importing_a_generated_module_never_loads_the_compiler():
    code = ("import sys, json; import generated.lstm as m; "
            "print(json.dumps(sorted(sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stdout))
    compiler = {"sympy", "jinja2", "cellgen.pipeline", "cellgen.frontend", "cellgen.middle", "cellgen.backend"}
    assert not loaded & compiler, sorted(loaded & compiler)
    assert "cellgen.runtime.driver" in loaded


def test_a_module_built_for_another_runtime_asks_for_a_rebuild(tmp_path):
    source = (ROOT / "generated" / "rnn.py").read_text()
    assert f'RUNTIME = "{cellgen.runtime.VERSION}"' in source
    old = source.replace(f'RUNTIME = "{cellgen.runtime.VERSION}"', 'RUNTIME = "0123456789abcdef"')
    with pytest.raises(ImportError, match="rebuild with `cellgen build`"):
        import_source(old, "old_rnn", str(tmp_path))


def test_the_runtime_version_changes_with_its_code(tmp_path):
    runtime = tmp_path / "runtime"
    shutil.copytree(ROOT / "cellgen" / "runtime", runtime, ignore=shutil.ignore_patterns("__pycache__"))
    code = "import importlib.util as u, sys; s = u.spec_from_file_location('rt', sys.argv[1]); " \
           "m = u.module_from_spec(s); s.loader.exec_module(m); print(m.VERSION)"

    def version():
        return subprocess.run([sys.executable, "-c", code, str(runtime / "__init__.py")], capture_output=True,
                              text=True, check=True).stdout.strip()
    assert version() == cellgen.runtime.VERSION
    with open(runtime / "rows.py", "a") as f:
        f.write("\n# a change\n")
    assert version() != cellgen.runtime.VERSION


# Spec names that spell the generator's own: arrays (dV_c of issue 20, dW_a, Gn_a, S__h),
# symbols (mv__a, d__h, g__h__new), loop variables and a parameter whose name fakes a
# second use of another (a and a__2, mv2__a).
COLLISIONS = {
    "dV_c": "input x\nstate h\ndV_c = tanh(W @ h + U @ x + b)\nh' = c * dV_c + 0.5 * h\n",
    "arrays": ("input x\nstate h, c\n"
               "dW_a = sigmoid(W @ h + U @ x + b)\nGn_a = tanh(dW_a * c + M__0)\nS__h = Gn_a * dV__c\n"
               "dM__0 = tanh(x__rows @ h + P__b)\ny__seq = S__h + 0.5 * dM__0 * dy__seq\n"
               "h' = y__seq\nc' = G__h * c + (1 - G__h) * S__h\n"),
    "symbols": ("input x\nstate h\nmv__a = tanh(a @ h + a__2 @ x)\nd__h = sigmoid(a @ (mv__a * h) + mv2__a)\n"
                "g__h__new = d__h * h + _x0 * mv__a\nda__0 = g__h__new * _c_1\nh' = da__0 + dy__out * _t\n"),
}


@pytest.mark.parametrize("name", sorted(COLLISIONS))
def test_spec_names_never_collide_with_generated_ones(name, tmp_path):
    compiled = cellgen.compile_spec(COLLISIONS[name], f"{name}.cell")
    module = import_source(compiled.source, f"clash_{name}", str(tmp_path))
    rows = check_module_object(module, seed=3)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]
    assert len(rows) == len(module.PARAMS) + 1 + len(module.STATES)


def test_the_runtime_imports_only_numpy_numba_and_the_standard_library():
    import ast
    for path in sorted((ROOT / "cellgen" / "runtime").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                top = name.split(".")[0]
                assert top in ("numpy", "numba") or top in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_the_runtime_is_linted():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' brings it)")
    r = subprocess.run([ruff, "check", "cellgen/runtime"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


BITS = """
import hashlib, json, numpy as np
from generated import lstm as m
rng = np.random.default_rng(0)
p = m.init_params(16, 32, seed=1, dtype=np.float32)
xs = rng.standard_normal((20, 40, 16)).astype(np.float32)  # 40 rows: blocks on threads where it can
ys, final, tape = m.forward(p, xs)
dparams, dxs, dstate0 = m.backward(p, tape, rng.standard_normal(ys.shape).astype(np.float32))
h = hashlib.sha256()
for a in [ys, dxs, *final, *dstate0, *dparams.values()]:
    h.update(np.ascontiguousarray(a).tobytes())
misses = sum(sum(f.stats.cache_misses.values()) for f in (m._forward_rows, m._backward_rows))
print(json.dumps([h.hexdigest(), misses]))
"""


def test_freshly_compiled_and_cached_kernels_give_the_same_bits(tmp_path):
    # issue 20: lstm's ys differed in 97,707 of 204,800 values between the two
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    runs = [subprocess.run([sys.executable, "-c", BITS], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), [r.stderr[-2000:] for r in runs]
    (fresh, compiled), (cached, recompiled) = (json.loads(r.stdout.strip().splitlines()[-1]) for r in runs)
    assert compiled > 0 and recompiled == 0
    assert fresh == cached


# Makes the folders below READ_ONLY unwritable for Numba's cache, as in a container image or
# another user's checkout (the tests run as root, for whom permission bits do not count).
READ_ONLY_SITE = """
import os, tempfile
_roots = [os.path.realpath(p) for p in os.environ["READ_ONLY"].split(os.pathsep)]
_TemporaryFile, _makedirs = tempfile.TemporaryFile, os.makedirs
def _refused(path):
    return any(os.path.realpath(path).startswith(r) for r in _roots)
def TemporaryFile(*args, dir=None, **kwargs):
    if dir is not None and _refused(dir):
        raise PermissionError(13, "Permission denied", dir)
    return _TemporaryFile(*args, dir=dir, **kwargs)
def makedirs(path, *args, **kwargs):
    if _refused(path) and not os.path.isdir(path):
        raise PermissionError(13, "Permission denied", path)
    return _makedirs(path, *args, **kwargs)
tempfile.TemporaryFile, os.makedirs = TemporaryFile, makedirs
"""


def test_read_only_caches_serve_and_an_empty_one_compiles_in_memory(tmp_path):
    # issue 20: a populated but read-only cache failed at import ("no locator available")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(READ_ONLY_SITE)
    project = tmp_path / "project"
    (project / "generated").mkdir(parents=True)
    (project / "generated" / "__init__.py").write_text("")
    shutil.copy(ROOT / "generated" / "rnn.py", project / "generated" / "rnn.py")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(ROOT))
    code = "import warnings; warnings.simplefilter('always')\nfrom generated import rnn as m\n" + RUN

    def run(read_only: bool):
        e = dict(env)
        if read_only:  # everything Numba could write to, the runtime's own folder included
            e.update(READ_ONLY=os.pathsep.join([str(project), str(home), str(ROOT)]),
                     PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
        r = subprocess.run([sys.executable, "-c", code], cwd=project, env=e, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        return json.loads(r.stdout.strip().splitlines()[-1]), r.stderr

    writable, _ = run(False)  # populates generated/__pycache__
    served, warned = run(True)
    assert served[3] == 0 and served[:3] == writable[:3] and "compile in memory" not in warned
    shutil.rmtree(project / "generated" / "__pycache__")
    compiled, warned = run(True)
    assert compiled[3] > 0 and compiled[:3] == writable[:3] and "compile in memory" in warned
    assert not (project / "generated" / "__pycache__").exists()
