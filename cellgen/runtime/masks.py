"""Bernoulli masks from a counter-based generator: a mask per step costs ~1 ns an element.

Zoneout draws a [T, B, hidden] mask per state and forward; torch's bernoulli_ took 2.7 ms
for one at (100, 32, 128), a fifth of the whole training step. Element i of a mask is
SplitMix64 (Steele et al. 2014) at counter seed + i: a pure function of (seed, i), so the
loop vectorizes, and the seed comes from the caller's generator (torch's, in
cellgen.torch), which then decides every mask.
"""
from __future__ import annotations

import numba
import numpy as np

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@numba.njit(cache=True, nogil=True)
def bernoulli(out: np.ndarray, p: float, seed: int) -> None:
    """out[...] = 1 with probability p, else 0, for a C-contiguous float array: element i
    is 1 when the top 53 bits of SplitMix64(seed + (i + 1) * gamma) fall below p * 2^53."""
    flat = out.reshape(-1)
    threshold = np.uint64(p * 9007199254740992.0)  # 2^53: the resolution of a float64 in [0, 1)
    s = np.uint64(seed)
    one, zero = flat.dtype.type(1), flat.dtype.type(0)
    for i in range(flat.size):
        z = s + np.uint64(i + 1) * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
        flat[i] = one if (z >> np.uint64(11)) < threshold else zero
