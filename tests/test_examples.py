"""The examples run (shortened) and write their plots."""
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.parametrize("script,args", [("gradient_flow.py", []), ("adding_problem.py", ["--steps", "5"]),
                                         ("regularizers.py", ["--epochs", "3"]),
                                         ("quickstart.py", None)])
def test_example_runs(script, args, tmp_path):
    out = tmp_path / "plot.png"
    cmd = [sys.executable, str(ROOT / "examples" / script)] + ([] if args is None else args + ["--out", str(out)])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    if args is not None:
        assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
