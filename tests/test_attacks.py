"""Hostile input: the compiler never crashes, never writes half a file, never runs what it
reads, and its kernels survive extreme values."""
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import cellgen
from cellgen import SpecError
from cellgen.gradcheck import check_module_object, import_source
from conftest import ROOT, generated
from fuzz_specs import mutated_specs


def compile_or_refuse(text: str):
    """What every input must lead to: a valid module, or located errors."""
    try:
        compiled = cellgen.compile_spec(text, "fuzz.cell")
    except SpecError as e:
        assert e.diagnostics and all(d.line >= 1 and d.col >= 1 for d in e.diagnostics)
        assert all(line.startswith("fuzz.cell:") and ": error: " in line for line in str(e).split("\n"))
        return None
    compile(compiled.source, "generated.py", "exec")
    return compiled


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(mutated_specs())
def test_mutated_specs_compile_or_are_refused(text):
    compile_or_refuse(text)


H = "input x\nstate h\n"
NASTY = {
    "huge number": H + "h' = h * 1e999\n",
    "zero exponent in an operand": H + "h' = tanh(W @ h + U @ (x ** 0))\n",
    "operand that cancels": H + "h' = tanh(W @ (h - h) + U @ x)\n",
    "log of zero": H + "h' = log(0 * h) + h\n",
    "division by zero": H + "h' = h / 0\n",
    "deep parentheses": H + "h' = " + "(" * 10000 + "h" + ")" * 10000 + "\n",
    "deep unary minus": H + "h' = " + "-" * 10000 + "h\n",
    "deep calls": H + "h' = " + "tanh(" * 5000 + "h" + ")" * 5000 + "\n",
    "power tower": H + "h' = h" + " ** 2" * 5000 + "\n",
    "long sum": H + "h' = " + " + ".join(["h"] * 5000) + "\n",
    "long line": H + "h' = h " + " " * 1_000_000 + "\n",
    "nul byte": H + "h' = h\x00\n",
    "byte order mark": "\ufeff" + H + "h' = h\n",
    "CRLF": (H + "h' = tanh(W @ h + U @ x)\n").replace("\n", "\r\n"),
    "empty": "",
    "right-to-left override": H + "h' = h \u202e# x\n",
    "python in a comment": H + "# \"\"\"; import os; os.system('touch pwned')\nh' = h\n",
    "triple quotes": H + "h' = h \"\"\"\n",
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_inputs(name):
    compile_or_refuse(NASTY[name])


def test_a_thousand_equations():
    text = H + "".join(f"a{i} = tanh(a{i - 1} * 0.5 + b{i})\n" for i in range(1, 1000))
    text += "a0 = tanh(W @ h + U @ x)\nh' = a999\n"
    compiled = compile_or_refuse(text)
    assert compiled is not None and len(compiled.cell.params) == 1001


def test_cli_never_shows_a_traceback(tmp_path):
    for i, text in enumerate(NASTY.values()):
        spec = tmp_path / f"case{i}.cell"
        spec.write_text(text, encoding="utf-8", newline="")
        r = subprocess.run([sys.executable, "-m", "cellgen", "build", str(spec), "-o", str(tmp_path / "out")],
                           capture_output=True, text=True)
        assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
        if r.returncode == 1:
            assert all(": error: " in line for line in r.stderr.strip().split("\n"))


SHADOWS = ["np", "numba", "range", "len", "float", "_k", "_t", "_td", "_B", "_H", "_L", "_b", "_j", "_r", "_x0",
           "c_1", "_c_1", "_C_1", "S_h", "M_0", "X_1", "P_b", "G_h", "Gn_h", "dM_0", "dys", "ys", "xs2", "dy",
           "_sigmoid", "_tanh", "_tanh_f32", "forward", "backward", "step", "init_params", "PARAMS", "NAME",
           "d__h", "g__h__new", "mv__W", "h__new", "_u_np", "k", "p", "tape", "work", "lambda_", "True_"]


def test_names_that_shadow_the_generated_code(tmp_path):
    lines = ["input x", "state h", "output forward", f"{SHADOWS[0]} = tanh(W @ h + U @ x + c_0)"]
    for prev, name in zip(SHADOWS, SHADOWS[1:]):
        lines.append(f"{name} = {prev} * 0.5 + sigmoid({prev}) * v_{name}")
    lines.append(f"h' = {SHADOWS[-1]} + 1")
    text = "\n".join(lines) + "\n"
    compiled = cellgen.compile_spec(text, str(tmp_path / "shadow.cell"))
    module = import_source(compiled.source, "shadow", str(tmp_path))
    for dtype in (np.float32, np.float64):
        p = module.init_params(2, 3, dtype=dtype)
        assert np.isfinite(module.forward(p, np.ones((2, 1, 2), dtype))[0]).all()
    rows = check_module_object(module, seed=2, T=2, B=2, I=2, H=3)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


def build_of(source: str) -> str:
    return source.split('BUILD = "', 1)[1][:16]


def test_generated_module_runs_nothing_from_the_spec(tmp_path):
    spec = tmp_path / 'evil"""\n.cell'
    spec.write_text('# """\nimport os; os.system("touch pwned")  # refused line\n' + H + "h' = tanh(W @ h)\n")
    with pytest.raises(SpecError):
        cellgen.compile_spec(spec.read_text(), str(spec))
    body = "cell evil\n" + H + "h' = tanh(W @ h)\n"
    spec.write_text('# """; __import__("os").system("touch pwned")\n' + body)
    source = cellgen.compile_spec(spec.read_text(), str(spec)).source
    assert "pwned" not in source and "__import__" not in source and '"""\n.cell' not in source
    assert source == cellgen.compile_spec(body, str(spec)).source  # comments never reach the module
    (tmp_path / "evil.py").write_text(source)
    before = set(os.listdir(tmp_path))
    listing = "import json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "nbcache"))
    runs = [subprocess.run([sys.executable, "-c", f"{imports}; {listing}"], capture_output=True, text=True,
                           cwd=str(tmp_path), env=env) for imports in ("import numpy, numba, numba.extending",
                                                                       "import evil")]
    assert all(r.returncode == 0 and r.stderr == "" for r in runs), [r.stderr for r in runs]
    baseline, imported = (set(json.loads(r.stdout)) for r in runs)
    # the module brings nothing but numpy, numba and the runtime, and names itself by its bytes
    assert imported - baseline - {"evil", "cellgen"} == {f"_cellgen_cell_evil_{build_of(source)}"}
    assert set(os.listdir(tmp_path)) - before <= {"__pycache__", "nbcache"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["lstm", "gru", "rnn", "article_lstm", "lstm_niaf"])
def test_huge_preactivations_stay_finite_and_quiet(name, dtype):
    m = generated(name)
    p = {k: (v * 1e3).astype(dtype) for k, v in m.init_params(4, 5, seed=0, dtype=np.float64).items()}
    xs = (np.random.default_rng(0).standard_normal((6, 3, 4)) * 1e4).astype(dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        ys, final, tape = m.forward(p, xs)
        dparams, dxs, dstate0 = m.backward(p, tape, np.ones_like(ys), tuple(np.ones_like(f) for f in final))
    if name != "lstm_niaf":  # a linear candidate really is unbounded; the others saturate
        assert np.isfinite(ys).all() and all(np.isfinite(f).all() for f in final)
        assert all(np.isfinite(v).all() for v in dparams.values()) and np.isfinite(dxs).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_inf_propagate_without_crashing(dtype):
    m = generated("lstm")
    p = m.init_params(3, 4, seed=0, dtype=dtype)
    xs = np.ones((3, 3, 3), dtype)
    xs[1, 0, 0] = np.nan
    xs[1, 1, 0] = np.inf
    ys, final, tape = m.forward(p, xs)
    assert np.isnan(ys[1:, 0]).all() and not np.isnan(ys[0]).any() and not np.isnan(ys[:, 2]).any()
    dparams, dxs, _ = m.backward(p, tape, np.ones_like(ys))
    assert np.isnan(dparams["W_i"]).any()


def _load_in_subprocess(spec, cache):
    code = f"import cellgen, numpy as np; m = cellgen.load({str(spec)!r}); " \
           f"print(m.forward(m.init_params(2, 3, dtype=np.float64), np.ones((2, 1, 2)))[0].sum())"
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, CELLGEN_CACHE_DIR=str(cache)))


def test_concurrent_loads_share_a_valid_cache(tmp_path):
    spec = tmp_path / "twin.cell"
    spec.write_text(H + "h' = tanh(W @ h + U @ x + b)\n")
    procs = [_load_in_subprocess(spec, tmp_path / "cache") for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert outs[0][0] == outs[1][0]
    entries = list((tmp_path / "cache").glob("twin_*.py"))
    assert len(entries) == 1 and not list((tmp_path / "cache").glob(".*.tmp"))


def test_corrupt_cache_entry_is_rebuilt_and_changed_spec_is_not_stale(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "victim.cell"
    spec.write_text(H + "h' = tanh(W @ h + U @ x)\n")
    r = _load_in_subprocess(spec, tmp_path / "cache")
    first = r.communicate(timeout=300)
    assert r.returncode == 0, first
    (entry,) = (tmp_path / "cache").glob("victim_*.py")
    good = entry.read_text()
    entry.write_text(good.replace("np.tanh", "np.exp", 1))  # valid Python, wrong content
    r = _load_in_subprocess(spec, tmp_path / "cache")
    again = r.communicate(timeout=300)
    assert r.returncode == 0 and again[0] == first[0], again
    assert entry.read_text() == good
    spec.write_text(H + "h' = sigmoid(W @ h + U @ x)\n")  # same name, new equations
    r = _load_in_subprocess(spec, tmp_path / "cache")
    changed = r.communicate(timeout=300)
    assert r.returncode == 0 and changed[0] != first[0]
    assert len(list((tmp_path / "cache").glob("victim_*.py"))) == 2


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_float32_tracks_float64_over_a_thousand_steps(name):
    """Stated bound: over T = 1000 steps, float32 outputs stay within 1e-4 of float64 and
    the parameter gradients within 1e-3 relative (fast float32 activations included)."""
    m = generated(name)
    p64 = m.init_params(8, 16, seed=3, dtype=np.float64)
    xs = np.random.default_rng(3).standard_normal((1000, 4, 8))
    dys = np.random.default_rng(4).standard_normal((1000, 4, 16)) * 0.01
    ys64, _, t64 = m.forward(p64, xs)
    d64 = m.backward(p64, t64, dys)[0]
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    ys32, _, t32 = m.forward(p32, xs.astype(np.float32))
    d32 = m.backward(p32, t32, dys.astype(np.float32))[0]
    assert np.max(np.abs(ys32 - ys64)) < 1e-4
    for k in d64:
        assert np.max(np.abs(d32[k] - d64[k])) <= 1e-3 * np.max(np.abs(d64[k])), k


def test_concurrent_builds_into_one_folder(tmp_path):
    specs = [str(p) for p in sorted((ROOT / "specs").glob("*.cell"))]
    procs = [subprocess.Popen([sys.executable, "-m", "cellgen", "build", *specs, "-o", str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(f"{Path(s).stem}.py" for s in specs)  # no temporary files left behind
    for name in built:
        assert (tmp_path / name).read_bytes() == (ROOT / "generated" / name).read_bytes()


def test_a_changed_compiler_never_reuses_a_cached_module(tmp_path, monkeypatch):
    # same spec, same version, different cellgen code (an editable install, say)
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(tmp_path))
    text = "cell twin\n" + H + "h' = tanh(W @ h + U @ x + b)\n"
    first = cellgen.load_text(text)
    assert cellgen.load_text(text) is first
    monkeypatch.setattr(cellgen.pipeline, "compiler_fingerprint", lambda: "another compiler")
    second = cellgen.load_text(text)
    assert second is not first and second.__file__ != first.__file__
    assert len(list(tmp_path.glob("*.py"))) == 2


@pytest.mark.parametrize("below", [False, True])
def test_a_cache_folder_that_is_a_file_is_refused_before_compiling(tmp_path, monkeypatch, below):
    # issue 20: CELLGEN_CACHE_DIR naming a file gave FileExistsError after compiling
    target = tmp_path / "not_a_folder"
    target.write_text("")
    monkeypatch.setenv("CELLGEN_CACHE_DIR", str(target / "cache" if below else target))
    import cellgen.pipeline
    compiled = []
    monkeypatch.setattr(cellgen.pipeline, "compile_spec", lambda *a, **k: compiled.append(a))
    with pytest.raises(NotADirectoryError, match="CELLGEN_CACHE_DIR"):
        cellgen.load_text("cell c\ninput x\nstate h\nh' = tanh(W @ h + U @ x)\n")
    assert compiled == [] and target.read_text() == ""
