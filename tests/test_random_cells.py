"""Random valid cells (hypothesis): each one built, imported and checked by finite differences."""
from hypothesis import HealthCheck, given, settings

import cellgen
from cellgen.gradcheck import check_module_object
from random_cells import cells


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(cells())
def test_random_cell_gradients(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("cell")
    spec = d / "random_cell.cell"
    spec.write_text(text)
    compiled = cellgen.compile_spec(text, str(spec))
    from cellgen.gradcheck import import_source
    module = import_source(compiled.source, "random_cell", str(d))
    rows = check_module_object(module, seed=1, T=3, B=2, I=2, H=3)
    bad = [r for r in rows if not r.ok]
    assert not bad, f"{text}\n{bad}"
