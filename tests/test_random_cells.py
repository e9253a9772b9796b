"""Random valid cells (hypothesis): each one built, imported and checked by finite differences."""
import numpy as np
from hypothesis import HealthCheck, example, given, settings

import cellgen
from cellgen.gradcheck import (analytic_gradients, check_module_object, import_source, numerical_gradients,
                               random_problem)
from random_cells import cells


# Found by hypothesis: a zero gradient (of a state its update does not read, of a product
# nothing uses) is a constant, so it went to the kernel of hidden units, which these cells
# have none of, and its row stayed unwritten; it goes to the kernel of its row's size now.
UNREAD_STATE_OF_ITS_OWN_SIZE = "input x\nstate s0[p]\noutput s0\ns0' = U0 @ x + U1 @ x\n"
UNUSED_PRODUCT_OF_ANOTHER_SIZE = "input x\nstate s0[p]\noutput s0\na0 = s0 + U0 @ x\ns0' = s0 + U1 @ x\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(cells())
@example(UNREAD_STATE_OF_ITS_OWN_SIZE)
@example(UNUSED_PRODUCT_OF_ANOTHER_SIZE)
def test_random_cell_gradients(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("cell")
    spec = d / "random_cell.cell"
    spec.write_text(text)
    compiled = cellgen.compile_spec(text, str(spec))
    module = import_source(compiled.source, "random_cell", str(d))
    rows = check_module_object(module, seed=1, T=3, B=2, I=2, H=3)
    bad = [r for r in rows if not r.ok]
    assert not bad, f"{text}\n{bad}"


# Found by `tools/fuzz.py gradients`: s0 grows like s0**4 per step, the loss reaches 7e8
# at seed 7, and the central difference's rounding (not the derived gradient) misses by 0.02.
EXPLODING = """input x
state s0
output a3
a2 = softplus(a0 * a0 + s0) + U8 @ x
s0' = s0 + relu(a2) + U11 @ x
a0 = s0 * s0 - W0 @ s0 + U1 @ x
a4 = relu(softplus(s0) + a1) + U7 @ x
a3 = relu(a4 / (1.5 + abs(v9))) + U10 @ x
a1 = W2 @ ((s0 + v3) / (1.5 + abs(v4 + v5))) + U6 @ x
"""


def test_exploding_cell_is_judged_by_the_difference_rounding(tmp_path):
    module = import_source(cellgen.compile_spec(EXPLODING, "exploding.cell").source, "exploding", str(tmp_path))
    problem = random_problem(module, seed=7, T=3, B=2, I=2, H=3)
    exact = analytic_gradients(module, *problem)
    # The derived gradient is right: the difference shrinks as the step grows (rounding ~ 1/step).
    misses = [np.abs(numerical_gradients(module, *problem, eps=eps)["v3"] - exact["v3"]).max()
              for eps in (1e-6, 1e-4, 1e-3)]
    assert misses[0] > 1e-3 and misses[2] < misses[1] < misses[0]
    rows = check_module_object(module, seed=7, T=3, B=2, I=2, H=3)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]
