#!/usr/bin/env python3
"""Reference kernels of neural-tangents 0.6.5 in parameterization='standard' (raw-parameter
learning rate 1), for Tests/InfiniteWidthTests/Fixtures/nt_standard.json.

    bench/.venv/bin/python bench/nt/make_standard_fixture.py

ReLU MLP of depth 3 (two hidden Dense layers of width n), W_std = 1.3, b_std = 0.4, on 3 Gaussian
inputs of dimension 4; widths 64 and 512 (the standard NTK grows with the width).
"""
import json
import os

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
from neural_tangents import stax  # noqa: E402

x = np.random.default_rng(0).standard_normal((3, 4))
cases = []
for width in [64, 512]:
    _, _, kf = stax.serial(
        stax.Dense(width, W_std=1.3, b_std=0.4, parameterization="standard"), stax.Relu(),
        stax.Dense(width, W_std=1.3, b_std=0.4, parameterization="standard"), stax.Relu(),
        stax.Dense(1, W_std=1.3, b_std=0.4, parameterization="standard"))
    k = kf(x, None, ("nngp", "ntk"))
    cases.append({"width": width, "w_std": 1.3, "b_std": 0.4, "depth": 3, "x": x.tolist(),
                  "nngp": np.asarray(k.nngp).tolist(), "ntk": np.asarray(k.ntk).tolist()})
out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "InfiniteWidthTests", "Fixtures", "nt_standard.json")
with open(out, "w") as f:
    json.dump({"generator": "bench/nt/make_standard_fixture.py", "neural_tangents": "0.6.5", "cases": cases}, f)
print("wrote", out)
