"""The element-wise kernels compile to SIMD code in float32: the speed of the generated
module rests on it (a kernel that calls libm per element, or keeps a branch LLVM cannot
if-convert, runs 3-5x slower), and a timing test could not say so reliably."""
import platform
import re

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


def kernels(module) -> list[str]:
    return [name for name in vars(module)
            if name.startswith(("_forward_step", "_backward_level"))]


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
                numba.njit(error_model="numpy")(caller.py_func).compile(sig)
    out = {}
    for name in kernels(module):
        kernel = getattr(module, name)
        sig = next(s for s in kernel.signatures if "float32" in str(s))
        fresh = numba.njit(error_model="numpy")(kernel.py_func)
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
        # each activation alone is a dozen vector operations
        assert packed >= 20, f"{cell}.{name}: {packed} packed float32 operations"
