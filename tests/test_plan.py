"""The planner's passes, on Plan objects alone (no Numba): what each one decides, and that
the plan stays right with any one of them switched off."""
import numpy as np
import pytest

from cellgen.gradcheck import check_module_object, import_source
from cellgen.middle.arrays import arrays
from cellgen.middle.plan import PASSES, Gemm, Kernel
from cellgen.pipeline import compile_spec
from conftest import ROOT


def planned(name, disable=frozenset()):
    return compile_spec((ROOT / "specs" / f"{name}.cell").read_text(), f"{name}.cell", frozenset(disable))


def tape(plan):
    return sorted(a.name for a in arrays(plan).forward if a.role in ("state", "tape"))


def test_every_pass_is_recorded_on_the_plan():
    plan = planned("lstm").plan
    assert [p.name for p in plan.passes] == list(PASSES)
    assert all(p.enabled for p in plan.passes)
    off = planned("lstm", {"store_gates"}).plan
    assert not next(p for p in off.passes if p.name == "store_gates").enabled
    with pytest.raises(ValueError, match="unknown passes"):
        planned("lstm", {"no_such_pass"})


def test_lstm_stacks_its_products_and_keeps_its_gates():
    plan = planned("lstm").plan
    stacked = {grp.index: [m.param for m in grp.members] for grp in plan.groups}
    assert stacked == {0: ["W_i", "W_f", "W_g", "W_o"], 1: ["U_i", "U_f", "U_g", "U_o"]}
    assert plan.applied("fuse_sums") == ("group 0 adds into group 1",)
    assert plan.applied("store_gates") == tuple(f"(U_{k} @ x) keeps {k}" for k in "ifgo")
    # the tape: the states and the four gates, nothing of the step's products
    assert tape(plan) == ["S__c", "S__h", "X__1"]
    # one adjoint stream: the input products' gradients are the recurrent ones'
    assert plan.dm_alias == {1: 0} and plan.carry_from_gemm == {"h": 0}
    assert len(plan.applied("bias_from_stream")) == 4
    assert plan.dx_from_gemm == 1 and plan.dx_kernel is None


def test_without_fusion_the_step_products_go_on_the_tape():
    plan = planned("lstm", {"fuse_sums"}).plan
    assert tape(plan) == ["M__0", "S__c", "S__h", "X__1"]
    assert plan.applied("store_gates") == ()  # nothing is summed, so no gate replaces a sum


def test_gru_cho_reads_its_recurrent_gradients_from_dx():
    plan = planned("gru_cho").plan
    assert plan.dm_within == {0: (1, 0), 2: (1, 2)}
    bwd = arrays(plan).backward
    assert not any(a.name.startswith("dM__") for a in bwd)
    gemms = [op for op in plan.backward_step if isinstance(op, Gemm)]
    assert {op.a for op in gemms} == {"dX__1"} and {op.columns for op in gemms} == {(0, 2), (2, 3)}


def test_gru_keeps_the_recurrent_products_it_needs_after_the_gate():
    # n = tanh(U_n @ x + b_n + r * (W_n @ h + bh_n)): W_n @ h is not only summed with U_n @ x
    plan = planned("gru").plan
    assert plan.applied("fuse_sums") == () and "M__0" in tape(plan)


def test_a_step_is_products_then_kernels():
    plan = planned("lstm").plan
    kinds = [type(op) for op in plan.forward_step]
    assert kinds == [Gemm, Kernel]
    assert plan.forward_step[0].out == "M__0" and not plan.forward_step[0].out_per_step


@pytest.mark.parametrize("name", ["lstm", "gru_cho", "gru"])
def test_the_gradients_stay_right_with_all_passes_off(name, tmp_path):
    compiled = planned(name, set(PASSES))
    assert not any(p.applied for p in compiled.plan.passes)
    module = import_source(compiled.source, f"{name}_unoptimised", str(tmp_path))
    rows = check_module_object(module, seed=1)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


@pytest.mark.parametrize("off", sorted(PASSES))
def test_each_pass_off_computes_the_same_cell(off, tmp_path):
    name = {"adjoints_from_input_stream": "gru_cho", "keep_normalized": "gru_layernorm",
            "mean_in_place": "lstm_layernorm", "share_mean_adjoints": "lstm_layernorm",
            "accumulate_vector_grads": "gru_layernorm", "stage_wide_kernels": "lstm_layernorm"}.get(off, "lstm")
    full = import_source(planned(name).source, f"{name}_full", str(tmp_path))
    without = import_source(planned(name, {off}).source, f"{name}_no_{off}", str(tmp_path))
    rng = np.random.default_rng(0)
    p = full.init_params(3, 5, seed=2, dtype=np.float64)
    xs, dys = rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 3, 5))
    results = []
    for m in (full, without):
        ys, final, t = m.forward(p, xs)
        dparams, dxs, dstate0 = m.backward(p, t, dys)
        results.append([ys, *final, dxs, *dstate0, *dparams.values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_layer_normalized_lstm_keeps_its_gates_and_its_means_per_row():
    plan = planned("lstm_layernorm").plan
    assert [s.name for s in plan.kept] == ["i", "f", "g", "o"]  # not mh, sh: the same at every unit
    assert {"K__i", "K__f", "K__g", "K__o"} <= set(tape(plan))
    table = arrays(plan)
    means = [a for a in table.forward if a.role == "tape" and a.shape == ("T", "B")]
    assert len(means) == 18  # 16 for the two gate norms, 2 for the cell state's
    off = planned("lstm_layernorm", {"keep_normalized"}).plan
    assert off.kept == () and not any(a.startswith("K__") for a in tape(off))
    assert not planned("lstm").plan.kept  # no mean, nothing kept


def test_a_mean_of_a_product_reads_the_product_in_place():
    plan = planned("lstm_layernorm").plan
    assert len(plan.applied("mean_in_place")) == 8  # mean(W_k @ h) and mean(U_k @ x), not the variances
    means = [op for op in plan.forward_step if isinstance(op, Gemm) and op.is_mean]
    in_place = [op for op in means if op.a in ("M__0", "X__9")]
    assert sorted(op.columns for op in in_place) == sorted([(k, k + 1) for k in range(4)] * 2)
    assert all(op.a_per_step for op in in_place)
    copies = {a.name for a in arrays(plan).forward if a.name.startswith("A__")}
    off = planned("lstm_layernorm", {"mean_in_place"}).plan
    assert len({a.name for a in arrays(off).forward if a.name.startswith("A__")}) == len(copies) + 8


def test_the_means_of_one_layer_norm_share_their_adjoints():
    # the gate norms are written with a mean per gate: the four means of one norm have one
    # adjoint (d__mh / 4), so BPTT writes one stream and takes one mean for each norm
    plan = planned("lstm_layernorm").plan
    assert len(plan.applied("share_mean_adjoints")) == 12
    assert sorted(set(plan.mean_alias.values())) == [1, 5, 10, 14]
    backward_means = [op for op in plan.backward_step if isinstance(op, Gemm) and op.is_mean]
    assert len(backward_means) == 6  # 4 norms of gates + the cell state's 2
    streams = [a.name for a in arrays(plan).backward if a.name.startswith("dM__") and a.shape == ("B", "H")]
    off = planned("lstm_layernorm", {"share_mean_adjoints"}).plan
    assert len([op for op in off.backward_step if isinstance(op, Gemm) and op.is_mean]) == 18
    assert len([a for a in arrays(off).backward if a.name.startswith("dM__") and a.shape == ("B", "H")]) \
        == len(streams) + 12
    assert planned("lstm").plan.mean_alias == {}


def test_only_wide_kernels_are_staged():
    plan = planned("lstm_layernorm").plan
    staged = [k.name for k in plan.forward_step + plan.backward_step if isinstance(k, Kernel) and k.staged]
    assert staged == ["_forward_step", "_backward_level3", "_backward_level1"]
    assert plan.applied("stage_wide_kernels") == tuple(f"{n} is staged" for n in staged)
    assert not any(k.staged for k in planned("lstm").plan.backward_step if isinstance(k, Kernel))
    off = planned("lstm_layernorm", {"stage_wide_kernels"}).plan
    assert not any(k.staged for k in off.forward_step + off.backward_step if isinstance(k, Kernel))


def test_vector_gradients_add_up_in_staged_kernels():
    plan = planned("lstm_layernorm").plan
    # the gates i, f, g are done in the staged level-3 kernel; o and the cell norm's gain and
    # bias in level 5, not staged: they stay streams summed after the loop
    assert sorted(plan.vector_rows) == sorted(f"{v}_{k}" for v in ("b", "gh", "gx") for k in "ifg")
    assert sorted(plan.vector_sums) == ["b_o", "bc", "gc", "gh_o", "gx_o"]
    table = arrays(plan)
    rows = [a for a in table.backward if a.role == "vector_rows"]
    assert [a.shape for a in rows] == [("B", "H")] * 9
    assert not any(a.name.startswith("dV__") and a.name[4:] in plan.vector_rows for a in table.backward)
    accumulating = [k for k in plan.backward_step if isinstance(k, Kernel) and k.accumulates]
    assert [k.name for k in accumulating] == ["_backward_level3"] and all(k.staged for k in accumulating)
    assert table.param_grads["gh_i"] == (("dR__gh_i", 0),)
    # sru's one kernel is not staged: v_f and v_r stream as before
    assert planned("sru").plan.vector_rows == {}
    off = planned("lstm_layernorm", {"accumulate_vector_grads"}).plan
    assert off.vector_rows == {} and len(off.vector_sums) == 14
