"""The element-wise kernels compile to SIMD code in float32: the speed of the generated
module rests on it (a kernel that calls libm per element, or keeps a branch LLVM cannot
if-convert, runs 3-5x slower), and a timing test could not say so reliably."""
import platform
import re

import llvmlite.binding
import numba
import numpy as np
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


def uncached(dispatcher):
    # the kernel as the module compiles it (error model, fast-math flags), minus the cache
    options = {k: v for k, v in dispatcher.targetoptions.items() if k not in ("cache", "nopython")}
    return numba.njit(**options)(dispatcher.py_func)


def float32_assemblies(module) -> dict[str, str]:
    # Fresh, uncached compiles: a kernel loaded from Numba's cache keeps no assembly. A
    # kernel's float32 signature is the one its caller types it with, so the callers (run
    # once from Python) are compiled afresh first.
    p = module.init_params(4, 16, dtype=np.float32)
    ys, _, tape = module.forward(p, np.ones((2, 3, 4), np.float32))
    module.backward(p, tape, np.ones_like(ys))
    for caller in (module._forward_rows, module._backward_rows):
        for sig in caller.signatures:
            if "float32" in str(sig):
                uncached(caller).compile(sig)
    out = {}
    for name in kernels(module):
        kernel = getattr(module, name)
        sig = next(s for s in kernel.signatures if "float32" in str(s))
        fresh = uncached(kernel)
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
