#!/usr/bin/env python3
"""Monte-Carlo check of the order-1/n correction to the NTK mean for two inputs
(docs/derivations/ntk-two-inputs.md; Sources/FiniteWidth/TwoInputNTK.swift).

E[Ĥ^(ℓ)_{ii;δ₁δ₂}] = Θ^(ℓ)_{δ₁δ₂} + Θ¹^(ℓ)_{δ₁δ₂}/n_{ℓ−1} + O(1/n²).  The recursion (eqs. (T1)–(T9) of
the derivation) runs over the three pairs (11), (12), (22) of two inputs; on a diagonal pair it is
DiagonalNTK.swift's single-input recursion.

What this script does:
  1. theory: the pair recursion (K, V, K¹, Θ, Θ¹, F, 𝒫, q over the pairs), with 2-D Gaussian integrals
     by polar Gauss–Legendre quadrature split where u = 0 or v = 0 (exact to ~1e-14 for the rectified
     family too) and K-derivatives by Richardson-extrapolated central differences;
  2. checks that on a diagonal pair it reproduces a line-by-line port of DiagonalNTK.swift (single input,
     per-layer hyperparameters, unequal widths), that a line-by-line Python mirror of TwoInputNTK.swift
     (analytic gradients, Hessians by differences of gradients, ⟨∂A⟩ from the ⟨σσ⟩ gradient) agrees
     with it, and that Θ¹₁₂ → Θ¹₁₁ as the inputs merge; prints reference values for the Swift code;
  3. Monte Carlo: M networks of depth 4 (hidden widths n, n₀ = 3, 32 output components) per case and
     width n = 32, 64, 128; the NTK of z^(4) (L = 4) and of the first 32 neurons of z^(3) (L = 3, the
     depth-3 sub-network) by backpropagation, per layer λ_b δδᵀ + (λ_W/n_{ℓ−1}) (δδᵀ)(aᵀa), for three
     inputs x₀ (|x|²/n₀ = 1), x₁ (|x|²/n₀ = 1.3, cos(x₀, x₁) = 0.3), x₂ (|x|²/n₀ = 0.8, cos(x₀, x₂) = 0.9),
     and two learning-rate choices (λ_b, λ_W) = (1, 1) and (0.5, 2) (the NTK is linear in them, so the
     same networks serve both).  Each case (activation, C_b, C_W) has its own random stream.
     y = n(MC − Θ) is compared with Θ¹ (z = (y − Θ¹)/se; z∞ = y/se is the distance from the
     infinite-width value), and the leftover y − Θ¹ is fitted with c/n over the three widths.

Run: taskset -c 0 bench/.venv/bin/python bench/nt/check_ntk_two_inputs.py [--quick | --theory-only]  (one thread;
     full run ≈ 6 min, --quick ≈ 1.5 min)
"""
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 "
                      "--xla_force_host_platform_device_count=1")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
from scipy import integrate, special  # noqa: E402

# ----------------------------------------------------------------------------------------------
# Activations and Gaussian integrals.
# ----------------------------------------------------------------------------------------------

ACTS = {
    "tanh": (np.tanh, lambda t: 1 - np.tanh(t) ** 2),
    "erf": (special.erf, lambda t: 2 / np.sqrt(np.pi) * np.exp(-t * t)),
    "relu": (lambda t: np.maximum(t, 0.0), lambda t: (t > 0).astype(float)),
}

_GLA = np.polynomial.legendre.leggauss(40)
_GLR = np.polynomial.legendre.leggauss(32)
_RPAN = [0.0, 0.7, 1.5, 2.5, 3.6, 5.0, 6.6, 8.5, 11.0]


def _nodes(k11, k12, k22):
    """Nodes (u, v) and weights for E[F(u, v)], (u, v) ~ N(0, [[k11, k12], [k12, k22]]): polar
    coordinates in the whitened plane, angular panels split on the rays u = 0 and v = 0 (where σ′ of
    the rectified family jumps), Gauss–Legendre in angle and in radius (panels up to r = 11)."""
    s = np.sqrt(k11 * k22)
    d = s - k12
    a11 = np.sqrt(k11)
    a21 = k12 / a11
    a22 = np.sqrt(max(d * (2 * s - d), 0.0) / k11)
    phi0 = np.arctan2(-a21, a22) % np.pi
    br = np.unique(np.sort(np.array([0.0, np.pi / 2, 1.5 * np.pi, 2 * np.pi, phi0, phi0 + np.pi])))
    ax, aw = _GLA
    phis, pw = [], []
    for lo, hi in zip(br[:-1], br[1:]):
        if hi - lo > 1e-15:
            phis.append(0.5 * (hi - lo) * ax + 0.5 * (hi + lo))
            pw.append(0.5 * (hi - lo) * aw)
    phis, pw = np.concatenate(phis), np.concatenate(pw)
    rx, rw = _GLR
    rs = np.concatenate([0.5 * (hi - lo) * rx + 0.5 * (hi + lo) for lo, hi in zip(_RPAN[:-1], _RPAN[1:])])
    rws = np.concatenate([0.5 * (hi - lo) * rw for lo, hi in zip(_RPAN[:-1], _RPAN[1:])])
    rws = rws * rs * np.exp(-0.5 * rs * rs) / (2 * np.pi)
    X = rs[:, None] * np.cos(phis)[None, :]
    Y = rs[:, None] * np.sin(phis)[None, :]
    W = rws[:, None] * pw[None, :]
    return (a11 * X).ravel(), (a21 * X + a22 * Y).ravel(), W.ravel()


class Pair:
    """σ, σ′ at the nodes of one 2-D Gaussian; E(arr) integrates."""

    def __init__(self, act, k):
        f, d = ACTS[act]
        self.u, self.v, self.w = _nodes(*k)
        self.su, self.sv, self.du, self.dv = f(self.u), f(self.v), d(self.u), d(self.v)

    def E(self, arr):
        return float(np.dot(self.w, arr))


def moments(act, k):
    """(⟨σ₁σ₁⟩, ⟨σ₁σ₂⟩, ⟨σ₂σ₂⟩, ⟨σ′₁σ′₁⟩, ⟨σ′₁σ′₂⟩, ⟨σ′₂σ′₂⟩)."""
    p = Pair(act, k)
    return np.array([p.E(p.su * p.su), p.E(p.su * p.sv), p.E(p.sv * p.sv),
                     p.E(p.du * p.du), p.E(p.du * p.dv), p.E(p.dv * p.dv)])


def kderiv(fun, k, eps=0.02):
    """Gradient g[e, …] and Hessian H[e, g, …] of fun(K₁₁, K₁₂, K₂₂) in the three pair coordinates
    (K₁₂ counted once), central differences with Richardson extrapolation; steps shrink with the
    deficit so that every evaluation point is a valid covariance."""
    k = np.array(k, float)
    s = np.sqrt(k[0] * k[2])
    t = min(1.0, (s - k[1]) / s, (s + k[1]) / s)
    h = 0.5 * eps * t * np.array([k[0], s, k[2]])
    f0 = np.asarray(fun(*k))

    def at(dk):
        return np.asarray(fun(*(k + dk)))

    def grad(hh):
        return np.array([(at(hh[i] * np.eye(3)[i]) - at(-hh[i] * np.eye(3)[i])) / (2 * hh[i]) for i in range(3)])

    def hess(hh):
        H = np.zeros((3, 3) + f0.shape)
        for i in range(3):
            ei = hh[i] * np.eye(3)[i]
            H[i, i] = (at(ei) - 2 * f0 + at(-ei)) / hh[i] ** 2
            for j in range(i + 1, 3):
                ej = hh[j] * np.eye(3)[j]
                H[i, j] = H[j, i] = (at(ei + ej) - at(ei - ej) - at(-ei + ej) + at(-ei - ej)) / (4 * hh[i] * hh[j])
        return H

    return (4 * grad(h / 2) - grad(h)) / 3, (4 * hess(h / 2) - hess(h)) / 3


# ----------------------------------------------------------------------------------------------
# The two-input recursion (docs/derivations/ntk-two-inputs.md), for all three NTK pairs.
# ----------------------------------------------------------------------------------------------

PAIRS = [(0, 0), (0, 1), (1, 1)]


def theory(act, L, widths, cb, cw, lb, lw, gram):
    """widths = [n₀, n₁, …, n_{L−1}]; cb, cw, lb, lw per layer (index ℓ−1 for layer ℓ, λ_W the
    effective one); gram = x_a·x_b/n₀ (2 × 2).  Returns, per layer ℓ = 1 … L, a dict of K, V, K¹, Θ,
    Θ¹ over the pairs (11), (12), (22) (corrections in units of 1/n_{ℓ−1}), F[p][e], 𝒫[p]."""
    K = cb[0] + cw[0] * np.array([gram[0, 0], gram[0, 1], gram[1, 1]])
    Th = lb[0] + lw[0] * np.array([gram[0, 0], gram[0, 1], gram[1, 1]])
    V, K1, Th1 = np.zeros((3, 3)), np.zeros(3), np.zeros(3)
    F, P, q = np.zeros((3, 3)), np.zeros((3, 2, 2)), np.zeros((3, 2, 2))
    out = [dict(K=K.copy(), V=V.copy(), K1=K1.copy(), Th=Th.copy(), Th1=Th1.copy(), F=F.copy(), P=P.copy())]
    prev = None
    for l in range(1, L):                      # layer ℓ = l → ℓ + 1; hyperparameters of ℓ + 1 at index l
        Cb, Cw, Lb, Lw = cb[l], cw[l], lb[l], lw[l]
        r = 0.0 if l == 1 else widths[l] / widths[l - 1]
        pr = Pair(act, K)
        sig, der, z = [pr.su, pr.sv], [pr.du, pr.dv], [pr.u, pr.v]
        mom = moments(act, K)
        ss, dd = mom[:3], mom[3:]
        g, H = kderiv(lambda a, b, c: moments(act, (a, b, c)), K)
        Jss, Jdd = g[:, :3].T, g[:, 3:].T                       # [p][e]
        Hss = np.transpose(H[:, :, :3], (2, 0, 1))              # [p][e][g]
        Hdd = np.transpose(H[:, :, 3:], (2, 0, 1))
        if prev is not None:
            # (T7) 𝒫^(ℓ)_{p,γδ} = C_W^(ℓ)² [⟨σ_γ σ′_a σ′_b σ_δ⟩_{K^(ℓ−1)} Θ^(ℓ−1)_p + (n_{ℓ−1}/n_{ℓ−2}) q^(ℓ−1)_{p,γδ}]
            pk, pth, pq, rprev, cwl = prev
            pp = Pair(act, pk)
            psig, pder = [pp.su, pp.sv], [pp.du, pp.dv]
            for ip, (a, b) in enumerate(PAIRS):
                for gm in range(2):
                    for dl in range(2):
                        P[ip, gm, dl] = cwl ** 2 * (pp.E(psig[gm] * pder[a] * pder[b] * psig[dl]) * pth[ip]
                                                    + rprev * pq[ip, gm, dl])
            # (T8) q^(ℓ)_p = ⟨∂A⟩ 𝒫 ⟨∂B⟩ᵀ, A_γ = σ(z_γ)σ′(z_a), B_δ = σ′(z_b)σ(z_δ); ⟨∂_α f⟩ = K⁻¹⟨z f⟩ (Stein)
            Ki = np.linalg.inv(np.array([[K[0], K[1]], [K[1], K[2]]]))
            for ip, (a, b) in enumerate(PAIRS):
                dA, dB = np.zeros((2, 2)), np.zeros((2, 2))
                for gm in range(2):
                    A, B = sig[gm] * der[a], der[b] * sig[gm]
                    dA[gm] = Ki @ np.array([pr.E(z[0] * A), pr.E(z[1] * A)])
                    dB[gm] = Ki @ np.array([pr.E(z[0] * B), pr.E(z[1] * B)])
                q[ip] = dA @ P[ip] @ dB.T
        sp = [sig[a] * sig[b] for a, b in PAIRS]
        dp = [der[a] * der[b] for a, b in PAIRS]
        four = np.array([[pr.E(sp[e] * sp[f]) for f in range(3)] for e in range(3)])
        mix = np.array([[pr.E(sp[e] * dp[p]) for e in range(3)] for p in range(3)])   # [p][e]
        J = Cw * Jss
        Vn = Cw ** 2 * (four - np.outer(ss, ss)) + r * J @ V @ J.T                      # (T2)
        K1n = r * (J @ K1 + 0.5 * Cw * np.einsum("peg,eg->p", Hss, V))                   # (T3)
        Thn = Lb + Lw * ss + Cw * dd * Th                                                # (T1)
        Fn, Th1n = np.zeros((3, 3)), np.zeros(3)
        for p in range(3):
            a_ = Lw * Jss[p] + Cw * Th[p] * Jdd[p]
            c_ = Cw * dd[p]
            for e in range(3):                                                           # (T5)
                cov1 = Lw * (four[e, p] - ss[e] * ss[p]) + Cw * Th[p] * (mix[p, e] - ss[e] * dd[p])
                Fn[p, e] = Cw * cov1 + r * J[e] @ (V @ a_ + c_ * F[p])
            Dss = Jss[p] @ K1 + 0.5 * np.einsum("eg,eg->", Hss[p], V)
            Ddd = Jdd[p] @ K1 + 0.5 * np.einsum("eg,eg->", Hdd[p], V)
            stein = 2 * P[p, 0, 0] * Jdd[p, 0] + (P[p, 0, 1] + P[p, 1, 0]) * Jdd[p, 1] + 2 * P[p, 1, 1] * Jdd[p, 2]
            Th1n[p] = r * (Lw * Dss + Cw * (Th1[p] * dd[p] + Th[p] * Ddd + Jdd[p] @ F[p] + stein))  # (T9)
        prev = (K.copy(), Th.copy(), q.copy(), r, cw[l])
        K, V, K1, Th, Th1, F = Cb + Cw * ss, Vn, K1n, Thn, Th1n, Fn
        out.append(dict(K=K.copy(), V=V.copy(), K1=K1.copy(), Th=Th.copy(), Th1=Th1.copy(), F=F.copy(), P=P.copy()))
    return out


_D2 = {"tanh": lambda t: -2 * np.tanh(t) * (1 - np.tanh(t) ** 2),
       "erf": lambda t: -4 / np.sqrt(np.pi) * t * np.exp(-t * t)}


def analytic_gradients(act, k):
    """TwoInputNTK.gradients: (∂⟨σ_aσ_b⟩/∂K_e as Vertex.gradient, ∂⟨σ′₁σ′₂⟩/∂K_e), e = (11), (12), (22):
    ∂⟨σσ⟩/∂K₁₁ = (⟨uσ′(u)σ(v)⟩ − K₁₂⟨σ′σ′⟩)/(2K₁₁); ∂⟨σ′σ′⟩/∂K₁₂ = ⟨σ″σ″⟩ (Price),
    ∂⟨σ′σ′⟩/∂K₁₁ = (⟨uσ″(u)σ′(v)⟩ − K₁₂⟨σ″σ″⟩)/(2K₁₁); rectified: ⟨σ″σ″⟩ = (a₊ − a₋)²/(2π√det K), uσ″ = 0."""
    k11, k12, k22 = k
    s = np.sqrt(k11 * k22)
    d = s - k12
    pr = Pair(act, k)
    f, fd = ACTS[act]
    dd = pr.E(pr.du * pr.dv)
    h1 = _gauss1(lambda t: t * fd(t) * f(t), k11) / k11
    h2 = _gauss1(lambda t: t * fd(t) * f(t), k22) / k22
    if act == "relu":
        m1 = m2 = pr.E(pr.su * pr.sv)
        g12, e1, e2 = 1 / (2 * np.pi * np.sqrt(d * (2 * s - d))), 0.0, 0.0
    else:
        m1, m2 = pr.E(pr.u * pr.du * pr.sv), pr.E(pr.su * pr.v * pr.dv)
        s2u, s2v = _D2[act](pr.u), _D2[act](pr.v)
        g12, e1, e2 = pr.E(s2u * s2v), pr.E(pr.u * s2u * pr.dv), pr.E(pr.du * pr.v * s2v)
    c11, c22 = (m1 - k12 * dd) / (2 * k11), (m2 - k12 * dd) / (2 * k22)
    return (np.array([[h1, 0, 0], [c11, dd, c22], [0, 0, h2]]),
            np.array([(e1 - k12 * g12) / (2 * k11), g12, (e2 - k12 * g12) / (2 * k22)]))


def analytic_hessians(act, k):
    """TwoInputNTK.hessians: central differences of analytic_gradients (steps h = 0.01·t·scale and h/2,
    Richardson; t = min(1, 1 − cos, 1 + cos)), symmetrized. Returns H_σσ[p][e][g], H_σ′σ′[e][g]."""
    k = np.array(k, float)
    s = np.sqrt(k[0] * k[2])
    t = min(1.0, (s - k[1]) / s, (s + k[1]) / s)
    steps = 1e-2 * t * np.array([k[0], s, k[2]])
    hs, hd = np.zeros((3, 3, 3)), np.zeros((3, 3))
    for g in range(3):
        def at(step):
            kk = k.copy()
            kk[g] += step
            return analytic_gradients(act, kk)
        h = steps[g]
        (p1s, p1d), (m1s, m1d), (p2s, p2d), (m2s, m2d) = at(h), at(-h), at(h / 2), at(-h / 2)
        hs[:, :, g] = (4 * (p2s - m2s) / h - (p1s - m1s) / (2 * h)) / 3
        hd[:, g] = (4 * (p2d - m2d) / h - (p1d - m1d) / (2 * h)) / 3
    return 0.5 * (hs + np.transpose(hs, (0, 2, 1))), 0.5 * (hd + hd.T)


def swift_mirror(act, L, widths, cb, cw, lb, lw, gram):
    """Line-by-line mirror of TwoInputNTK.offDiagonal (pair (12) only): analytic gradients, Hessians
    by differences of gradients, ⟨∂A⟩, ⟨∂B⟩ from the entries of the ⟨σσ⟩ gradient
    (⟨σ″(u)σ(v)⟩ = 2∂⟨σσ⟩/∂K₁₁ etc.), the mixed moments M reused for 𝒫 at the next layer.
    Returns [(Θ₁₂, Θ¹₁₂)] per layer."""
    k = cb[0] + cw[0] * np.array([gram[0, 0], gram[0, 1], gram[1, 1]])
    theta = lb[0] + lw[0] * gram[0, 1]
    v, k1, fc, th1 = np.zeros((3, 3)), np.zeros(3), np.zeros(3), 0.0
    p, q, prev = np.zeros((2, 2)), np.zeros((2, 2)), None
    ones = [2, 1, 0]
    out = [(theta, 0.0)]
    for l in range(1, L):
        Cb, Cw, Lb, Lw = cb[l], cw[l], lb[l], lw[l]
        r = 0.0 if l == 1 else widths[l] / widths[l - 1]
        grad, gdd = analytic_gradients(act, k)
        hss, hdd = analytic_hessians(act, k)
        mom = moments(act, k)
        ss, dd = mom[:3], mom[4]
        if prev is not None:
            pth, pM = prev
            rprev = 0.0 if l == 2 else widths[l - 1] / widths[l - 2]
            p = cw[l - 1] ** 2 * (pM * pth + rprev * q)
            dA = np.array([[grad[0, 0], 0.0], [2 * grad[1, 0], grad[1, 1]]])
            dB = np.array([[grad[1, 1], 2 * grad[1, 2]], [0.0, grad[2, 2]]])
            q = dA @ p @ dB.T
        pr = Pair(act, k)
        m11 = pr.E(pr.su ** 2 * pr.du * pr.dv)
        m12 = pr.E(pr.su * pr.du * pr.sv * pr.dv)
        m22 = pr.E(pr.du * pr.sv ** 2 * pr.dv)
        mixed = [m11, m12, m22]
        four = [pr.E(pr.sv ** (4 - m) * pr.su ** m) for m in range(5)]
        J = Cw * grad
        vNew = np.array([[Cw ** 2 * (four[ones[a] + ones[b]] - ss[a] * ss[b]) + r * J[a] @ v @ J[b]
                          for b in range(3)] for a in range(3)])
        k1New = np.array([r * (J[a] @ k1 + 0.5 * Cw * np.sum(hss[a] * v)) for a in range(3)])
        av = Lw * grad[1] + Cw * theta * gdd
        fNew = np.array([Cw * (Lw * (four[ones[e] + 1] - ss[e] * ss[1]) + Cw * theta * (mixed[e] - ss[e] * dd))
                         + r * sum(J[e, f] * (av @ v[f] + Cw * dd * fc[f]) for f in range(3)) for e in range(3)])
        dSS = grad[1] @ k1 + 0.5 * np.sum(hss[1] * v)
        dDD = gdd @ k1 + 0.5 * np.sum(hdd * v)
        stein = 2 * p[0, 0] * gdd[0] + (p[0, 1] + p[1, 0]) * gdd[1] + 2 * p[1, 1] * gdd[2]
        th1New = r * (Lw * dSS + Cw * (th1 * dd + theta * dDD + gdd @ fc + stein))
        prev = (theta, np.array([[m11, m12], [m12, m22]]))
        theta = Lb + Lw * ss[1] + Cw * dd * theta
        k = Cb + Cw * ss
        v, k1, fc, th1 = vNew, k1New, fNew, th1New
        out.append((theta, th1))
    return out


# ----------------------------------------------------------------------------------------------
# Port of DiagonalFiniteWidth + DiagonalNTKFiniteWidth (single input), for the diagonal check.
# ----------------------------------------------------------------------------------------------


def _gauss1(g, k):
    s = np.sqrt(k)
    h = lambda u: g(s * u) * np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)  # noqa: E731
    return sum(integrate.quad(h, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0] for a, b in ((-np.inf, 0), (0, np.inf)))


def _derivs1(f, k):
    def d(h):
        fp, fm, f0 = f(k + h), f(k - h), f(k)
        return (fp - fm) / (2 * h), (fp - 2 * f0 + fm) / (h * h)
    (a1, a2), (b1, b2) = d(1e-2 * k), d(0.5e-2 * k)
    return (4 * b1 - a1) / 3, (4 * b2 - a2) / 3


def diagonal_ntk(act, L, widths, cb, cw, lb, lw, q0):
    f, d = ACTS[act]
    E = _gauss1
    k, v, k1 = cb[0] + cw[0] * q0, 0.0, 0.0
    ks, vs, k1s = [k], [0.0], [0.0]
    for l in range(1, L):
        r = 0 if l == 1 else widths[l] / widths[l - 1]
        s2, s4 = E(lambda t: f(t) ** 2, k), E(lambda t: f(t) ** 4, k)
        d1, d2 = _derivs1(lambda kk: E(lambda t: f(t) ** 2, kk), k)
        chi = cw[l] * d1
        v, k1 = cw[l] ** 2 * (s4 - s2 * s2) + r * chi * chi * v, r * (chi * k1 + 0.5 * cw[l] * d2 * v)
        k = cb[l] + cw[l] * s2
        ks.append(k), vs.append(v), k1s.append(k1)
    k, theta = ks[0], lb[0] + lw[0] * q0
    fc = th1 = p = q = 0.0
    prev = None
    out = [(theta, 0.0)]
    for l in range(1, L):
        v, k1 = vs[l - 1], k1s[l - 1]
        r = 0 if l == 1 else widths[l] / widths[l - 1]
        if prev is not None:
            rp = 0 if l == 2 else widths[l - 1] / widths[l - 2]
            p = cw[l - 1] ** 2 * (E(lambda t: f(t) ** 2 * d(t) ** 2, prev[0]) * prev[1] + rp * q)
            hp = E(lambda t: t * f(t) * d(t), k) / k
            q = hp * hp * p
        s2, s4 = E(lambda t: f(t) ** 2, k), E(lambda t: f(t) ** 4, k)
        dd2 = E(lambda t: d(t) ** 2, k)
        s2d2 = E(lambda t: f(t) ** 2 * d(t) ** 2, k)
        ds2, dds2 = _derivs1(lambda kk: E(lambda t: f(t) ** 2, kk), k)
        dd, ddd = _derivs1(lambda kk: E(lambda t: d(t) ** 2, kk), k)
        a, bch, c = lw[l] * ds2 + cw[l] * theta * dd, cw[l] * ds2, cw[l] * dd2
        fN = cw[l] * (lw[l] * (s4 - s2 * s2) + cw[l] * theta * (s2d2 - s2 * dd2)) + r * bch * (a * v + c * fc)
        th1N = r * (lw[l] * (k1 * ds2 + 0.5 * v * dds2)
                    + cw[l] * (th1 * dd2 + theta * (k1 * dd + 0.5 * v * ddd) + fc * dd + 2 * p * dd))
        prev = (k, theta)
        theta = lb[l] + lw[l] * s2 + c * theta
        k = ks[l]
        fc, th1 = fN, th1N
        out.append((theta, th1))
    return out


# ----------------------------------------------------------------------------------------------
# Monte Carlo (JAX, float32; statistics accumulated in float64).
# ----------------------------------------------------------------------------------------------

MOUT = 32                                    # output components averaged per network
PAIRS_MC = [(0, 1), (0, 2), (0, 0), (1, 1), (2, 2)]
LAMS = [(1.0, 1.0), (0.5, 2.0)]
CASES = [("tanh", 0.0, 1.0), ("tanh", 0.1, 1.0), ("relu", 0.0, 2.0), ("relu", 0.1, 2.0), ("erf", 0.0, 1.0)]


def make_inputs(n0=3):
    q = np.array([1.0, 1.3, 0.8])
    c01, c02 = 0.3, 0.9
    c12 = c01 * c02 + np.sqrt(1 - c01 ** 2) * np.sqrt(1 - c02 ** 2) * 0.5
    C = np.array([[1, c01, c02], [c01, 1, c12], [c02, c12, 1]])
    X = np.linalg.cholesky(C * np.sqrt(np.outer(q, q)) * n0)    # rows x_a with x_a·x_b/n₀ = C_ab √(q_a q_b)
    return X


def make_batch_fn(n, X):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", False)
    n0, m = X.shape[1], MOUT
    Xj = jnp.asarray(X, jnp.float32)
    ia = jnp.array([p[0] for p in PAIRS_MC])
    ib = jnp.array([p[1] for p in PAIRS_MC])
    sig = {"tanh": jnp.tanh, "erf": jax.scipy.special.erf, "relu": jax.nn.relu}
    dsig = {"tanh": lambda t: 1 - jnp.tanh(t) ** 2, "erf": lambda t: 2 / np.sqrt(np.pi) * jnp.exp(-t * t),
            "relu": lambda t: (t > 0).astype(t.dtype)}

    def one_net(eps, act, cb, cw):
        W1, b1, W2, b2, W3, b3, W4, b4 = eps
        sg, dsg = sig[act], dsig[act]
        sw0, sw, sb = np.sqrt(cw / n0), np.sqrt(cw / n), np.sqrt(cb)
        z1 = sw0 * Xj @ W1.T + sb * b1                            # (inputs, n)
        a1 = sg(z1)
        z2 = sw * a1 @ W2.T + sb * b2
        a2 = sg(z2)
        z3 = sw * a2 @ W3.T + sb * b3
        a3 = sg(z3)
        z4 = sw * a3 @ W4.T + sb * b4                             # (inputs, m)
        acts, widths = [Xj, a1, a2, a3], [n0, n, n, n]
        d1, d2, d3 = dsg(z1), dsg(z2), dsg(z3)
        # backward errors ∂z^(L)_i/∂z^(ℓ) for the m outputs, (inputs, m, n_ℓ)
        J3 = sw * W4[None] * d3[:, None, :]
        J2 = sw * jnp.einsum("aik,kj->aij", J3, W3) * d2[:, None, :]
        J1 = sw * jnp.einsum("aik,kj->aij", J2, W2) * d1[:, None, :]
        G2 = sw * W3[None, :m, :] * d2[:, None, :]                 # sub-network z^(3)_{i<m}
        G1 = sw * jnp.einsum("aik,kj->aij", G2, W2) * d1[:, None, :]

        def ntk(Js, last):
            gram = lambda A, w: (A[ia] * A[ib]).sum(-1) / w       # noqa: E731
            hb = jnp.ones((len(PAIRS_MC), m))
            hw = jnp.broadcast_to(gram(acts[last - 1], widths[last - 1])[:, None], (len(PAIRS_MC), m))
            for l, Jl in enumerate(Js, start=1):
                jj = (Jl[ia] * Jl[ib]).sum(-1)                     # (pairs, m)
                hb = hb + jj
                hw = hw + jj * gram(acts[l - 1], widths[l - 1])[:, None]
            return jnp.stack([lb_ * hb.mean(-1) + lw_ * hw.mean(-1) for lb_, lw_ in LAMS])

        h = jnp.stack([ntk([G1, G2], 3), ntk([J1, J2, J3], 4)])    # (readout L=3,4, λ, pair)
        zz = jnp.stack([(z3[ia, :m] * z3[ib, :m]).mean(-1), (z4[ia] * z4[ib]).mean(-1)])
        return h, zz

    def batch(key, B):
        outs = []
        for ic, (act, cb, cw) in enumerate(CASES):
            ks = jax.random.split(jax.random.fold_in(key, ic), 8)  # independent stream per case
            shapes = [(B, n, n0), (B, n), (B, n, n), (B, n), (B, n, n), (B, n), (B, m, n), (B, m)]
            eps = [jax.random.normal(k, s, jnp.float32) for k, s in zip(ks, shapes)]
            outs.append(jax.vmap(lambda e: one_net(e, act, cb, cw))(eps))
        return outs

    return jax.jit(batch, static_argnums=1)


def run_mc(n, X, N, B, seed):
    import jax
    fn = make_batch_fn(n, X)
    key = jax.random.PRNGKey(seed)
    acc = None
    done = 0
    while done < N:
        key, sub = jax.random.split(key)
        outs = fn(sub, B)
        vals = [(np.asarray(h, np.float64), np.asarray(z, np.float64)) for h, z in outs]
        if acc is None:
            acc = [[h.sum(0), (h * h).sum(0), z.sum(0), (z * z).sum(0)] for h, z in vals]
        else:
            for a, (h, z) in zip(acc, vals):
                a[0] += h.sum(0); a[1] += (h * h).sum(0); a[2] += z.sum(0); a[3] += (z * z).sum(0)
        done += B
    res = []
    for s1, s2, t1, t2 in acc:
        mh, mz = s1 / done, t1 / done
        res.append((mh, np.sqrt((s2 / done - mh ** 2) / (done - 1)), mz, np.sqrt((t2 / done - mz ** 2) / (done - 1))))
    return res, done


# ----------------------------------------------------------------------------------------------


def main():
    quick = "--quick" in sys.argv
    t0 = time.time()
    print("Two-input NTK mean at order 1/n (docs/derivations/ntk-two-inputs.md)\n")

    # 1. Diagonal pairs of the two-input recursion vs the DiagonalNTK.swift port (single input).
    print("1. Diagonal check: pair recursion on (11), (22) vs DiagonalNTK port; depth 5, per-layer C_b, C_W, λ, "
          "widths [3, 64, 32, 96, 64]")
    Ld, wd = 5, [3, 64, 32, 96, 64]
    lbd, lwd = [0.5, 1.0, 0.3, 2.0, 1.0], [2.0, 1.0, 0.7, 1.5, 1.0]
    gram = np.array([[1.0, 0.4], [0.4, 1.3]])
    for act in ("tanh", "relu", "erf"):
        cbd = [0.1, 0.0, 0.2, 0.05, 0.1]
        cwd = [2.0, 1.8, 2.2, 2.0, 2.0] if act == "relu" else [1.0, 2.0, 1.5, 1.2, 0.9]
        th = theory(act, Ld, wd, cbd, cwd, lbd, lwd, gram)
        worst = 0.0
        for ip, q0 in ((0, gram[0, 0]), (2, gram[1, 1])):
            dg = diagonal_ntk(act, Ld, wd, cbd, cwd, lbd, lwd, q0)
            for l in range(Ld):
                worst = max(worst, abs(th[l]["Th1"][ip] - dg[l][1]) / max(1.0, abs(dg[l][1])),
                            abs(th[l]["Th"][ip] - dg[l][0]) / dg[l][0])
        mir = swift_mirror(act, Ld, wd, cbd, cwd, lbd, lwd, gram)
        wm = max(abs(th[l]["Th1"][1] - mir[l][1]) for l in range(Ld))
        print(f"   {act:5s} max rel. diff Θ, Θ¹ (diagonal) = {worst:.1e};  Θ¹₁₂ per layer "
              f"{[round(th[l]['Th1'][1], 5) for l in range(Ld)]};  Swift mirror max |ΔΘ¹₁₂| = {wm:.1e}")

    # 2. Merging inputs: Θ¹₁₂ → Θ¹₁₁ as cos → 1 (Swift path: analytic gradients; differences of values,
    #    as in `theory`, lose accuracy once the deficit is ≲ 1e-3).
    print("\n2. Merging inputs (|x|²/n₀ = 1, L = 4, n equal, C_b = 0.1, λ = 1): Θ¹₁₂ (Swift mirror) at "
          "cos = 0.9, 0.99, 0.999, 0.9999, 0.99999 vs Θ¹₁₁ (DiagonalNTK port)")
    for act, cwv in (("tanh", 1.0), ("erf", 1.0), ("relu", 2.0)):
        args = (act, 4, [3, 64, 64, 64], [0.1] * 4, [cwv] * 4, [1.0] * 4, [1.0] * 4)
        vals = [swift_mirror(*args, np.array([[1.0, c], [c, 1.0]]))[3][1] for c in (0.9, 0.99, 0.999, 0.9999, 0.99999)]
        print(f"   {act:5s} Θ¹₁₂ = {', '.join(f'{x:+.5f}' for x in vals)};  Θ¹₁₁ = {diagonal_ntk(*args, 1.0)[3][1]:+.5f}")

    # Reference values for TwoInputNTK.compute (ntk parameterization): x = [[1, 0], [0.3, 0.8]] (n₀ = 2).
    print("\n   Reference values for TwoInputNTK.compute, x = [[1, 0], [0.3, 0.8]]; (11), (22) from the DiagonalNTK port:")
    xr = np.array([[1.0, 0.0], [0.3, 0.8]])
    gr = xr @ xr.T / 2
    refs = [("relu", 4, [2, 64, 64, 64], [0.1] * 4, [2.0] * 4, [1.0] * 4, [1.0] * 4),
            ("tanh", 4, [2, 64, 64, 64], [0.0] * 4, [1.0] * 4, [0.5] * 4, [2.0] * 4),
            ("erf", 3, [2, 64, 64], [0.0] * 3, [1.0] * 3, [1.0] * 3, [1.0] * 3),
            ("tanh", 4, [2, 64, 32, 96], [0.1, 0.0, 0.2, 0.05], [1.0, 2.0, 1.5, 1.2], [0.5, 1.0, 0.3, 2.0],
             [2.0, 1.0, 0.7, 1.5])]
    for act, L, wd_, cb_, cw_, lb_, lw_ in refs:
        m12 = swift_mirror(act, L, wd_, cb_, cw_, lb_, lw_, gr)[-1]
        d11 = diagonal_ntk(act, L, wd_, cb_, cw_, lb_, lw_, gr[0, 0])[-1]
        d22 = diagonal_ntk(act, L, wd_, cb_, cw_, lb_, lw_, gr[1, 1])[-1]
        print(f"   {act} L={L} widths={wd_[1:]} cb={cb_} cw={cw_} λb={lb_} λW={lw_}:\n"
              f"      ntk = [{d11[0]:.10f}, {m12[0]:.10f}, {d22[0]:.10f}]  ntkCorrection = "
              f"[{d11[1]:.10f}, {m12[1]:.10f}, {d22[1]:.10f}]")
    print(f"   [{time.time() - t0:.0f} s]")

    if "--theory-only" in sys.argv:
        return

    # 3. Monte Carlo.
    X = make_inputs()
    G = X @ X.T / X.shape[1]
    runs = [(32, 16384, 1024), (64, 24576, 512), (128, 40960, 256)]
    if quick:
        runs = [(n, N // 8, B) for n, N, B in runs]
    print(f"\n3. Monte Carlo: depth-4 networks, hidden width n, {MOUT} output components, inputs with "
          f"x·x/n₀ = {np.round(G, 4).tolist()}")
    mc = {}
    for n, N, B in runs:
        t1 = time.time()
        mc[n], done = run_mc(n, X, N, B, seed=1000 + n)
        print(f"   n = {n}: {done} networks per case, {time.time() - t1:.0f} s")
        sys.stdout.flush()
    widths_mc = [n for n, _, _ in runs]

    print("\ny = n(MC − Θ) ± se (the 1/n coefficient measured), z = (y − Θ¹)/se, z∞ = y/se (distance from the "
          "infinite-width NTK);\nfit: y − Θ¹ = c/n over the three widths (c ± se), χ²₀ for c = 0 (3 dof).")
    hdr = (f"{'case':<17}{'L':>2} {'cos':>4} {'λb,λW':>7} {'Θ':>8} {'Θ¹':>8} | "
           + " | ".join(f"n={n:<3} {'y ± se':>15} {'z':>5} {'z∞':>5}" for n in widths_mc)
           + f" | {'c ± se':>14} {'χ²₀':>5}")
    print(hdr)
    print("-" * len(hdr))
    allz, allz_diag, allzK, rows = [], [], [], []
    for ic, (act, cb, cw) in enumerate(CASES):
        name = f"{act} Cb={cb:g} Cw={cw:g}"
        for il, (lb, lw) in enumerate(LAMS):
            th = {}
            for ipair, (a, b) in enumerate(PAIRS_MC):
                o = b if a != b else (a + 1) % 3
                g2 = G[np.ix_([a, o], [a, o])]
                k = 1 if a != b else 0
                th[ipair] = (theory(act, 4, [3, 64, 64, 64], [cb] * 4, [cw] * 4, [lb] * 4, [lw] * 4, g2), k)
            for ir, L in enumerate((3, 4)):
                for ipair, (a, b) in enumerate(PAIRS_MC):
                    t, k = th[ipair]
                    Th, Th1 = t[L - 1]["Th"][k], t[L - 1]["Th1"][k]
                    ys, ses = [], []
                    for n in widths_mc:
                        mh, sh, mz, sz = mc[n][ic]
                        ys.append(n * (mh[ir, il, ipair] - Th)); ses.append(n * sh[ir, il, ipair])
                        if il == 0:
                            Kv, K1 = t[L - 1]["K"][k], t[L - 1]["K1"][k]
                            allzK.append((n * (mz[ir, ipair] - Kv) - K1) / (n * sz[ir, ipair]))
                    ys, ses = np.array(ys), np.array(ses)
                    zs = (ys - Th1) / ses
                    if a == b:
                        allz_diag += list(zs)
                        continue
                    allz += list(zs)
                    x = 1.0 / np.array(widths_mc)
                    wgt = 1 / ses ** 2
                    c = np.sum(wgt * x * (ys - Th1)) / np.sum(wgt * x * x)
                    sc = 1 / np.sqrt(np.sum(wgt * x * x))
                    chi0 = float(np.sum(zs ** 2))
                    cosv = G[a, b] / np.sqrt(G[a, a] * G[b, b])
                    rows.append((name, L, cosv, lb, lw, Th, Th1, ys, ses, zs, c, sc, chi0))
                    cells = " | ".join(f"{'':5} {y:+7.3f} ± {s:5.3f} {z:+5.1f} {y / s:+5.1f}" for y, s, z in zip(ys, ses, zs))
                    print(f"{name:<17}{L:>2} {cosv:4.2f} {lb:g},{lw:g}".ljust(32) + f" {Th:8.4f} {Th1:+8.4f} | {cells} | "
                          f"{c:+7.2f} ± {sc:5.2f} {chi0:5.1f}")
        sys.stdout.flush()
    allz, allz_diag, allzK = np.array(allz), np.array(allz_diag), np.array(allzK)
    print("\nSummary")
    print(f"  off-diagonal Θ¹: {allz.size} z-scores, max |z| = {np.abs(allz).max():.2f}, "
          f"#|z|>3 = {(np.abs(allz) > 3).sum()}, mean z = {allz.mean():+.2f}, Σz²/N = {np.mean(allz ** 2):.2f}")
    for n_i, n in enumerate(widths_mc):
        zn = allz[n_i::len(widths_mc)]
        print(f"    n = {n:3d}: max |z| = {np.abs(zn).max():.2f}, Σz²/N = {np.mean(zn ** 2):.2f}")
    print(f"  diagonal Θ¹ (DiagonalNTK): {allz_diag.size} z-scores, max |z| = {np.abs(allz_diag).max():.2f}, "
          f"Σz²/N = {np.mean(allz_diag ** 2):.2f}")
    print(f"  metric K¹ (all pairs, sanity check of the harness): max |z| = {np.abs(allzK).max():.2f}, "
          f"Σz²/N = {np.mean(allzK ** 2):.2f}")
    cs = np.array([r[10] / r[11] for r in rows])
    print(f"  1/n leftover c/se_c over the off-diagonal cases: max |.| = {np.abs(cs).max():.2f}, Σ(.)²/N = {np.mean(cs ** 2):.2f}")
    print("  (z-scores of one case share networks across L, pairs and λ; cases and widths are independent)")
    print(f"elapsed {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
