#!/usr/bin/env python3
"""Time neural-tangents' analytic kernel_fn (NNGP + NTK together) on CPU.

    bench/.venv/bin/python bench/nt/time_kernels.py [--sizes 1024 4096] [--repeats 3]

Model: ReLU MLP with L=10 Dense layers (9 ReLUs), W_std^2 = 2, b_std = 0,
NT 'ntk' parameterization, hidden width 512 (irrelevant), output width 1;
inputs N x 64 standard Gaussian, float64 (jax_enable_x64). kernel_fn is
jit-compiled with get=('nngp','ntk') static, warmed up once per N (compile
time excluded), then timed `repeats` times with block_until_ready; the
minimum wall time is reported. Prints one JSON line per N:
{"N": ..., "seconds": ...} (plus a few extra fields for context).
"""

import argparse
import json
import os
import time

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from neural_tangents import stax  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--n0", type=int, default=64)
    args = ap.parse_args()

    w = 2.0 ** 0.5
    layers = []
    for _ in range(args.depth - 1):
        layers += [stax.Dense(512, W_std=w, b_std=0.0, parameterization="ntk"), stax.Relu()]
    layers.append(stax.Dense(1, W_std=w, b_std=0.0, parameterization="ntk"))
    _, _, kernel_fn = stax.serial(*layers)
    kfn = jax.jit(kernel_fn, static_argnames=("get",))

    rng = np.random.default_rng(0)
    for n in args.sizes:
        x = jnp.asarray(rng.standard_normal((n, args.n0)), dtype=jnp.float64)
        t0 = time.perf_counter()
        k = kfn(x, None, get=("nngp", "ntk"))
        jax.block_until_ready(k)
        compile_and_first = time.perf_counter() - t0
        assert k.nngp.dtype == jnp.float64 and k.nngp.shape == (n, n)
        ts = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            k = kfn(x, None, get=("nngp", "ntk"))
            jax.block_until_ready(k)
            ts.append(time.perf_counter() - t0)
        print(json.dumps({
            "N": n, "seconds": min(ts),
            "all_seconds": [round(t, 4) for t in ts],
            "first_call_incl_compile_seconds": round(compile_and_first, 4),
            "depth": args.depth, "n0": args.n0, "dtype": "float64",
            "loadavg_1min": os.getloadavg()[0], "cpus": os.cpu_count(),
            "jax": jax.__version__, "backend": jax.default_backend(),
        }), flush=True)


if __name__ == "__main__":
    main()
