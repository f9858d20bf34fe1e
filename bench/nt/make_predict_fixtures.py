#!/usr/bin/env python3
"""Reference infinite-width training predictions from neural-tangents 0.6.5.

Run with the venv created by bench/nt/setup_venv.sh:

    bench/.venv/bin/python bench/nt/make_predict_fixtures.py

Writes Tests/TrainingTests/Fixtures/nt_predict.json.

Networks use the same conventions as make_fixtures.py: depth L = number of
Dense layers, NT 'ntk' parameterization, cw = W_std^2, cb = b_std^2, output
width 1 (NT's kernel_fn does not depend on the output width; multi-column
targets are handled by predict via trace_axes=(-1,), i.e. the output
covariance is Theta (x) I_k).

For each net and target set we record
  * all inputs (x_train 8x3, y_train 8xk, x_test 4x3),
  * the kernels NT used (train-train, test-train, test-test; nngp and ntk),
  * nt.predict.gradient_descent_mse_ensemble(kernel_fn, x_train, y_train,
        learning_rate=LR, diag_reg=DR)(t=T, x_test=x_test, get=G,
        compute_cov=True)
    for G in {nngp, ntk}, T in {None (= infinity), 0.5, 30.0},
    LR in {1.0, 0.5}, DR in {0, 1e-3}:  mean (N_test x k), cov (N_test x N_test),
  * nt.predict.gp_inference(k_train_train, y_train, diag_reg=DR)(get=...,
        k_test_train=k_test_train, k_test_test=nngp_test_test)
    for get='nngp' (the exact Bayesian posterior) and also get='ntk'.

The script re-derives every NT result with an independent numpy
implementation of the formulas described in NOTES below and asserts
agreement, so the notes are verified, not just read off the source.
"""

import json
import math
import os
import platform
import sys
import warnings

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "Tests", "TrainingTests", "Fixtures", "nt_predict.json")

NOTES = {
    "time_and_learning_rate": (
        "gradient_descent_mse_ensemble models continuous-time gradient flow, not discrete "
        "steps. predict_fn multiplies the requested time by the learning rate (t_eff = t * "
        "learning_rate) and then uses exp(-lambda_i * t_eff / y_train.size) for each "
        "eigenvalue lambda_i of the (regularised) train-train kernel, where y_train.size = "
        "N_train * k (number of training targets times number of output columns). "
        "I.e. the implied loss is L = 1/(2 N k) * sum_{i,c} (f_c(x_i) - y_ic)^2 "
        "(averaged over all N*k entries, with the 1/2) and df/dt = -(lr/(N k)) Theta (f - y). "
        "Consequence: with 2-column targets the dynamics is twice as slow as with 1 column "
        "at the same t. Eigenvalues are clipped at 0 (max(lambda,0)) inside the exponent."),
    "finite_t_formulas": (
        "With K~ = K_dd(+reg) = U diag(lambda) U^T, a = lr*t/(N k), "
        "phi(lambda, s) = (1 - exp(-max(lambda,0) * s)) / |lambda|: "
        "mean_t = K_td U diag(phi(lambda, a)) U^T y (initial ensemble mean is 0). "
        "get='nngp' cov_t = K_tt - K_td U diag(phi(lambda, 2a)) U^T K_dt (all NNGP). "
        "get='ntk': T1 = U diag(phi(lambda_Theta, a)) U^T Theta_dt, "
        "cov_t = K_tt + T1^T K_dd T1 - (Theta_td U diag(phi) U^T K_dt + transpose), "
        "where Theta = NTK, K = NNGP; the regulariser enters only through the "
        "eigendecomposition of the kernel that drives the dynamics (Theta for 'ntk', K for "
        "'nngp'); K_dd in the middle of the NTK covariance and all test-train / test-test "
        "kernels are unregularised."),
    "infinite_t": (
        "t=None is handled by gp_inference (Cholesky, learning_rate has no effect): "
        "'nngp': mean = K_td (K_dd+reg)^-1 y, cov = K_tt - K_td (K_dd+reg)^-1 K_dt (the exact "
        "GP posterior). 'ntk': mean = Theta_td (Theta_dd+reg)^-1 y, cov = K_tt + Theta_td "
        "Theta~^-1 K_dd Theta~^-1 Theta_dt - (Theta_td Theta~^-1 K_dt + transpose), "
        "Theta~ = Theta_dd + reg. Matches the t->inf limit of the finite-t formulas when "
        "reg > 0 or the kernel is non-singular."),
    "diag_reg": (
        "diag_reg is RELATIVE by default (diag_reg_absolute_scale=False): the matrix "
        "actually factorised is A + diag_reg * (trace(A)/N) * I, i.e. diag_reg times the mean "
        "diagonal entry of A (N = number of training points; trace over the N x N kernel, "
        "not over outputs). The trace is taken separately for each kernel (NNGP's trace for "
        "get='nngp', NTK's trace for get='ntk'). Same rule in gp_inference and in the "
        "eigendecomposition used for finite t."),
    "output_columns": (
        "trace_axes=(-1,) (default): kernels have no output axis, each column of y is "
        "regressed independently with the same kernel; the returned cov is N_test x N_test "
        "and shared by all columns. mean has shape N_test x k."),
    "source": "neural_tangents/_src/predict.py in neural-tangents 0.6.5 "
              "(gradient_descent_mse_ensemble, gp_inference, _add_diagonal_regularizer, "
              "_make_expm1_fn, _make_inv_expm1_fn).",
}


def mlp_kernel_fn(act, depth, cw, cb):
    w, b = math.sqrt(cw), math.sqrt(cb)
    a = {"relu": stax.Relu, "erf": stax.Erf}[act]
    layers = []
    for _ in range(depth - 1):
        layers += [stax.Dense(512, W_std=w, b_std=b, parameterization="ntk"), a()]
    layers.append(stax.Dense(1, W_std=w, b_std=b, parameterization="ntk"))
    return stax.serial(*layers)[2]


def tolist(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        return [float(v) for v in a]
    return [tolist(r) for r in a]


# ---------------------------------------------------------------------------
# Independent numpy implementation of the documented formulas.
# ---------------------------------------------------------------------------

def reg(A, dr):
    n = A.shape[0]
    return A + dr * np.trace(A) / n * np.eye(n)


def np_predict(K, T, Ktd, Ttd, Ktt, y, get, t, lr, dr):
    Nk = y.size
    if t is None:
        if get == "nngp":
            Kr = reg(K, dr)
            mean = Ktd @ np.linalg.solve(Kr, y)
            cov = Ktt - Ktd @ np.linalg.solve(Kr, Ktd.T)
        else:
            Tr = reg(T, dr)
            mean = Ttd @ np.linalg.solve(Tr, y)
            M = np.linalg.solve(Tr, Ttd.T)  # Theta~^-1 Theta_dt
            cross = Ttd @ np.linalg.solve(Tr, Ktd.T)
            cov = Ktt + M.T @ K @ M - cross - cross.T
        return mean, cov
    a = lr * t / Nk
    drive = reg(K if get == "nngp" else T, dr)
    lam, U = np.linalg.eigh(drive)
    phi = lambda s: -np.expm1(-np.maximum(lam, 0) * s) / np.abs(lam)
    Gtd = Ktd if get == "nngp" else Ttd
    mean = Gtd @ U @ np.diag(phi(a)) @ U.T @ y
    if get == "nngp":
        cov = Ktt - Ktd @ U @ np.diag(phi(2 * a)) @ U.T @ Ktd.T
    else:
        T1 = U @ np.diag(phi(a)) @ U.T @ Ttd.T
        t2 = Ttd @ U @ np.diag(phi(a)) @ U.T @ Ktd.T
        cov = Ktt + T1.T @ K @ T1 - t2 - t2.T
    return mean, cov


def main():
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(20240610)
    n0, n_train, n_test = 3, 8, 4
    x_train = rng.standard_normal((n_train, n0))
    x_test = rng.standard_normal((n_test, n0))
    # smooth target function plus a little noise
    f = lambda x: np.stack([np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2],
                            np.cos(x[:, 1]) - 0.3 * x[:, 0]], axis=1)
    y2 = f(x_train) + 0.05 * rng.standard_normal((n_train, 2))
    targets = {"k1": y2[:, :1].copy(), "k2": y2}

    nets = [
        {"name": "relu_L3_cw2_cb0.1", "activation": "relu", "depth": 3, "cw": 2.0, "cb": 0.1},
        {"name": "erf_L3_cw1_cb0.1", "activation": "erf", "depth": 3, "cw": 1.0, "cb": 0.1},
    ]
    times = [None, 0.5, 30.0]
    lrs = [1.0, 0.5]
    drs = [0.0, 1e-3]

    worst = 0.0
    out_cases = []
    for net in nets:
        kfn = mlp_kernel_fn(net["activation"], net["depth"], net["cw"], net["cb"])
        xtr, xte = jnp.asarray(x_train), jnp.asarray(x_test)
        k_dd = kfn(xtr, None, ("nngp", "ntk"))
        k_td = kfn(xte, xtr, ("nngp", "ntk"))
        k_tt = kfn(xte, None, ("nngp", "ntk"))
        K, T = np.asarray(k_dd.nngp), np.asarray(k_dd.ntk)
        Ktd, Ttd = np.asarray(k_td.nngp), np.asarray(k_td.ntk)
        Ktt = np.asarray(k_tt.nngp)
        print(f"{net['name']}: eig(K_dd) in [{np.linalg.eigvalsh(K).min():.3g}, "
              f"{np.linalg.eigvalsh(K).max():.3g}], eig(Theta_dd) in "
              f"[{np.linalg.eigvalsh(T).min():.3g}, {np.linalg.eigvalsh(T).max():.3g}]",
              file=sys.stderr)

        for tname, y in targets.items():
            yj = jnp.asarray(y)
            results = []
            for lr in lrs:
                for dr in drs:
                    predict_fn = nt.predict.gradient_descent_mse_ensemble(
                        kfn, xtr, yj, learning_rate=lr, diag_reg=dr)
                    for g in ("nngp", "ntk"):
                        for t in times:
                            res = predict_fn(t=t, x_test=xte, get=g, compute_cov=True)
                            mean, cov = np.asarray(res.mean), np.asarray(res.covariance)
                            assert mean.shape == (n_test, y.shape[1]), mean.shape
                            assert cov.shape == (n_test, n_test), cov.shape
                            m2, c2 = np_predict(K, T, Ktd, Ttd, Ktt, y, g, t, lr, dr)
                            err = max(np.max(np.abs(mean - m2)) / max(np.max(np.abs(m2)), 1e-300),
                                      np.max(np.abs(cov - c2)) / max(np.max(np.abs(Ktt)), 1e-300))
                            worst = max(worst, err)
                            if err > 1e-6:
                                raise SystemExit(
                                    f"numpy re-derivation disagrees: {net['name']} {tname} "
                                    f"{g} t={t} lr={lr} dr={dr}: {err}")
                            results.append({"get": g, "t": t, "learning_rate": lr,
                                            "diag_reg": dr, "mean": tolist(mean),
                                            "cov": tolist(cov)})
            gp = []
            for dr in drs:
                gp_fn = nt.predict.gp_inference(k_dd, yj, diag_reg=dr)
                for g in ("nngp", "ntk"):
                    res = gp_fn(get=g, k_test_train=k_td, k_test_test=k_tt.nngp)
                    mean, cov = np.asarray(res.mean), np.asarray(res.covariance)
                    m2, c2 = np_predict(K, T, Ktd, Ttd, Ktt, y, g, None, 1.0, dr)
                    err = max(np.max(np.abs(mean - m2)) / np.max(np.abs(m2)),
                              np.max(np.abs(cov - c2)) / np.max(np.abs(Ktt)))
                    worst = max(worst, err)
                    if err > 1e-6:
                        raise SystemExit(f"gp_inference re-derivation disagrees: {err}")
                    gp.append({"get": g, "diag_reg": dr, "mean": tolist(mean),
                               "cov": tolist(cov)})
            print(f"  targets {tname}: {len(results)} ensemble results, {len(gp)} gp_inference; "
                  f"max|mean(t=inf,nngp,dr=0)|={np.max(np.abs(results[0]['mean'])):.4g}",
                  file=sys.stderr)
            out_cases.append({
                "name": f"{net['name']}/{tname}",
                "activation": net["activation"], "depth": net["depth"],
                "cw": net["cw"], "cb": net["cb"],
                "x_train": tolist(x_train), "y_train": tolist(y), "x_test": tolist(x_test),
                "kernels": {
                    "nngp_train_train": tolist(K), "ntk_train_train": tolist(T),
                    "nngp_test_train": tolist(Ktd), "ntk_test_train": tolist(Ttd),
                    "nngp_test_test": tolist(Ktt), "ntk_test_test": tolist(k_tt.ntk),
                },
                "gradient_descent_mse_ensemble": results,
                "gp_inference": gp,
            })

    print(f"max relative deviation NT vs numpy re-derivation: {worst:.3g}", file=sys.stderr)

    import importlib.metadata as md
    out = {
        "generator": "bench/nt/make_predict_fixtures.py",
        "versions": {"neural_tangents": md.version("neural-tangents"), "jax": jax.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "conventions": (
            "Networks: depth L Dense layers in NT 'ntk' parameterization, W_std=sqrt(cw), "
            "b_std=sqrt(cb), output width 1 (see Tests/InfiniteWidthTests/Fixtures/"
            "nt_kernels.json). 't': null means t=None (infinite time). Test-train kernels are "
            "N_test x N_train. 'mean' is N_test x k, 'cov' is N_test x N_test (shared by all "
            "k output columns). Each ensemble result was re-derived in numpy from the formulas "
            "in notes; max relative deviation recorded in 'self_check_max_rel_dev'."),
        "notes": NOTES,
        "self_check_max_rel_dev": worst,
        "cases": out_cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
