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
    name = {"adjoints_from_input_stream": "gru_cho", "hoist_input_norms": "lstm_layernorm", "keep_normalized": "gru_layernorm",
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
    # what stays on the tape is the input's terms, from the stage before the loop
    assert off.kept == () and [a for a in tape(off) if a.startswith("K__")] == [f"K__xterm__{k}" for k in range(1, 5)]
    assert not planned("lstm").plan.kept  # no mean, nothing kept


def test_a_mean_of_a_product_reads_the_product_in_place():
    plan = planned("lstm_layernorm").plan
    assert len(plan.applied("mean_in_place")) == 8  # mean(W_k @ h) and mean(U_k @ x), not the variances
    # mean(U_k @ x) in the input stage before the loop, mean(W_k @ h) in the step
    means = [op for op in plan.forward_step + plan.forward_stage if isinstance(op, Gemm) and op.is_mean]
    in_place = [op for op in means if op.a in ("M__0", "X__9")]
    assert sorted(op.columns for op in in_place) == sorted([(k, k + 1) for k in range(4)] * 2)
    assert all(op.a_per_step for op in in_place)
    copies = {a.name for a in arrays(plan).forward if a.name.startswith("A__")}
    off = planned("lstm_layernorm", {"mean_in_place"}).plan
    assert len({a.name for a in arrays(off).forward if a.name.startswith("A__")}) == len(copies) + 8


def test_the_means_of_one_layer_norm_share_their_adjoints():
    # on the cell as it is without hoist_input_norms: the input's norms in the step
    # the gate norms are written with a mean per gate: the four means of one norm have one
    # adjoint (d__mh / 4), so BPTT writes one stream and takes one mean for each norm
    plan = planned("lstm_layernorm", {"hoist_input_norms"}).plan
    assert len(plan.applied("share_mean_adjoints")) == 12
    assert sorted(set(plan.mean_alias.values())) == [1, 5, 10, 14]
    backward_means = [op for op in plan.backward_step if isinstance(op, Gemm) and op.is_mean]
    assert len(backward_means) == 6  # 4 norms of gates + the cell state's 2
    streams = [a.name for a in arrays(plan).backward if a.name.startswith("dM__") and a.shape == ("B", "H")]
    off = planned("lstm_layernorm", {"share_mean_adjoints", "hoist_input_norms"}).plan
    assert len([op for op in off.backward_step if isinstance(op, Gemm) and op.is_mean]) == 18
    assert len([a for a in arrays(off).backward if a.name.startswith("dM__") and a.shape == ("B", "H")]) \
        == len(streams) + 12
    assert planned("lstm").plan.mean_alias == {}


def test_only_wide_kernels_are_staged():
    # on the cell as it is without hoist_input_norms: the input's norms in the step
    plan = planned("lstm_layernorm", {"hoist_input_norms"}).plan
    staged = [k.name for k in plan.forward_step + plan.backward_step if isinstance(k, Kernel) and k.staged]
    assert staged == ["_forward_step", "_backward_level3", "_backward_level1"]
    assert plan.applied("stage_wide_kernels") == tuple(f"{n} is staged" for n in staged)
    assert not any(k.staged for k in planned("lstm").plan.backward_step if isinstance(k, Kernel))
    off = planned("lstm_layernorm", {"stage_wide_kernels", "hoist_input_norms"}).plan
    assert not any(k.staged for k in off.forward_step + off.backward_step if isinstance(k, Kernel))


def test_vector_gradients_add_up_in_staged_kernels():
    # on the cell as it is without hoist_input_norms: the input's norms in the step
    plan = planned("lstm_layernorm", {"hoist_input_norms"}).plan
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
    off = planned("lstm_layernorm", {"accumulate_vector_grads", "hoist_input_norms"}).plan
    assert off.vector_rows == {} and len(off.vector_sums) == 14


def test_the_input_norms_are_computed_before_the_loop():
    plan = planned("lstm_layernorm").plan
    assert plan.applied("hoist_input_norms") == tuple(
        f"xterm{n} = b_{k} + gx_{k}*((U_{k} @ x) - mx)/sx is computed before the loop" for n, k in zip(range(1, 5), "ifgo"))
    assert [s.name for s in plan.boundary] == [f"xterm__{n}" for n in range(1, 5)]

    def means(program):
        return [op for op in program if isinstance(op, Gemm) and op.is_mean]
    # the step keeps the norms of W @ h and of c' (8 + 2 means), the stage has the input's 8
    assert len(means(plan.forward_step)) == 10 and len(means(plan.forward_stage)) == 8
    assert len(means(plan.backward_step)) == 4 and len(means(plan.backward_stage)) == 2
    # the step reads the input's terms, never the input products or their means
    step_reads = {sl.array for k in plan.forward_step + plan.backward_step if isinstance(k, Kernel) for _, sl in k.reads}
    assert {f"K__xterm__{n}" for n in range(1, 5)} <= step_reads and "X__9" not in step_reads
    assert not {f"M__{g}" for g in plan.stage_groups} & step_reads
    # BPTT hands their gradients on in streams; the stage after the loop writes dX
    table = arrays(plan)
    assert {a.name for a in table.backward if a.name.startswith("dK__")} == {f"dK__xterm__{n}" for n in range(1, 5)}
    writes = {sl.array for k in plan.backward_stage if isinstance(k, Kernel) for sl, _ in k.writes}
    assert "dX__9" in writes
    assert not any(sl.array == "dX__9" for k in plan.backward_step if isinstance(k, Kernel) for sl, _ in k.writes)
    # each bias is in its term: its gradient sums the term's stream
    assert plan.vector_sums["b_i"] == ("dK__xterm__1", 0)
    assert len(planned("gru_layernorm").plan.boundary) == 3
    off = planned("lstm_layernorm", {"hoist_input_norms"}).plan
    assert off.boundary == () and off.forward_stage == () and off.backward_stage == ()
    for name in ("lstm", "gru", "sru", "slstm", "peephole_lstm"):  # no norm of the input: nothing moves
        assert planned(name).plan.boundary == ()


MIXED = """cell mixed
input x
state h
output h
n = layernorm(U @ x)
h' = tanh(W @ (h * n) + n)
"""


def test_a_norm_read_inside_a_product_stays_in_the_step(tmp_path):
    # n is an input term of the sum, but also part of W's operand, which the step computes:
    # its gradient would come from both sides, so nothing moves
    compiled = compile_spec(MIXED, "mixed.cell")
    assert compiled.plan.boundary == () and compiled.plan.applied("hoist_input_norms") == ()
    module = import_source(compiled.source, "mixed_norm", str(tmp_path))
    rows = check_module_object(module, seed=1)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


ALONE = """cell alone
input x
state h
output h
n = layernorm(U @ x)
h' = tanh(W @ h + n) * n
"""


def test_a_norm_read_twice_by_the_step_is_one_term(tmp_path):
    compiled = compile_spec(ALONE, "alone.cell")
    assert [s.name for s in compiled.plan.boundary] == ["xterm__1"]
    module = import_source(compiled.source, "alone_norm", str(tmp_path))
    rows = check_module_object(module, seed=1)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]
