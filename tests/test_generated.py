"""generated/ is what `cellgen build specs/*.cell` writes, byte for byte, and stays standalone."""
import ast
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SPECS, generated


def build(out, hashseed="0"):
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    specs = [str(ROOT / "specs" / f"{s}.cell") for s in SPECS]
    subprocess.run([sys.executable, "-m", "cellgen", "build", *specs, "-o", str(out)], check=True, env=env)
    return {p.name: p.read_bytes() for p in out.glob("*.py")}


def check(out):
    specs = [str(ROOT / "specs" / f"{s}.cell") for s in SPECS]
    return subprocess.run([sys.executable, "-m", "cellgen", "build", "--check", *specs, "-o", str(out)],
                          capture_output=True, text=True)


def test_generated_is_not_stale():
    r = check(ROOT / "generated")
    assert r.returncode == 0, f"generated/ is stale: run `cellgen build specs/*.cell`\n{r.stdout[:5000]}"
    assert sorted(p.stem for p in (ROOT / "generated").glob("*.py") if p.stem != "__init__") == SPECS


def test_check_fails_with_a_diff_and_writes_nothing(tmp_path):
    built = build(tmp_path)
    lstm = tmp_path / "lstm.py"
    lstm.write_bytes(built["lstm.py"].replace(b"tanh", b"tan", 1))
    (tmp_path / "rnn.py").unlink()
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.py")}
    r = check(tmp_path)
    assert r.returncode == 1 and "2 of" in r.stderr
    assert "-" in r.stdout and "+++" in r.stdout and "tan" in r.stdout and "rnn.py" in r.stdout
    assert before == {p.name: p.read_bytes() for p in tmp_path.glob("*.py")}
    assert check(tmp_path).returncode == 1


def test_build_is_deterministic_across_hash_seeds(tmp_path):
    assert build(tmp_path / "a", "1") == build(tmp_path / "b", "2")


def test_rebuild_keeps_mtime_when_bytes_do_not_change(tmp_path):
    build(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.py")}
    build(tmp_path)
    assert before == {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.py")}


@pytest.mark.parametrize("name", SPECS)
def test_module_is_standalone_and_documented(name):
    path = ROOT / "generated" / f"{name}.py"
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert {"numpy", "numba"} <= imported
    assert all(name in ("numpy", "numba") or name.startswith("cellgen.runtime") for name in imported), imported
    # no runtime code: no classes, and every function a jitted kernel or driver of this cell
    assert not any(isinstance(node, ast.ClassDef) for node in tree.body)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert functions and all(ast.unparse(node.decorator_list[0]).startswith("numba.njit") for node in functions)
    doc = ast.get_docstring(tree)
    m = generated(name)
    assert "Forward" in doc and "Backward" in doc
    for s in m.STATES:
        assert f"{s}' = " in doc and f"d{s} = " in doc
    assert m.NAME == name and set(m.PARAMS) and m.INPUT == "x"


def test_contract_attributes_of_lstm():
    m = generated("lstm")
    assert (m.NAME, m.INPUT, m.STATES, m.OUTPUT) == ("lstm", "x", ("h", "c"), "h")
    assert m.PARAMS["W_i"] == ("hidden", "hidden") and m.PARAMS["U_i"] == ("hidden", "input")
    assert m.PARAMS["b_i"] == ("hidden",)
    p = m.init_params(3, 5, seed=0)
    assert set(p) == set(m.PARAMS) and p["U_f"].shape == (5, 3) and p["W_o"].dtype.name == "float32"


def tape_floats_per_unit(m, T=3, B=2, I=4, H=8):
    _, _, tape = m.forward(m.init_params(I, H, dtype=np.float32), np.zeros((T, B, I), np.float32))
    arrays = [v for k, v in tape.items() if isinstance(v, np.ndarray) and k not in ("x__rows", "lengths")]
    return sum(a.size for a in arrays) / (T * B * H), sorted(k for k, v in tape.items() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("name,floats", [("lstm", 6), ("gru_cho", 5)])
def test_tape_keeps_gates_not_products(name, floats):
    # Products that meet an input product only in a sum keep that sum's gate on the tape
    # (gru_cho: h, r, z, n and r * h), and BPTT reads the recurrent gradients where the
    # input ones are (no dM streams): what BPTT needs, each once. The states have T + 1 steps.
    m = generated(name)
    per_unit, keys = tape_floats_per_unit(m, T=3)
    assert per_unit == pytest.approx(floats + len(m.STATES) / 3), keys
    assert not any(k.startswith("M__") for k in keys)
    if name == "gru_cho":
        assert not any(a.name.startswith("dM__") for a in m._CELL.backward_arrays)
