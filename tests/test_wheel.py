"""An installed wheel is all a user needs: the catalog ships inside the package, so
cellgen.load("lstm") and from_torch work from any folder, without the source tree."""
import os
import shutil
import subprocess
import sys

from conftest import ROOT

USE = """
import os, cellgen, cellgen.torch, numpy as np, torch
assert os.path.join("venv", "lib") in cellgen.__file__, cellgen.__file__   # the wheel's copy
rnn = cellgen.load("rnn")
p = rnn.init_params(3, 4, dtype=np.float64)
ys, final, tape = rnn.forward(p, np.ones((2, 1, 3)))
rnn.backward(p, tape, np.ones_like(ys))
layer = cellgen.torch.from_torch(torch.nn.GRU(3, 4))
layer(torch.randn(5, 2, 3))[0].sum().backward()
print("ok", sorted(cellgen.pipeline.catalog())[:3])
"""


def test_a_wheel_works_from_another_folder(tmp_path):
    # from a clean copy: a build/ or egg-info left by an earlier build would add files
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(source)], check=True, capture_output=True)
    (wheel,) = wheels.glob("cellgen-*.whl")
    venv = tmp_path / "venv"
    # numpy, numba, sympy, torch ... from this environment; cellgen only from the wheel
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CELLGEN_CACHE_DIR=str(tmp_path / "cache"), NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    r = subprocess.run([str(python), "-c", USE], cwd=elsewhere, env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("ok ['article_gru', 'article_lstm', 'gru']")
