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
