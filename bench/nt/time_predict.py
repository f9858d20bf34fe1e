#!/usr/bin/env python3
"""Time neural-tangents' predict.gradient_descent_mse_ensemble (kernels included) on CPU.

    bench/.venv/bin/python bench/nt/time_predict.py X_train.npy Y_train.npy X_test.npy

Model: the same as `dlt predict --activation relu --depth 3 --cw 2 --cb 0.1`: three Dense layers in
NT's 'ntk' parameterization (W_std = sqrt 2, b_std = sqrt 0.1), ReLU, float64. For t = None (the end
of training) and t = 30 it computes the NTK ensemble's mean and covariance on the test inputs,
warm-up run excluded, best of 3; prints one JSON line per t: {"t": ..., "seconds": ...}.
"""

import json
import sys
import time

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402


def main():
    x_train, y_train, x_test = (np.load(p) for p in sys.argv[1:4])
    w, b = 2.0 ** 0.5, 0.1 ** 0.5
    _, _, kernel_fn = stax.serial(stax.Dense(512, W_std=w, b_std=b), stax.Relu(),
                                  stax.Dense(512, W_std=w, b_std=b), stax.Relu(),
                                  stax.Dense(1, W_std=w, b_std=b))
    kernel_fn = jax.jit(kernel_fn, static_argnames="get")
    for t in (None, 30.0):
        def run():
            predict = nt.predict.gradient_descent_mse_ensemble(kernel_fn, x_train, y_train, diag_reg=0.0)
            mean, cov = predict(t=t, x_test=x_test, get="ntk", compute_cov=True)
            mean.block_until_ready()
            cov.block_until_ready()
        run()
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"t": t, "seconds": best}))


if __name__ == "__main__":
    main()
