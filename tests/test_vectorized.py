"""The element-wise kernels compile to SIMD code in float32: the speed of the generated
module rests on it (a kernel that calls libm per element, or keeps a branch LLVM cannot
if-convert, runs 3-5x slower), and a timing test could not say so reliably."""
import inspect
import platform
import re

import llvmlite.binding
import numba
import pytest

from conftest import generated

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason="reads x86 assembly")

# packed single-precision arithmetic (SSE/AVX: mulps, vaddps, vfmadd231ps, ...)
PACKED = re.compile(r"\bv?(?:add|sub|mul|div|max|min|fmadd\w*|fnmadd\w*|fmsub\w*)ps\b")
# an address of libm's tanh/exp loaded for a call: one element at a time
LIBM = re.compile(r"\$(?:tanh|exp)f?\b")
FUSED = re.compile(r"\bvfn?m(?:add|sub)\d{3}ps\b")
HOST_HAS_FMA = bool(llvmlite.binding.get_host_cpu_features().get("fma"))


def kernels(module) -> list[str]:
    return [name for name in vars(module)
            if name.startswith(("_forward_step", "_backward_level"))]


def float32_signature(module, kernel):
    """The types a driver calls an (inlined) kernel with: the table's arrays, C-ordered float32."""
    table = {a.name: a for a in module._CELL.forward_arrays + module._CELL.backward_arrays}
    types = []
    for name in inspect.signature(kernel.py_func).parameters:
        if name in table:
            a = table[name]
            ndim = len(a.shape) or {"vector": 1, "weights": 2, "panels": 3}[a.role]
            types.append(numba.types.Array(numba.float32, ndim, "C"))
        elif name in ("_L", "_k"):
            types.append(numba.types.Array(numba.int64 if name == "_L" else numba.float32, 1, "C"))
        else:
            types.append(numba.int64)
    return tuple(types)


def float32_assemblies(module, names=None) -> dict[str, str]:
    # Each kernel compiled on its own, with the module's options: the drivers inline them,
    # and the loops are the same code there.
    out = {}
    for name in names or kernels(module):
        kernel = getattr(module, name)
        options = {k: v for k, v in kernel.targetoptions.items() if k not in ("cache", "nopython", "inline")}
        fresh = numba.njit(**options)(kernel.py_func)
        sig = float32_signature(module, kernel)
        fresh.compile(sig)
        out[name] = fresh.inspect_asm(sig)
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_element_wise_kernels_are_vectorized(cell):
    module = generated(cell)
    names = kernels(module)
    assert any(n.startswith("_forward_step") for n in names) and any(n.startswith("_backward") for n in names)
    for name, asm in float32_assemblies(module).items():
        assert not LIBM.findall(asm), f"{cell}.{name} calls libm: {sorted(set(LIBM.findall(asm)))}"
        packed = len(PACKED.findall(asm))
        # scalar code has none (ss, not ps); the smallest vectorized kernel (gru's
        # backward, no activation, fused multiply-adds) has 19
        assert packed >= 12, f"{cell}.{name}: {packed} packed float32 operations"
        if HOST_HAS_FMA:
            # the activations' polynomials as fused multiply-adds (fastmath 'contract')
            assert len(FUSED.findall(asm)) >= 10, f"{cell}.{name} has no fused multiply-adds"


def built(name, tmp_path, *disable):
    """The catalog cell built with the planner's passes `disable` off."""
    from cellgen.gradcheck import import_source
    from cellgen.pipeline import compile_spec
    from conftest import ROOT
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = compile_spec((ROOT / "specs" / f"{name}.cell").read_text(), f"{name}.cell", frozenset(disable)).source
    return import_source(source, f"{name}_{'_'.join(disable)}", str(tmp_path))


def unstaged(name, tmp_path, *disable):
    """The catalog cell built with no kernel staged (runtime.rows.staging_row)."""
    module = built(name, tmp_path, "stage_wide_kernels", *disable)
    assert "_staging_row" not in inspect.getsource(module)
    return module


def test_kernels_writing_many_arrays_are_staged_and_vectorize(tmp_path):
    # lstm_layernorm's largest kernels write 5-14 arrays and read up to 39: written directly
    # they stay scalar (LLVM gives up on the overlap checks); staged, their loops are packed.
    # (Without hoist_input_norms: the input's norms in the step make three kernels that wide.)
    staged_module = built("lstm_layernorm", tmp_path, "hoist_input_norms")
    plain = unstaged("lstm_layernorm", tmp_path, "hoist_input_norms")
    staged_names = [n for n in kernels(staged_module) if "_staging_row" in inspect.getsource(
        getattr(staged_module, n).py_func)]
    assert len(staged_names) >= 3, staged_names
    ours, theirs = float32_assemblies(staged_module, staged_names), float32_assemblies(plain, staged_names)
    for name in staged_names:
        packed, before = len(PACKED.findall(ours[name])), len(PACKED.findall(theirs[name]))
        assert packed >= 2 * max(before, 1) and packed >= 40, (name, packed, before)


def test_staged_kernels_compute_what_unstaged_ones_do(tmp_path):
    import numpy as np

    from cellgen.gradcheck import random_problem
    for name in ("lstm_layernorm",):
        staged_module, plain = generated(name), unstaged(name, tmp_path / name)
        results = []
        for m in (staged_module, plain):
            params, xs, state0, dys, dfinal, _ = random_problem(m, T=4, B=3, I=5, H=300, seed=2)  # two stages
            ys, final, tape = m.forward(params, xs, state0, lengths=np.array([4, 2, 0]))
            results.append([ys, *final, *m.backward(params, tape, dys, dfinal)[0].values()])
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
