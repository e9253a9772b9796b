"""Use a generated cell: a few steps of gradient descent on a toy sequence task."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root holds generated/
from generated import lstm  # noqa: E402

rng = np.random.default_rng(0)
T, B, I, H = 20, 16, 4, 32
params = lstm.init_params(I, H, seed=0, dtype=np.float32)
xs = rng.standard_normal((T, B, I)).astype(np.float32)
target = np.cumsum(xs[..., :1], axis=0).repeat(H, axis=2) * 0.1  # running sum of the first feature

for it in range(30):
    ys, final, tape = lstm.forward(params, xs)
    err = ys - target
    loss = float(np.mean(err ** 2))
    dparams, dxs, dstate0 = lstm.backward(params, tape, (2 / err.size) * err)
    for k in params:
        params[k] -= 0.5 * dparams[k]
    if it % 10 == 0 or it == 29:
        print(f"step {it:2d}  loss {loss:.5f}")
print("derived backward equations are in the docstring: help(generated.lstm)")
