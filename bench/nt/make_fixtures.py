#!/usr/bin/env python3
"""Reference NNGP / NTK kernels from neural-tangents 0.6.5 for DeepTheory tests.

Run with the venv created by bench/nt/setup_venv.sh:

    bench/.venv/bin/python bench/nt/make_fixtures.py

Writes Tests/InfiniteWidthTests/Fixtures/nt_kernels.json.

CONVENTIONS (the Swift tests rely on these)
-------------------------------------------
* An MLP of depth L has L weight layers (L Dense layers, L-1 activations).
  In neural-tangents (NT) this is

      stax.serial(*([stax.Dense(512, W_std=w, b_std=b, parameterization='ntk'),
                     ACT] * (L - 1)),
                  stax.Dense(1, W_std=w, b_std=b, parameterization='ntk'))

  (the hidden width 512 is irrelevant for the infinite-width kernel_fn).
  Depth 1 is a single Dense layer: K = C_W * x.x'/n0 + C_b.
* PDLT notation: C_W = W_std**2, C_b = b_std**2. The JSON stores cw = C_W and
  cb = C_b (NOT the standard deviations). NT is called with
  W_std = sqrt(cw), b_std = sqrt(cb).
* In 'ntk' parameterization the first layer normalises by the input dimension,
  K^(1)(x, x') = C_b + C_W * (x . x') / n0, and every layer divides by its
  fan-in, so the infinite-width NNGP recursion is
      K^(l+1) = C_b + C_W * E[sigma(z) sigma(z')]   (z ~ N(0, K^(l)))
  and the NTK recursion is
      Theta^(1)   = K^(1)
      Theta^(l+1) = K^(l+1) + C_W * E[sigma'(z) sigma'(z')] * Theta^(l),
  i.e. NT's NTK is the PDLT NTK with learning-rate factors
  lambda_W = C_W, lambda_b = C_b (per layer, no extra 1/n factors).
  This script numerically verifies that statement for smooth activations
  against an independent quadrature implementation (see self_check()).
* Kernels are computed with kernel_fn(x1, x2, ('nngp', 'ntk')) in float64
  (jax_enable_x64). The stored 'nngp' / 'ntk' are those of the OUTPUT layer
  (after the last Dense), shape N1 x N2. If x2 is null the kernel is
  kernel_fn(x1, None, ...), i.e. x2 = x1 (N1 x N1).
* Activation strings use OUR (DeepTheory) naming:
      "relu"              -> stax.Relu()
      "leaky_relu:0.1"    -> stax.LeakyRelu(0.1)
      "abrelu:A:B"        -> stax.ABRelu(A, B)   (sigma(t) = A t for t<0, B t for t>0;
                             NT's ABRelu(a, b) = a*min(x,0) + b*max(x,0), so the
                             argument order is the same as ours)
      "abs"               -> stax.Abs()   (= NT ABRelu(-1, 1))
      "erf"               -> stax.Erf()   (a=1, b=1, c=0: erf(x))
      "gelu"              -> stax.Gelu(approximate=False)   (x * Phi(x))
      "sin"               -> stax.Sin()   (a=1, b=1, c=0: sin(x))
      "cos"               -> stax.Sin(c=pi/2)  (sin(x + pi/2) = cos(x))
      "linear"            -> stax.Identity()
      "sign"              -> stax.Sign()  (NOT our "step"; see notes)
"""

import json
import math
import os
import platform
import sys
import warnings

import numpy as np
import scipy.special

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "Tests", "InfiniteWidthTests", "Fixtures", "nt_kernels.json")

HIDDEN = 512


# --------------------------------------------------------------------------
# Model construction
# --------------------------------------------------------------------------

def nt_activation(name):
    parts = name.split(":")
    kind = parts[0]
    if kind == "relu":
        return stax.Relu()
    if kind == "leaky_relu":
        return stax.LeakyRelu(float(parts[1]))
    if kind == "abrelu":
        a, b = float(parts[1]), float(parts[2])
        return stax.ABRelu(a, b)  # NT: a*min(x,0) + b*max(x,0)
    if kind == "abs":
        return stax.Abs()
    if kind == "erf":
        return stax.Erf()
    if kind == "gelu":
        return stax.Gelu(approximate=False)
    if kind == "sin":
        return stax.Sin()
    if kind == "cos":
        return stax.Sin(c=math.pi / 2)
    if kind == "linear":
        return stax.Identity()
    if kind == "sign":
        return stax.Sign()
    if kind == "tanh_numerical":
        return stax.ElementwiseNumerical(fn=jnp.tanh, deg=int(parts[1]))
    raise ValueError(name)


def mlp_kernel_fn(act, depth, cw, cb):
    w, b = math.sqrt(cw), math.sqrt(cb)
    layers = []
    for _ in range(depth - 1):
        layers += [stax.Dense(HIDDEN, W_std=w, b_std=b, parameterization="ntk"),
                   nt_activation(act)]
    layers.append(stax.Dense(1, W_std=w, b_std=b, parameterization="ntk"))
    _, _, kernel_fn = stax.serial(*layers)
    return kernel_fn


def compute(act, depth, cw, cb, x1, x2=None):
    kfn = mlp_kernel_fn(act, depth, cw, cb)
    x1j = jnp.asarray(x1, dtype=jnp.float64)
    x2j = None if x2 is None else jnp.asarray(x2, dtype=jnp.float64)
    k = kfn(x1j, x2j, ("nngp", "ntk"))
    nngp = np.asarray(k.nngp, dtype=np.float64)
    ntk = np.asarray(k.ntk, dtype=np.float64)
    return nngp, ntk


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

def scale_to(v, q):
    """Scale vector v so that |v|^2 / n0 == q."""
    return v * math.sqrt(q * v.size / float(v @ v))


def main_inputs(seed=20240601, n0=4):
    """N=5 inputs: |x|^2/n0 spans [0.1, 10]; x2 = x1 + 1e-7 e_0 (nearly
    identical pair); x4 = -2 * x3 (antiparallel pair, different norms;
    multiplying by -2 is exact in floating point, so the stored pair is
    exactly antiparallel)."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((4, n0))
    x0 = scale_to(g[0], 0.1)
    x1 = scale_to(g[1], 1.0)
    x2 = x1.copy()
    x2[0] += 1e-7
    x3 = scale_to(g[2], 2.5)
    x4 = -2.0 * x3  # |x4|^2/n0 = 10, exactly antiparallel to x3
    return np.stack([x0, x1, x2, x3, x4])


def cross_inputs(seed=20240602, n0=4):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((5, n0))
    qs = [0.3, 1.0, 4.0, 0.7, 8.0]
    xs = np.stack([scale_to(g[i], qs[i]) for i in range(5)])
    return xs[:3], xs[3:]


# --------------------------------------------------------------------------
# Independent check of the conventions (quadrature, smooth activations)
# --------------------------------------------------------------------------

_SMOOTH = {
    "erf": (scipy.special.erf,
            lambda z: 2.0 / math.sqrt(math.pi) * np.exp(-z * z)),
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda z: -np.sin(z)),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
}


def quad_rule(panels=180, order=10, zmax=9.0):
    """Composite Gauss-Legendre rule for E over z ~ N(0,1), truncated to
    |z| <= zmax (Gaussian tail mass beyond 9 is ~2e-19). Unlike plain
    Gauss-Hermite this converges fast also for steep activations such as
    tanh(sqrt(10) z)."""
    g, gw = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(-zmax, zmax, panels + 1)
    h = edges[1] - edges[0]
    z = (edges[:-1, None] + h / 2 * (g[None, :] + 1.0)).ravel()
    w = (np.broadcast_to(h / 2 * gw, (panels, order))).ravel()
    w = w * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return z, w


def gh_kernels(act, depth, cw, cb, x, panels=180):
    """Independent NNGP/NTK recursion (lambda_W=C_W, lambda_b=C_b) using a
    2-D tensor-product quadrature in Cholesky coordinates
    u = a z1, v = c z1 + d z2."""
    f, df = _SMOOTH[act]
    z, w = quad_rule(panels)
    ww = w[:, None] * w[None, :]
    x = np.asarray(x, dtype=np.float64)
    n0 = x.shape[1]
    K = cb + cw * (x @ x.T) / n0
    Th = K.copy()
    N = x.shape[0]
    for _ in range(depth - 1):
        Kn = np.empty_like(K)
        Dn = np.empty_like(K)
        for i in range(N):
            for j in range(i, N):
                a = math.sqrt(K[i, i])
                c = K[i, j] / a
                d = math.sqrt(max(K[j, j] - c * c, 0.0))
                u = a * z
                v = c * z[:, None] + d * z[None, :]
                Kn[i, j] = Kn[j, i] = np.sum(ww * (f(u)[:, None] * f(v)))
                Dn[i, j] = Dn[j, i] = np.sum(ww * (df(u)[:, None] * df(v)))
        K = cb + cw * Kn
        Th = K + cw * Dn * Th
    return K, Th


# --------------------------------------------------------------------------
# Numerically stable closed-form reference for the arc-cosine family and Sign
# --------------------------------------------------------------------------
#
# NT evaluates the ABRelu / Sign maps via theta = arctan2(sqrt(k11 k22 - k12^2),
# k12). On the diagonal and for (anti)parallel pairs, k11 k22 - k12^2 is pure
# rounding noise O(eps k^2), so theta comes out as O(sqrt(eps)) ~ 1e-8 instead
# of 0. The ABRelu NTK factor (a^2+b^2)/2 - (a-b)^2/(2 pi) theta is linear in
# theta, so NT's NTK on such entries carries relative errors ~1e-8..1e-7; the
# Sign NNGP map 1 - 2 theta/pi turns this into O(1e-4) errors after 2 layers
# that grow to O(1) by depth 10 (e.g. NT's sign/L10/cw1/cb0 diagonal entry
# 0.147 where the exact value is 1). The function below tracks each pair's
# angle theta and its complement phi = pi - theta with cancellation-free
# formulas, and keeps the diagonal exact.

def _ab_params(act):
    p = act.split(":")
    if p[0] == "relu":
        return 0.0, 1.0
    if p[0] == "leaky_relu":
        return float(p[1]), 1.0
    if p[0] == "abrelu":
        return float(p[1]), float(p[2])
    if p[0] == "abs":
        return -1.0, 1.0
    if p[0] == "linear":
        return 1.0, 1.0
    return None


def _g(t):
    """sin t - t cos t, accurate for small t."""
    if t < 0.1:
        s, term, k = 0.0, None, 1
        while True:
            term = (-1) ** (k + 1) * t ** (2 * k + 1) * (2 * k) / math.factorial(2 * k + 1)
            s += term
            if abs(term) < 1e-18 * max(abs(s), 1e-300) or k > 12:
                return s
            k += 1
    return math.sin(t) - t * math.cos(t)


def _kahan_angle(u, v):
    """Angle between u and v, returns (theta, pi - theta), both accurate."""
    un = u / np.linalg.norm(u)
    vn = v / np.linalg.norm(v)
    dm = np.linalg.norm(un - vn)
    dp = np.linalg.norm(un + vn)
    return 2.0 * math.atan2(dm, dp), 2.0 * math.atan2(dp, dm)


def stable_reference(act, depth, cw, cb, x1, x2=None):
    sign = act == "sign"
    ab = None if sign else _ab_params(act)
    if not sign and ab is None:
        return None
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = x1 if x2 is None else np.asarray(x2, dtype=np.float64)
    n0 = x1.shape[1]
    aug = lambda x: np.concatenate([math.sqrt(cw / n0) * x,
                                    np.full((x.shape[0], 1), math.sqrt(cb))], axis=1)
    u1, u2 = aug(x1), aug(x2)
    N1, N2 = len(x1), len(x2)
    d1 = np.array([cb + cw * float(r @ r) / n0 for r in x1])
    d2 = np.array([cb + cw * float(r @ r) / n0 for r in x2])
    th = np.empty((N1, N2))
    ph = np.empty((N1, N2))
    for i in range(N1):
        for j in range(N2):
            th[i, j], ph[i, j] = _kahan_angle(u1[i], u2[j])
    K = np.sqrt(np.outer(d1, d2)) * np.cos(th)
    Th = K.copy()
    if ab is not None:
        a, b = ab
        A = (a * a + b * b) / 2.0
        f = (a - b) ** 2 / (2.0 * math.pi)
    for _ in range(depth - 1):
        if sign:
            nd1 = np.where(d1 == 0, cb, cb + cw)
            nd2 = np.where(d2 == 0, cb, cb + cw)
        else:
            nd1, nd2 = cb + cw * A * d1, cb + cw * A * d2
        Kn = np.empty((N1, N2)); Thn = np.empty((N1, N2))
        nth = np.empty((N1, N2)); nph = np.empty((N1, N2))
        for i in range(N1):
            for j in range(N2):
                t, p = th[i, j], ph[i, j]
                if sign:
                    s = 1.0
                    J = 1.0 - 2.0 * t / math.pi
                    AmJ, ApJ = 2.0 * t / math.pi, 2.0 * p / math.pi
                    Jdot = 0.0  # NT zeroes the NTK through Sign
                    Ad = 1.0
                    si, sj = 1.0, 1.0
                else:
                    si, sj = math.sqrt(d1[i]), math.sqrt(d2[j])
                    s = si * sj
                    if t <= math.pi / 2:
                        J = A * math.cos(t) + f * _g(t)
                        AmJ = 2 * A * math.sin(t / 2) ** 2 - f * _g(t)
                        ApJ = 2 * A * math.cos(t / 2) ** 2 + f * _g(t)
                    else:
                        J = -a * b * math.cos(p) + f * _g(p)
                        AmJ = (a + b) ** 2 / 2 - 2 * a * b * math.sin(p / 2) ** 2 - f * _g(p)
                        ApJ = (a - b) ** 2 / 2 + 2 * a * b * math.sin(p / 2) ** 2 + f * _g(p)
                    Jdot = A - f * t
                    Ad = A
                Kij = cb + cw * s * J
                Kn[i, j] = Kij
                Thn[i, j] = Kij + cw * Jdot * Th[i, j]
                D = math.sqrt(nd1[i] * nd2[j])
                Q = cb + cw * Ad * si * sj
                bracket = cb * cw * Ad * (si - sj) ** 2 / (D + Q) if D + Q > 0 else 0.0
                one_m = max(bracket + cw * s * AmJ, 0.0)
                one_p = max(bracket + 2 * cb + cw * s * ApJ, 0.0)
                nth[i, j] = 2.0 * math.atan2(math.sqrt(one_m), math.sqrt(one_p))
                nph[i, j] = 2.0 * math.atan2(math.sqrt(one_p), math.sqrt(one_m))
        K, Th, th, ph, d1, d2 = Kn, Thn, nth, nph, nd1, nd2
    return K, Th


def self_check(x):
    worst = 0.0
    for act in ("erf", "sin", "cos", "linear"):
        for depth, cw, cb in ((2, 1.0, 0.1), (3, 1.7, 0.3)):
            nngp, ntk = compute(act, depth, cw, cb, x)
            K, Th = gh_kernels(act, depth, cw, cb, x)
            err = max(np.max(np.abs(nngp - K)) / np.max(np.abs(K)),
                      np.max(np.abs(ntk - Th)) / np.max(np.abs(Th)))
            worst = max(worst, err)
            if err > 1e-8:
                raise SystemExit(f"convention self-check failed: {act} L={depth} rel err {err}")
    return worst


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

RELU_LIKE = {
    # name: critical C_W (C_b = 0) = 2 / (A^2 + B^2)
    "relu": 2.0,
    "leaky_relu:0.1": 2.0 / (1.0 + 0.1 ** 2),
    "abrelu:-0.5:1.5": 2.0 / (0.25 + 2.25),
    "abs": 1.0,
}
GENERIC = ["erf", "gelu", "sin", "cos", "linear", "sign"]
ACTIVATIONS = list(RELU_LIKE) + GENERIC


def hyper_grid(act):
    grid = []
    if act in RELU_LIKE:
        grid.append((2.0, 0.0))
        crit = RELU_LIKE[act]
        if abs(crit - 2.0) > 1e-12:
            grid.append((crit, 0.0))
    else:
        grid.append((1.0, 0.0))
    grid.append((1.0, 0.1))
    grid.append((1.7, 0.3))
    return grid


def tolist(a):
    return [[float(v) for v in row] for row in np.asarray(a)]


def main():
    warnings.filterwarnings("ignore")
    x = main_inputs()
    xc1, xc2 = cross_inputs()

    print("convention self-check (max rel err vs independent quadrature):",
          self_check(x), file=sys.stderr)

    cases = []

    def add(name, act, depth, cw, cb, x1, x2=None, note=None):
        nngp, ntk = compute(act, depth, cw, cb, x1, x2)
        if not (np.all(np.isfinite(nngp)) and np.all(np.isfinite(ntk))):
            raise SystemExit(f"non-finite kernel in {name}")
        c = {
            "name": name,
            "activation": act,
            "depth": depth,
            "cw": cw,
            "cb": cb,
            "x1": tolist(x1),
            "x2": None if x2 is None else tolist(x2),
            "nngp": tolist(nngp),
            "ntk": tolist(ntk),
        }
        if note:
            c["note"] = note
        ref = stable_reference(act, depth, cw, cb, x1, x2)
        if ref is not None:
            K_s, Th_s = ref
            rel = lambda A, B: float(np.max(np.abs(A - B)) / np.max(np.abs(B)))
            c["reference_stable"] = {"nngp": tolist(K_s), "ntk": tolist(Th_s)}
            c["nt_max_rel_dev_from_reference_stable"] = {"nngp": rel(nngp, K_s),
                                                         "ntk": rel(ntk, Th_s)}
            # generic entries (not diagonal / nearly-(anti)parallel) must agree tightly
            mask = np.ones_like(nngp, dtype=bool)
            if x2 is None:
                for (i, j) in [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (1, 2), (2, 1), (3, 4), (4, 3)]:
                    mask[i, j] = False
            gen = max(float(np.max(np.abs(nngp - K_s)[mask] / np.max(np.abs(K_s)))),
                      float(np.max(np.abs(ntk - Th_s)[mask] / np.max(np.abs(Th_s)))))
            if gen > 1e-11:
                raise SystemExit(f"stable reference disagrees with NT on generic entries: {name} {gen}")
        cases.append(c)
        print(f"{name:45s} max|nngp|={np.max(np.abs(nngp)):.6g}  "
              f"max|ntk|={np.max(np.abs(ntk)):.6g}  "
              f"min|diag nngp|={np.min(np.abs(np.diag(nngp))) if x2 is None else float('nan'):.3g}"
              + ("" if "reference_stable" not in c else
                 "  NT rel dev from stable ref: nngp={nngp:.2g} ntk={ntk:.2g}".format(
                     **c["nt_max_rel_dev_from_reference_stable"])))

    for act in ACTIVATIONS:
        note = None
        if act == "sign":
            note = ("NT Sign: NNGP = 1 - 2*theta/pi (arcsine law); NTK contribution of the "
                    "derivative set to 0 (NT zeroes the NTK through Sign). Our 'step' "
                    "(Heaviside) relates as step=(sign+1)/2: E[H(u)H(v)] = (1 + E[sign u sign v])/4.")
        for depth in (1, 3, 10):
            for cw, cb in hyper_grid(act):
                add(f"{act}/L{depth}/cw{cw:.6g}/cb{cb:g}", act, depth, cw, cb, x, note=note)
        add(f"{act}/cross/L3/cw1.7/cb0.3", act, 3, 1.7, 0.3, xc1, xc2, note=note)

    # Deep cases.
    add("relu/deep/L50/cw2/cb0", "relu", 50, 2.0, 0.0, x)
    add("relu/deep/L50/cw2/cb0.1", "relu", 50, 2.0, 0.1, x)
    add("erf/deep/L30/cw1/cb0.1", "erf", 30, 1.0, 0.1, x)
    add("erf/deep/L30/cw1/cb0", "erf", 30, 1.0, 0.0, x)

    # NT's numerical (Gauss-Hermite) tanh, to document its accuracy.
    rng = np.random.default_rng(20240603)
    numerical = []
    for q in (1.0, 10.0):
        g = rng.standard_normal((3, 4))
        xt = np.stack([scale_to(g[i], q) for i in range(3)])
        nngp, ntk = compute("tanh_numerical:60", 3, 1.0, 0.0, xt)
        K_ref, Th_ref = gh_kernels("tanh", 3, 1.0, 0.0, xt, panels=360)
        K_chk, Th_chk = gh_kernels("tanh", 3, 1.0, 0.0, xt, panels=180)
        numerical.append({
            "q": q,
            "activation": "tanh",
            "depth": 3, "cw": 1.0, "cb": 0.0,
            "x1": tolist(xt), "x2": None,
            "nngp": tolist(nngp), "ntk": tolist(ntk),
            "reference_quadrature": {
                "nngp": tolist(K_ref), "ntk": tolist(Th_ref),
                "max_abs_diff_vs_half_resolution": float(max(np.max(np.abs(K_ref - K_chk)),
                                                    np.max(np.abs(Th_ref - Th_chk)))),
            },
            "nt_max_abs_error_vs_reference": {
                "nngp": float(np.max(np.abs(nngp - K_ref))),
                "ntk": float(np.max(np.abs(ntk - Th_ref))),
            },
        })
        print(f"tanh numerical q={q}: max|nngp|={np.max(np.abs(nngp)):.6g} "
              f"max|ntk|={np.max(np.abs(ntk)):.6g}  NT err nngp="
              f"{np.max(np.abs(nngp - K_ref)):.3g} ntk={np.max(np.abs(ntk - Th_ref)):.3g}")

    import importlib.metadata as md
    out = {
        "generator": "bench/nt/make_fixtures.py",
        "versions": {
            "neural_tangents": md.version("neural-tangents"),
            "jax": jax.__version__,
            "jaxlib": md.version("jaxlib"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "conventions": (
            "depth L = number of Dense (weight) layers; NT model = serial([Dense(512, "
            "W_std=sqrt(cw), b_std=sqrt(cb), parameterization='ntk'), ACT]*(L-1), "
            "Dense(1, same)). cw=C_W=W_std^2, cb=C_b=b_std^2. First layer: K = cb + "
            "cw*x.x'/n0. NTK recursion Theta^(l+1) = K^(l+1) + cw*E[s'(z)s'(z')]*Theta^(l), "
            "Theta^(1)=K^(1), i.e. PDLT learning-rate factors lambda_W=C_W, lambda_b=C_b. "
            "nngp/ntk are output-layer kernels, shape len(x1) x len(x2); x2=null means x2=x1. "
            "float64 throughout."),
        "notes": {
            "abrelu": (
                "NT 0.6.5 stax.ABRelu(a, b, do_stabilize=False) is defined as "
                "a*min(x,0) + b*max(x,0): a = slope for x<0, b = slope for x>0. This is the "
                "same order as our 'abrelu:A:B', so 'abrelu:-0.5:1.5' -> stax.ABRelu(-0.5, 1.5). "
                "NT also defines Relu() = ABRelu(0,1), LeakyRelu(alpha) = ABRelu(alpha,1), "
                "Abs() = ABRelu(-1,1). Kernel: with theta = arccos(rho), "
                "K' = (a-b)^2/(2pi)*sqrt(k11 k22 - k12^2) + [(a^2+b^2)/2 - (a-b)^2/(2pi)*theta]*k12, "
                "NTK derivative factor = (a^2+b^2)/2 - (a-b)^2/(2pi)*theta."),
            "sign": (
                "stax.Sign(): sigma(x)=sign(x). NNGP map: 1 - 2*theta/pi (diag -> 1, or 0 if "
                "the input variance is exactly 0). NT sets the NTK to ZERO after a Sign layer "
                "(the derivative is a delta function), so for depth>=2 Theta^(L) only "
                "contains the layers above the last Sign. Our 'step' (Heaviside H) is not in "
                "NT; since H=(1+sign)/2, E[H(u)H(v)] = (1 + E[sign(u)sign(v)])/4 "
                "= 1/2 - theta/(2pi) for zero-mean Gaussians. Layer map: step with (C_W, C_b) "
                "gives K' = C_b + C_W/2 - C_W theta/(2pi), identical (diagonal included) to sign "
                "with (C_W/4, C_b + C_W/4). So a step-MLP NNGP equals a sign-MLP NNGP whose first "
                "Dense layer has (C_W, C_b) and all later Dense layers have (C_W/4, C_b + C_W/4); "
                "the fixture uses uniform (cw, cb), so compare step with sign only at the "
                "single-layer-map level (or via this reparameterisation)."),
            "nt_accuracy_and_reference_stable": (
                "NT computes the angle of the arc-cosine family (ABRelu/Relu/LeakyRelu/Abs) and Sign "
                "as arctan2(sqrt(k11*k22 - k12^2), k12). On the diagonal and for the nearly "
                "identical pair (1,2) and antiparallel pair (3,4) of the main inputs, "
                "k11*k22 - k12^2 is rounding noise, giving spurious angles ~1e-8. Consequences: "
                "(a) arc-cosine family NNGP is still accurate (the map is flat in theta at 0), "
                "but NT's NTK on those entries has relative errors up to ~1e-7 (grows with depth; "
                "see per-case 'nt_max_rel_dev_from_reference_stable'); (b) for Sign (NNGP map "
                "1 - 2 theta/pi, infinitely steep at theta=0) NT's diagonal and (anti)parallel "
                "entries are wrong by ~1e-4 at depth 3 and O(1) at depth 10 (e.g. diagonal 0.147 "
                "instead of exactly cw+cb=1). Every such case therefore also carries "
                "'reference_stable' {nngp, ntk}: an independent float64 evaluation of the same "
                "closed-form recursion (make_fixtures.py: stable_reference) that tracks each "
                "pair's angle theta and pi-theta with cancellation-free formulas (Kahan's "
                "2*atan2(|u-v|,|u+v|) on the unit-normalised augmented inputs "
                "(sqrt(cw/n0) x, sqrt(cb)) for layer 1, exact diagonal thereafter). The script "
                "asserts NT and reference_stable agree to 1e-11 (relative to max entry) on all "
                "other entries. Recommended: compare with nngp/ntk at tight tolerance on generic "
                "entries and against reference_stable on entries (i,i), (1,2), (2,1), (3,4), "
                "(4,3); for sign at depth>=3 use reference_stable only. Note for sign the "
                "near-identical pair genuinely decorrelates (theta -> ~sqrt(4 theta/pi) per layer) "
                "so those entries are intrinsically sensitive to the input angle (~4e-8 here)."),
            "cos": "cos is NT stax.Sin(a=1, b=1, c=pi/2) = sin(x + pi/2).",
            "erf": "NT stax.Erf(a=1,b=1,c=0) = erf(x) (not the 'scaled' erf).",
            "gelu": "NT stax.Gelu(approximate=False): x*Phi(x); the kernel is exact either way.",
            "linear": "stax.Identity(): no activation, kernel_fn is the identity map.",
            "inputs": (
                "Main inputs (N=5, n0=4, numpy default_rng(20240601)): |x|^2/n0 = "
                "[0.1, 1, 1+O(1e-7), 2.5, 10]; x[2] = x[1] + 1e-7*e_0 (nearly identical pair); "
                "x[4] = -2*x[3] (exactly antiparallel to x[3], bit-exact since *2 is exact). Cross inputs: "
                "x1 3x4, x2 2x4 from default_rng(20240602)."),
            "hyperparameters": (
                "relu-like activations: (cw,cb) in {(2,0), (critical 2/(A^2+B^2), 0) if != 2, "
                "(1,0.1), (1.7,0.3)}; others: {(1,0), (1,0.1), (1.7,0.3)}; depths 1,3,10. "
                "Cross-kernel cases: depth 3, cw 1.7, cb 0.3."),
            "nt_numerical_tanh": (
                "stax.ElementwiseNumerical(fn=jnp.tanh, deg=60) (NTK derivative via jax.grad), "
                "depth 3, cw 1, cb 0, 3 inputs each with |x|^2/n0 = 1 and = 10. Stored for "
                "documentation of NT's quadrature accuracy, NOT for matching. "
                "'reference_quadrature' is an independent evaluation of the same recursion "
                "in this script: 2-D tensor-product composite Gauss-Legendre quadrature over "
                "|z|<=9 (360 panels x 10 nodes per axis) in Cholesky coordinates; "
                "'max_abs_diff_vs_half_resolution' compares with 180 panels as an error estimate."),
        },
        "cases": cases,
        "nt_numerical_tanh": numerical,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
