import importlib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p.stem for p in (ROOT / "specs").glob("*.cell"))


def generated(name: str):
    return importlib.import_module(f"generated.{name}")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """A CELLGEN_CACHE_DIR shared by the tests that cellgen.load the same unseen cells."""
    return tmp_path_factory.mktemp("cache")
