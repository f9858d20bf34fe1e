#!/usr/bin/env python3
"""Time neural-tangents' empirical_ntk_fn (its three implementations) on a ReLU MLP of width 512, L = 4 (three hidden layers),
n0 = 64, one output, N = 256 inputs, float64, CPU; jit-compiled and warmed up; prints
{"seconds": ...} (best of 3). The same net as dlt-bench's "Empirical NTK" line."""
import json
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

w = 2.0 ** 0.5
init_fn, apply_fn, _ = stax.serial(
    stax.Dense(512, W_std=w, b_std=0.0), stax.Relu(),
    stax.Dense(512, W_std=w, b_std=0.0), stax.Relu(),
    stax.Dense(512, W_std=w, b_std=0.0), stax.Relu(),
    stax.Dense(1, W_std=w, b_std=0.0))
x = np.random.default_rng(0).standard_normal((256, 64))
_, params = init_fn(jax.random.PRNGKey(0), x.shape)
results = {}
for impl in [nt.NtkImplementation.JACOBIAN_CONTRACTION, nt.NtkImplementation.NTK_VECTOR_PRODUCTS, nt.NtkImplementation.STRUCTURED_DERIVATIVES]:
    fn = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0, implementation=impl))
    jax.block_until_ready(fn(x, None, params))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(x, None, params))
        best = min(best, time.perf_counter() - t0)
    results[impl.name] = best
print(json.dumps({"seconds": min(results.values()), "by_implementation": results}))
