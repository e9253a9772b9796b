"""Wrong specs: one `file:line:col: error:` line per problem, nothing written, no traceback."""
import subprocess
import sys

import pytest

import cellgen
from cellgen import SpecError
from conftest import ROOT

HEAD = "input x\nstate h\n"
# (spec text, line, col, words the message must contain)
CASES = {
    "syntax": (HEAD + "h' = tanh(W @ h +)\n", 3, 18, "expected"),
    "unclosed parenthesis": (HEAD + "h' = tanh(W @ h\n", 3, 10, "never closed"),
    "unknown function": (HEAD + "h' = tanhh(W @ h)\n", 3, 6, "unknown function 'tanhh'"),
    "function arity": (HEAD + "h' = tanh(h, h)\n", 3, 6, "one argument"),
    "state without update": ("input x\nstate h, c\nh' = tanh(W @ h)\n", 2, 10, "'c' has no update"),
    "state updated twice": (HEAD + "h' = tanh(W @ h)\nh' = h\n", 4, 1, "updated twice"),
    "name defined twice": (HEAD + "a = h\na = h\nh' = a\n", 4, 1, "defined twice"),
    "input assigned": (HEAD + "x = h\nh' = h\n", 3, 1, "is the input"),
    "state assigned without prime": (HEAD + "h = W @ h\nh' = h\n", 3, 1, "is a state"),
    "prime on non-state (target)": (HEAD + "a' = h\nh' = h\n", 3, 1, "not a state"),
    "prime on non-state (use)": (HEAD + "a = h\nh' = a'\n", 4, 6, "not a state"),
    "dependency cycle": (HEAD + "a = b\nb = tanh(a)\nh' = a\n", 3, 1, "cycle: a -> b -> a"),
    "mixed sizes": (HEAD + "h' = tanh(h + x)\n", 3, 13, "mixes an input-sized"),
    "input-sized state": (HEAD + "h' = x * 2\n", 3, 1, "input-sized"),
    "@ left not a parameter": (HEAD + "h' = (h * 2) @ x\n", 3, 7, "left side of '@'"),
    "@ left is a state": (HEAD + "h' = h @ x\n", 3, 6, "left side of '@'"),
    "@ of a constant": (HEAD + "h' = W @ 2\n", 3, 8, "constant"),
    "matrix and vector": (HEAD + "h' = tanh(W @ h + W)\n", 3, 19, "used as a vector here and as a matrix"),
    "matrix of two sizes": (HEAD + "h' = tanh(W @ h + W @ x)\n", 3, 21, "input-sized vector here"),
    "output names nothing": (HEAD + "output q\nh' = h\n", 3, 8, "names no state or intermediate"),
    "attribute access": (HEAD + "h' = np.tanh(h)\n", 3, 8, "attribute access"),
    "subscript": (HEAD + "h' = h[0]\n", 3, 7, "subscripts"),
    "keyword": (HEAD + "h' = h if h else h\n", 3, 8, "keyword"),
    "import": (HEAD + "import os\nh' = h\n", 3, 1, "keyword"),
    "lambda": (HEAD + "h' = lambda: h\n", 3, 6, "lambdas"),
    "string": (HEAD + "h' = \"h\"\n", 3, 6, "strings"),
    "single-quoted string": (HEAD + "h' = 'h'\n", 3, 6, "strings"),
    "non-number exponent": (HEAD + "h' = h ** h\n", 3, 11, "exponent"),
    "no input": ("state h\nh' = h\n", 1, 1, "no 'input"),
    "two inputs": ("input x\ninput y\nstate h\nh' = h\n", 2, 1, "second 'input'"),
    "no state": ("input x\na = W @ x\n", 1, 1, "no 'state"),
    "init of non-parameter": (HEAD + "init h = 1\nh' = h\n", 3, 6, "not a parameter"),
    "bad cell name": ("cell import\n" + HEAD + "h' = h\n", 1, 6, "keyword"),
    "cell name shadows a module": ("cell numpy\n" + HEAD + "h' = h\n", 1, 6, "module"),
    "stray character": (HEAD + "h' = h $ h\n", 3, 8, "unexpected character"),
    "function as a value": (HEAD + "h' = tanh\n", 3, 6, "is a function"),
    # sizes beyond input and hidden
    "two sizes meet": ("input x\nstate h[proj], c\nc' = tanh(c + h)\nh' = P @ c\n", 3, 13,
                       "mixes a hidden-sized value with a proj-sized one"),
    "matrix rows clash": ("input x\nstate h[proj], c\nc' = tanh(W @ c + U @ x)\nh' = W @ c\n", 4, 1,
                          "new value of state 'h' is hidden-sized, but 'h' is proj-sized"),
    "matrix columns clash": ("input x\nstate h[proj], c\nc' = tanh(W @ c + W @ h)\nh' = P @ c\n", 3, 21,
                             "matrix 'W' multiplies a proj-sized vector here and a hidden-sized one at 3:13"),
    "declared intermediate clash": ("input x\nstate h\nm[proj] = W @ h + h\nh' = V @ m\n", 3, 1,
                                    "'m' is declared proj-sized, but its value is hidden-sized"),
    "input-sized state declared": ("input x\nstate h[input]\nh' = W @ h\n", 2, 9, "cannot be input-sized"),
    "reserved size name": ("input x\nstate h[T]\nh' = W @ h\n", 2, 9, "cannot name a size"),
    "size not a name": ("input x\nstate h[4]\nh' = W @ h\n", 2, 9, "size name"),
    "size bracket not closed": ("input x\nstate h[proj\nh' = W @ h\n", 2, 13, "']'"),
    "size on a primed target": (HEAD + "h'[proj] = W @ h\n", 3, 3, "subscripts"),
    "mean of another size": ("input x\nstate h[proj], c\nc' = c * mean(h)\nh' = P @ c\n", 3, 10,
                             "averages over the hidden units"),
    "subscript after a call": (HEAD + "h' = tanh(h)[0]\n", 3, 13, "subscripts"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_position_and_message(name):
    text, line, col, words = CASES[name]
    with pytest.raises(SpecError) as info:
        cellgen.compile_spec(text, "bad.cell")
    e = info.value
    assert (e.path, e.line, e.col) == ("bad.cell", line, col), str(e)
    assert words in e.message, str(e)
    assert str(e).startswith(f"bad.cell:{line}:{col}: error: ")


def test_cell_name_from_a_bad_file_name():
    with pytest.raises(SpecError) as info:
        cellgen.compile_spec(HEAD + "h' = h\n", "my-cell.cell")
    assert (info.value.line, info.value.col) == (1, 1) and "add a 'cell NAME' line" in info.value.message


def test_all_problems_of_a_file_are_reported():
    text = "input x\nstate h, c\na = tanhh(h)\nb = h + x\nh' = q'\n"
    with pytest.raises(SpecError) as info:
        cellgen.compile_spec(text, "many.cell")
    positions = [(d.line, d.col) for d in info.value.diagnostics]
    assert positions == sorted(positions)
    assert {(2, 10), (3, 5), (4, 7), (5, 6)} <= set(positions), str(info.value)


def test_a_broken_line_does_not_also_report_a_missing_update():
    with pytest.raises(SpecError) as info:
        cellgen.compile_spec(HEAD + "h' = tanh(W @ h +)\n", "bad.cell")
    assert len(info.value.diagnostics) == 1


def test_cli_refuses_without_traceback_and_writes_nothing(tmp_path):
    good = tmp_path / "good.cell"
    good.write_text("input x\nstate h\nh' = tanh(W @ h + U @ x)\n")
    bad = tmp_path / "bad.cell"
    bad.write_text(CASES["mixed sizes"][0])
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "cellgen", "build", str(good), str(bad), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == f"{bad}:3:13: error: '+' mixes an input-sized value with a hidden-sized one; " \
                               "only '@' connects the two sizes"
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert not out.exists()


def test_failed_build_leaves_earlier_file_untouched(tmp_path):
    spec = tmp_path / "c.cell"
    spec.write_text("input x\nstate h\nh' = tanh(W @ h + U @ x)\n")
    out = tmp_path / "gen"
    assert subprocess.run([sys.executable, "-m", "cellgen", "build", str(spec), "-o", str(out)]).returncode == 0
    before = (out / "c.py").read_bytes()
    spec.write_text("input x\nstate h\nh' = tanh(W @ h + x)\n")
    r = subprocess.run([sys.executable, "-m", "cellgen", "build", str(spec), "-o", str(out)], capture_output=True)
    assert r.returncode == 1
    assert (out / "c.py").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["c.py"]


def test_unreadable_file_is_a_spec_error(tmp_path):
    p = tmp_path / "latin1.cell"
    p.write_bytes(b"input x\nstate h\nh' = h # caf\xe9\n")
    r = subprocess.run([sys.executable, "-m", "cellgen", "build", str(p), "-o", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("fmt,needle", [("text", "dc = dc'*f"), ("latex", r"\overline{c'} &="),
                                        ("markdown", "## Backward (derived)")])
def test_show_formats(fmt, needle):
    r = subprocess.run([sys.executable, "-m", "cellgen", "show", "--format", fmt, "specs/lstm.cell"],
                       capture_output=True, text=True, cwd=str(ROOT))
    assert r.returncode == 0 and needle in r.stdout, r.stdout + r.stderr


def test_show_graph_is_dot():
    r = subprocess.run([sys.executable, "-m", "cellgen", "show", "--graph", "specs/gru_cho.cell"],
                       capture_output=True, text=True, cwd=str(ROOT))
    assert r.returncode == 0 and r.stdout.startswith('digraph "gru_cho" {') and r.stdout.rstrip().endswith("}")
    assert '"mv__W_n" [label="(W_n @ (h*r))", shape=box];' in r.stdout
    assert 'label="GEMM 2: level 2"' in r.stdout


def test_cli_help_version_and_usage_errors():
    r = subprocess.run([sys.executable, "-m", "cellgen", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "examples:" in r.stdout and "exit codes" in r.stdout
    r = subprocess.run([sys.executable, "-m", "cellgen", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("cellgen ")
    r = subprocess.run([sys.executable, "-m", "cellgen", "frobnicate"], capture_output=True, text=True)
    assert r.returncode == 2


def test_build_is_quiet_on_success(tmp_path):
    r = subprocess.run([sys.executable, "-m", "cellgen", "build", str(ROOT / "specs" / "rnn.cell"), "-o",
                        str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
