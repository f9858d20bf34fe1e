#!/usr/bin/env python3
"""Monte-Carlo check of the order-1/n covariance of the empirical NTK for two inputs
(docs/derivations/ntk-covariance-two-inputs.md; Sources/FiniteWidth/TwoInputNTKVariance.swift).

    n_{L−1} Cov(Ĥ^(L)_{ii;p}, Ĥ^(L)_{ii;q}) = B_pq + O_{p,q} + O_{p,q̄} + O(1/n),   p, q ∈ {(11), (12), (22)},

q̄ = (dc) for q = (cd); B_pq = n Cov(ĥ_p, ĥ_q) (ĥ the NTK mean given the layer below), O_{ab,cd} =
n E[Ĥ_{jk;ab} Ĥ_{jk;cd}] (j ≠ k).  On a diagonal pair it is DiagonalNTK.swift's B + 2O.

What this script does:
  1. theory: a line-by-line mirror of TwoInputNTKVariance.swift (analytic K-gradients) and an
     independent reference (K-gradients by central differences of the Gaussian moments, generic
     tensor loops); checks that they agree, that the diagonal entries equal a port of DiagonalNTK.swift
     (per-layer hyperparameters, unequal widths), and that Σ → the diagonal value as the inputs merge;
     prints reference values for the Swift code;
  2. Monte Carlo (JAX, float32 networks, float64 statistics): depth-4 networks of hidden width n =
     32, 64, 128, n₀ = 3, M output components; the full M × M NTK of z^(4) (L = 4) and of the first M
     neurons of z^(3) (L = 3) by backpropagation, for three inputs x₀ (|x|²/n₀ = 1), x₁ (1.3, cos 0.3
     with x₀), x₂ (0.8, cos 0.9 with x₀), and (λ_b, λ_W) = (1, 1), (0.5, 2) (the NTK is linear in λ,
     so the same networks serve both).  Per network: the diagonal Ĥ_ii over the M components (the
     estimator of Cov averages over components; Cov = E[Ĥ_ii Ĥ_ii] − E[Ĥ_ii]², pooled over networks
     and components), and as diagnostics B from i ≠ j (Cov(Ĥ_ii, Ĥ_jj) = Cov(ĥ, ĥ)) and O, O-swapped
     from the off-diagonal Ĥ_jk.  Standard errors by jackknife over 64 groups of networks.
     y = n·Cov is compared with the theory Σ: z = (y − Σ)/se at each width; the two-width
     extrapolation 2·y(2n) − y(n) removes the 1/n² remainder (z_x), and a weighted fit y = T + c/n over
     the three widths gives T (z_T).

Run: taskset -c 0 bench/.venv/bin/python bench/nt/check_ntk_covariance.py [--quick | --theory-only]
     (one thread; full run ≈ 5 min)
"""
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 "
                      "--xla_force_host_platform_device_count=1")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

# Gaussian integrals and the analytic gradients of TwoInputNTK.gradients, from the NTK-mean check.
from check_ntk_two_inputs import ACTS, Pair, _D2, _gauss1, analytic_gradients, kderiv, make_inputs  # noqa: E402

PAIRS = [(0, 0), (0, 1), (1, 1)]
ONES = [2, 1, 0]                       # pair → number of factors of input 1


def pidx(a, b):
    return 0 if a == b == 0 else (2 if a == b == 1 else 1)


def moment_fn(act, k):
    """mom(i1, j1, i2, j2) = ⟨σ(u)^i1 σ′(u)^j1 σ(v)^i2 σ′(v)^j2⟩ at K = (k11, k12, k22); 1-D when one
    input does not appear (as the Swift code does)."""
    f, d = ACTS[act]
    pr = Pair(act, k)
    cache = {}

    def mom(i1, j1, i2, j2):
        key = (i1, j1, i2, j2)
        if key not in cache:
            if i2 + j2 == 0:
                cache[key] = _gauss1(lambda t: f(t) ** i1 * d(t) ** j1, k[0])
            elif i1 + j1 == 0:
                cache[key] = _gauss1(lambda t: f(t) ** i2 * d(t) ** j2, k[2])
            else:
                cache[key] = pr.E(pr.su ** i1 * pr.du ** j1 * pr.sv ** i2 * pr.dv ** j2)
        return cache[key]
    return mom


def deriv2_slope(act, k):
    """d⟨σ′²⟩_K/dK = ⟨z σ′ σ″⟩_K / K (0 for the rectified family)."""
    if act == "relu":
        return 0.0
    d = ACTS[act][1]
    return _gauss1(lambda t: t * d(t) * _D2[act](t), k) / k


# ----------------------------------------------------------------------------------------------
# 1a. Line-by-line mirror of TwoInputNTKVariance.swift.
# ----------------------------------------------------------------------------------------------


def swift_mirror(act, L, widths, cb, cw, lb, lw, gram):
    """widths = [n₀, n₁, …, n_{L−1}]; cb, cw, lb, lw per layer (index ℓ−1 for layer ℓ; λ_W effective);
    gram = x_a·x_b/n₀.  Returns per layer ℓ = 1 … L a dict: S (3 × 3, n_{ℓ−1}·Cov), B, F, O (2⁴), Th."""
    g = [gram[0, 0], gram[0, 1], gram[1, 1]]
    k = [cb[0] + cw[0] * x for x in g]
    theta = [lb[0] + lw[0] * x for x in g]
    v, f, b = np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((3, 3))
    o = np.zeros((2, 2, 2, 2))
    out = [dict(S=np.zeros((3, 3)), B=b.copy(), F=f.copy(), O=o.copy(), Th=np.array(theta), K=np.array(k))]
    for l in range(1, L):
        Cb, Cw, Lb, Lw = cb[l], cw[l], lb[l], lw[l]
        r = 0.0 if l == 1 else widths[l] / widths[l - 1]
        grad, gdd12 = analytic_gradients(act, k)
        gdd = np.array([[deriv2_slope(act, k[0]), 0, 0], gdd12, [0, 0, deriv2_slope(act, k[2])]])
        mom = moment_fn(act, k)
        ss = [mom(2, 0, 0, 0), mom(1, 0, 1, 0), mom(0, 0, 2, 0)]
        dd = [mom(0, 2, 0, 0), mom(0, 1, 0, 1), mom(0, 0, 0, 2)]
        delta = [[dd[0], dd[1]], [dd[1], dd[2]]]
        J = Cw * grad
        a = np.array([[Lw * grad[p][e] + Cw * theta[p] * gdd[p][e] for e in range(3)] for p in range(3)])
        c = [Cw * x for x in dd]

        def four(p, q):
            m = ONES[p] + ONES[q]
            return mom(m, 0, 4 - m, 0)

        def dfour(m):
            return mom(0, m, 0, 4 - m)

        def mixed(e, p):          # ⟨σσ_e σ′σ′_p⟩
            return mom(ONES[e], ONES[p], 2 - ONES[e], 2 - ONES[p])

        vN, fN, bN, oN = np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, 2, 2, 2))
        for p in range(3):
            for q in range(3):
                vN[p, q] = Cw ** 2 * (four(p, q) - ss[p] * ss[q]) + r * J[p] @ v @ J[q]
                fN[p, q] = (Cw * (Lw * (four(q, p) - ss[q] * ss[p]) + Cw * theta[p] * (mixed(q, p) - ss[q] * dd[p]))
                            + r * J[q] @ (v @ a[p] + c[p] * f[p]))          # F′_{p,e}, e = q
                cov1 = (Lw * Lw * (four(p, q) - ss[p] * ss[q])
                        + Lw * Cw * theta[q] * (mixed(p, q) - ss[p] * dd[q])
                        + Lw * Cw * theta[p] * (mixed(q, p) - ss[q] * dd[p])
                        + Cw * Cw * theta[p] * theta[q] * (dfour(ONES[p] + ONES[q]) - dd[p] * dd[q]))
                bN[p, q] = cov1 + r * (a[p] @ v @ a[q] + c[q] * a[p] @ f[q] + c[p] * a[q] @ f[p] + c[p] * c[q] * b[p, q])
        for i in range(16):
            ia, ib, ic, id_ = (i >> 3) & 1, (i >> 2) & 1, (i >> 1) & 1, i & 1
            m = 4 - (ia + ib + ic + id_)
            oN[ia, ib, ic, id_] = Cw ** 2 * (dfour(m) * theta[pidx(ia, ib)] * theta[pidx(ic, id_)]
                                             + r * delta[ia][ic] * delta[ib][id_] * o[ia, ib, ic, id_])
        theta = [Lb + Lw * ss[p] + Cw * dd[p] * theta[p] for p in range(3)]
        k = [Cb + Cw * x for x in ss]
        v, f, b, o = vN, fN, bN, oN
        S = np.array([[b[p, q] + o[PAIRS[p] + PAIRS[q]] + o[PAIRS[p] + PAIRS[q][::-1]] for q in range(3)] for p in range(3)])
        out.append(dict(S=S, B=b.copy(), F=f.copy(), O=o.copy(), Th=np.array(theta), K=np.array(k)))
    return out


# ----------------------------------------------------------------------------------------------
# 1b. Independent reference: K-gradients of all moments by central differences (kderiv), generic
#     tensors over inputs (O as E over the four-index products, B/F from the law of total covariance).
# ----------------------------------------------------------------------------------------------


def reference(act, L, widths, cb, cw, lb, lw, gram):
    f_, d_ = ACTS[act]
    G = np.array([[gram[0, 0], gram[0, 1]], [gram[0, 1], gram[1, 1]]])
    K = cb[0] + cw[0] * G
    Th = lb[0] + lw[0] * G                      # 2 × 2 over inputs
    V = np.zeros((2, 2, 2, 2))                  # n Cov(Ĝ_ab, Ĝ_cd)
    F = np.zeros((2, 2, 2, 2))                  # n Cov(ĥ_ab, Ĝ_cd)
    B = np.zeros((2, 2, 2, 2))                  # n Cov(ĥ_ab, ĥ_cd)
    O = np.zeros((2, 2, 2, 2))
    res = []
    for l in range(1, L):
        Cb, Cw, Lb, Lw = cb[l], cw[l], lb[l], lw[l]
        r = 0.0 if l == 1 else widths[l] / widths[l - 1]
        pr = Pair(act, (K[0, 0], K[0, 1], K[1, 1]))
        s, dv = [pr.su, pr.sv], [pr.du, pr.dv]
        E = pr.E

        def mfun(a11, a12, a22):
            m = Pair(act, (a11, a12, a22))
            return np.array([m.E(m.su * m.su), m.E(m.su * m.sv), m.E(m.sv * m.sv),
                             m.E(m.du * m.du), m.E(m.du * m.dv), m.E(m.dv * m.dv)])
        grad, _ = kderiv(mfun, (K[0, 0], K[0, 1], K[1, 1]))     # grad[e, moment]
        # ∂⟨f_ab⟩/∂K_cd as a 2⁴ tensor (K_12 and K_21 each carrying half of the pair derivative)

        def dT(col0):
            T = np.zeros((2, 2, 2, 2))
            for (a, b_) in [(0, 0), (0, 1), (1, 0), (1, 1)]:
                mi = col0 + pidx(a, b_)
                for (c, d) in [(0, 0), (0, 1), (1, 0), (1, 1)]:
                    T[a, b_, c, d] = grad[pidx(c, d), mi] * (0.5 if c != d else 1.0)
            return T
        dS, dD = dT(0), dT(3)
        SS = np.array([[E(s[a] * s[b_]) for b_ in range(2)] for a in range(2)])
        DD = np.array([[E(dv[a] * dv[b_]) for b_ in range(2)] for a in range(2)])
        idx = [(a, b_) for a in range(2) for b_ in range(2)]
        Vn, Fn, Bn, On = (np.zeros((2, 2, 2, 2)) for _ in range(4))
        x = {}   # single-neuron x_ab = λ_W σσ + C_W Θ σ′σ′ (arrays at nodes), y_cd = C_W σσ
        for (a, b_) in idx:
            x[a, b_] = Lw * s[a] * s[b_] + Cw * Th[a, b_] * dv[a] * dv[b_]
        # linear response of E[x_ab | ℓ−1] to ΔĜ (tensor) and Δĥ
        A = np.einsum("ab,abcd->abcd", np.ones((2, 2)), Lw * dS) + np.einsum("ab,abcd->abcd", Cw * Th, dD)
        cfac = Cw * DD
        Jt = Cw * dS

        def cc(t1, t2):       # contraction over the summed pair index (cd) of two tensors' last/first pairs
            return np.einsum("abcd,cdef->abef", t1, t2)
        for (a, b_) in idx:
            for (c, d) in idx:
                ys, yc = Cw * s[a] * s[b_], Cw * s[c] * s[d]
                Vn[a, b_, c, d] = E(ys * yc) - E(ys) * E(yc)
                Fn[a, b_, c, d] = E(x[a, b_] * yc) - E(x[a, b_]) * E(yc)
                Bn[a, b_, c, d] = E(x[a, b_] * x[c, d]) - E(x[a, b_]) * E(x[c, d])
                On[a, b_, c, d] = Cw ** 2 * (E(dv[a] * dv[b_] * dv[c] * dv[d]) * Th[a, b_] * Th[c, d]
                                             + r * DD[a, c] * DD[b_, d] * O[a, b_, c, d])
        if r > 0:
            JVJ = cc(cc(Jt, V), np.transpose(Jt, (2, 3, 0, 1)))
            AV = cc(A, V)                                                          # [ab][cd]
            Vn += r * JVJ
            # F′_{ab,cd} = Cov(E[x_ab], E[y_cd]) = A V Jᵀ + c_ab F_ab,· Jᵀ
            Fn += r * (cc(AV, np.transpose(Jt, (2, 3, 0, 1)))
                       + np.einsum("ab,abcd->abcd", cfac, cc(F, np.transpose(Jt, (2, 3, 0, 1)))))
            AFt = cc(A, np.transpose(F, (2, 3, 0, 1)))          # Σ_e A_{ab,e} F_{cd,e}
            Bn += r * (cc(AV, np.transpose(A, (2, 3, 0, 1))) + np.einsum("cd,abcd->abcd", cfac, AFt)
                       + np.einsum("ab,abcd->abcd", cfac, np.transpose(AFt, (2, 3, 0, 1)))
                       + np.einsum("ab,cd,abcd->abcd", cfac, cfac, B))
        Th = Lb + Lw * SS + Cw * DD * Th
        K = Cb + Cw * SS
        V, F, B, O = Vn, Fn, Bn, On
        S = np.array([[B[PAIRS[p] + PAIRS[q]] + O[PAIRS[p] + PAIRS[q]] + O[PAIRS[p] + PAIRS[q][::-1]]
                       for q in range(3)] for p in range(3)])
        res.append(S)
    return res


# ----------------------------------------------------------------------------------------------
# 1c. Port of DiagonalFiniteWidth + DiagonalNTKFiniteWidth (B, O; single input).
# ----------------------------------------------------------------------------------------------


def _derivs1(fn, k):
    def dd(h):
        fp, fm, f0 = fn(k + h), fn(k - h), fn(k)
        return (fp - fm) / (2 * h), (fp - 2 * f0 + fm) / (h * h)
    (a1, a2), (b1, b2) = dd(1e-2 * k), dd(0.5e-2 * k)
    return (4 * b1 - a1) / 3, (4 * b2 - a2) / 3


def diagonal_port(act, L, widths, cb, cw, lb, lw, q0):
    """DiagonalNTK.swift's (B + 2O) per layer (units of 1/n_{ℓ−1})."""
    f, d = ACTS[act]
    E = _gauss1
    k, v = cb[0] + cw[0] * q0, 0.0
    ks, vs = [k], [0.0]
    for l in range(1, L):
        r = 0 if l == 1 else widths[l] / widths[l - 1]
        s2, s4 = E(lambda t: f(t) ** 2, k), E(lambda t: f(t) ** 4, k)
        chi = cw[l] * _derivs1(lambda kk: E(lambda t: f(t) ** 2, kk), k)[0]
        v = cw[l] ** 2 * (s4 - s2 * s2) + r * chi * chi * v
        k = cb[l] + cw[l] * s2
        ks.append(k), vs.append(v)
    theta, fc, bb, o = lb[0] + lw[0] * q0, 0.0, 0.0, 0.0
    out = [0.0]
    for l in range(1, L):
        k, v = ks[l - 1], vs[l - 1]
        r = 0 if l == 1 else widths[l] / widths[l - 1]
        s2, s4 = E(lambda t: f(t) ** 2, k), E(lambda t: f(t) ** 4, k)
        d2, d4 = E(lambda t: d(t) ** 2, k), E(lambda t: d(t) ** 4, k)
        s2d2 = E(lambda t: f(t) ** 2 * d(t) ** 2, k)
        ds2 = _derivs1(lambda kk: E(lambda t: f(t) ** 2, kk), k)[0]
        dd2 = _derivs1(lambda kk: E(lambda t: d(t) ** 2, kk), k)[0]
        a, bch, c = lw[l] * ds2 + cw[l] * theta * dd2, cw[l] * ds2, cw[l] * d2
        varX = (lw[l] ** 2 * (s4 - s2 * s2) + 2 * lw[l] * cw[l] * theta * (s2d2 - s2 * d2)
                + cw[l] ** 2 * theta ** 2 * (d4 - d2 * d2))
        covXY = cw[l] * (lw[l] * (s4 - s2 * s2) + cw[l] * theta * (s2d2 - s2 * d2))
        fN = covXY + r * bch * (a * v + c * fc)
        bN = varX + r * (a * a * v + 2 * a * c * fc + c * c * bb)
        oN = cw[l] ** 2 * d4 * theta ** 2 + r * c * c * o
        theta = lb[l] + lw[l] * s2 + c * theta
        fc, bb, o = fN, bN, oN
        out.append(bb + 2 * o)
    return out
