"""Every catalog cell's derived gradients against float64 central finite differences."""
import pytest

from cellgen.gradcheck import check_module_object
from conftest import SPECS, generated


@pytest.mark.parametrize("with_dfinal", [True, False], ids=["dfinal", "no-dfinal"])
@pytest.mark.parametrize("name", SPECS)
def test_finite_differences(name, with_dfinal):
    module = generated(name)
    rows = check_module_object(module, seed=7, with_dfinal=with_dfinal)
    assert {r.name for r in rows} >= set(module.PARAMS) | {"xs"}
    bad = [r for r in rows if not r.ok]
    assert not bad, bad
    # 1e-7 absolute, or 1e-6 relative where the gradients are large (sLSTM's h = c / n
    # near n = 0 makes them 1e4 at random states: central differences then agree to 1e-7)
    assert all(r.max_abs < 1e-7 or r.max_rel < 1e-6 for r in rows), rows


def test_a_wrong_gradient_is_caught():
    """The check itself can fail: corrupt one kernel's output and it must disagree."""
    module = generated("gru")
    original = module.backward

    def broken(params, tape, dys, dfinal=None):
        dparams, dxs, dstate0 = original(params, tape, dys, dfinal)
        dparams = dict(dparams)
        dparams["b_z"] = dparams["b_z"] * 1.001
        return dparams, dxs, dstate0

    module.backward = broken
    try:
        rows = check_module_object(module, seed=7)
    finally:
        module.backward = original
    assert [r.name for r in rows if not r.ok] == ["b_z"]
