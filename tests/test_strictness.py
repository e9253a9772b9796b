"""Optional strictness: any unknown name becomes a parameter, so a typo (`f * cc` for
`f * c`) compiles into another cell. cellgen warns where a new parameter is one edit from
a state, an intermediate or the input; a `param` line makes undeclared names errors."""
import subprocess
import sys

import pytest

import cellgen
from cellgen import SpecError, SpecWarning
from cellgen.frontend.checker import _one_edit
from cellgen.pipeline import check_text
from conftest import ROOT, SPECS
from test_unseen_cells import CELLS

TYPO = """cell typo
input x
state h, c
f = sigmoid(W_f @ h + U_f @ x + b_f)
g = tanh(W_g @ h + U_g @ x + b_g)
c' = f * cc + (1 - f) * g
h' = tanh(c')
"""
DECLARED = TYPO.replace("state h, c\n", "state h, c\nparam W_f, U_f, b_f, W_g, U_g, b_g\n")


def test_a_parameter_one_edit_from_a_state_is_a_warning_at_its_column(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "typo.cell"
    spec.write_text(TYPO)
    with pytest.warns(SpecWarning, match=r"typo.cell:6:10: warning: 'cc' becomes a new parameter, one edit "
                                         r"from the state 'c': did you mean 'c'\?"):
        module = cellgen.load(spec)
    assert "cc" in module.PARAMS  # a warning: the spec still compiles as written
    r = subprocess.run([sys.executable, "-m", "cellgen", "build", str(spec), "-o", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "typo.cell:6:10: warning: 'cc'" in r.stderr


@pytest.mark.parametrize("name", SPECS)
def test_no_catalog_cell_warns(name):
    assert check_text((ROOT / "specs" / f"{name}.cell").read_text(), name).warnings == ()


@pytest.mark.parametrize("name", sorted(CELLS))
def test_no_unseen_test_cell_warns(name):
    assert check_text(CELLS[name][0], f"{name}.cell").warnings == ()


def test_a_param_line_makes_an_undeclared_name_an_error():
    with pytest.raises(SpecError) as e:
        check_text(DECLARED, "typo.cell")
    assert (e.value.line, e.value.col) == (7, 10)
    assert "'cc' is not defined: not a declared parameter (W_f, U_f, b_f, W_g, U_g, b_g)" in str(e.value)


@pytest.mark.parametrize("param_line,where,message", [
    ("param W_f, U_f, b_f, W_g, U_g, b_g, V", (4, 37), "parameter 'V' is declared but never used"),
    ("param W_f, U_f, b_f, W_g, U_g, b_g, W_f", (4, 37), "parameter 'W_f' is declared twice (first at 4:7)"),
    ("param W_f, U_f, b_f, W_g, U_g, b_g, h", (4, 37), "'h' is declared a parameter, but it is a state"),
    ("param W_f, U_f, b_f, W_g, U_g, b_g, f", (4, 37), "'f' is declared a parameter, but it is an intermediate"),
    ("param W_f, U_f, b_f, W_g, U_g, b_g, x", (4, 37), "'x' is declared a parameter, but it is the input"),
])
def test_bad_param_lines(param_line, where, message):
    text = TYPO.replace("state h, c\n", f"state h, c\n{param_line}\n").replace("cc", "c")
    with pytest.raises(SpecError) as e:
        check_text(text, "bad.cell")
    assert (e.value.line, e.value.col) == where and message in str(e.value)


def test_a_complete_param_line_changes_nothing_in_the_module():
    plain, declared = TYPO.replace("cc", "c"), DECLARED.replace("cc", "c")
    assert cellgen.compile_spec(declared, "typo.cell").source == cellgen.compile_spec(plain, "typo.cell").source
    assert check_text(declared, "typo.cell").warnings == () == check_text(plain, "typo.cell").warnings


def test_a_param_line_silences_the_near_miss_warning():
    text = DECLARED.replace("b_g\n", "b_g, cc\n")  # cc declared: meant as a parameter
    assert check_text(text, "typo.cell").warnings == ()


@pytest.mark.parametrize("a,b,near", [
    ("cc", "c", True), ("gate", "gaet", True), ("gate", "gates", True), ("h_new", "h_nw", True),
    ("W", "h", False), ("b", "h", False), ("Wz", "z", False), ("cx", "c", False), ("W_i", "i", False),
    ("c", "c", False), ("abc", "abcde", False),
])
def test_one_edit(a, b, near):
    assert _one_edit(a, b) is near and _one_edit(b, a) is near
