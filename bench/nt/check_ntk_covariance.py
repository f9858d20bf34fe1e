#!/usr/bin/env python3
"""Monte-Carlo check of the order-1/n covariance of the empirical NTK for two inputs
(docs/derivations/ntk-covariance-two-inputs.md; Sources/FiniteWidth/TwoInputNTKVariance.swift).

    n_{L−1} Cov(Ĥ^(L)_{ii;p}, Ĥ^(L)_{ii;q}) = B_pq + O_{p,q} + O_{p,q̄} + O(1/n),   p, q ∈ {(11), (12), (22)},

q̄ = (dc) for q = (cd); B_pq = n Cov(ĥ_p, ĥ_q) (ĥ the NTK mean given the layer below), O_{ab,cd} =
n E[Ĥ_{jk;ab} Ĥ_{jk;cd}] (j ≠ k).  On a diagonal pair it is DiagonalNTK.swift's B + 2O.

What this script does:
  1. theory: a line-by-line mirror of TwoInputNTKVariance.swift (analytic K-gradients) and a second
     implementation of the same recursions (K-gradients by central differences of the Gaussian moments,
     tensors over ordered input pairs, B and F from the law of total covariance written out); checks that they agree, that the diagonal entries equal a port of DiagonalNTK.swift
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
     [--save FILE.npz | --load FILE.npz] (the group sums of the Monte Carlo); one thread, full run ≈ 7.5 min
     (440 s with another job on the second core), --quick ≈ 1.5 min
"""
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 "
                      "--xla_force_host_platform_device_count=1")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

sys.dont_write_bytecode = True             # no __pycache__ next to the scripts
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
# 1b. Second implementation (same derivation, different bookkeeping): K-gradients of all moments by
#     central differences (kderiv), 2⁴ tensors over ordered input pairs, the law of total covariance
#     written out for B and F.
# ----------------------------------------------------------------------------------------------


def reference(act, L, widths, cb, cw, lb, lw, gram):
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


# ----------------------------------------------------------------------------------------------
# 2. Monte Carlo (JAX, float32 networks; statistics in float64).
# ----------------------------------------------------------------------------------------------

MOUT = 32                                    # output components (M) per network
PAIRS_MC = [(0, 1), (0, 2), (0, 0), (1, 1), (2, 2)]
TRIPLETS = {0.3: [2, 0, 3], 0.9: [2, 1, 4]}  # PAIRS_MC indices of (11), (12), (22) for x₀ with x₁, x₂
LAMS = [(1.0, 1.0), (0.5, 2.0)]
CASES = [("tanh", 0.0, 1.0), ("relu", 0.0, 2.0), ("relu", 0.1, 2.0), ("erf", 0.0, 1.0)]
NGROUPS = 64
NP = len(PAIRS_MC)
NSUM = NP + 4 * NP * NP                      # u, w, b, o, o-swapped


def make_batch_fn(n, X):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", False)
    n0, m = X.shape[1], MOUT
    Xj = jnp.asarray(X, jnp.float32)
    ia = jnp.array([p[0] for p in PAIRS_MC])
    ib = jnp.array([p[1] for p in PAIRS_MC])
    eye = jnp.eye(m, dtype=jnp.float32)
    sig = {"tanh": jnp.tanh, "erf": jax.scipy.special.erf, "relu": jax.nn.relu}
    dsig = {"tanh": lambda t: 1 - jnp.tanh(t) ** 2, "erf": lambda t: 2 / np.sqrt(np.pi) * jnp.exp(-t * t),
            "relu": lambda t: (t > 0).astype(t.dtype)}

    def one_net(eps, th, act, cb, cw):
        W1, b1, W2, b2, W3, b3, W4, b4 = eps
        sg, dsg = sig[act], dsig[act]
        sw0, sw, sb = np.sqrt(cw / n0), np.sqrt(cw / n), np.sqrt(cb)
        z1 = sw0 * Xj @ W1.T + sb * b1                            # (inputs, n)
        a1 = sg(z1)
        z2 = sw * a1 @ W2.T + sb * b2
        a2 = sg(z2)
        z3 = sw * a2 @ W3.T + sb * b3
        a3 = sg(z3)
        acts, widths = [Xj, a1, a2, a3], [n0, n, n, n]
        d1, d2, d3 = dsg(z1), dsg(z2), dsg(z3)
        # backward errors ∂z^(L)_i/∂z^(ℓ)_k, (inputs, M, n_ℓ)
        J3 = sw * W4[None] * d3[:, None, :]
        J2 = sw * jnp.einsum("aik,kj->aij", J3, W3) * d2[:, None, :]
        J1 = sw * jnp.einsum("aik,kj->aij", J2, W2) * d1[:, None, :]
        G2 = sw * W3[None, :m, :] * d2[:, None, :]                 # sub-network: z^(3)_{i<M}
        G1 = sw * jnp.einsum("aik,kj->aij", G2, W2) * d1[:, None, :]

        def gram(A, w):
            return (A[ia] * A[ib]).sum(-1) / w                    # (pairs,)

        out = []
        for ir, (Js, last) in enumerate((([G1, G2], 3), ([J1, J2, J3], 4))):
            hb = jnp.broadcast_to(eye, (NP, m, m))                 # top layer: δ_ij [λ_b + λ_W a·a/n]
            hw = gram(acts[last - 1], widths[last - 1])[:, None, None] * eye
            for l, Jl in enumerate(Js, start=1):
                jj = jnp.einsum("pik,pjk->pij", Jl[ia], Jl[ib])    # (pairs, M, M)
                hb = hb + jj
                hw = hw + jj * gram(acts[l - 1], widths[l - 1])[:, None, None]
            for il, (lb_, lw_) in enumerate(LAMS):
                H = lb_ * hb + lw_ * hw
                dg = jnp.diagonal(H, axis1=1, axis2=2) - th[ir, il][:, None]   # centred diagonal (pairs, M)
                u = dg.mean(-1)
                w = dg @ dg.T / m
                su = dg.sum(-1)
                bq = (su[:, None] * su[None, :] - m * w) / (m * (m - 1))
                Ho = H * (1 - eye)
                o = jnp.einsum("pij,qij->pq", Ho, Ho) / (m * (m - 1))
                osw = jnp.einsum("pij,qji->pq", Ho, Ho) / (m * (m - 1))
                out.append(jnp.concatenate([u, w.ravel(), bq.ravel(), o.ravel(), osw.ravel()]))
        return jnp.stack(out)                                      # (4 = readout × λ, NSUM)

    def batch(key, th_all, B):
        outs = []
        for ic, (act, cb, cw) in enumerate(CASES):
            ks = jax.random.split(jax.random.fold_in(key, ic), 8)  # independent stream per case
            shapes = [(B, n, n0), (B, n), (B, n, n), (B, n), (B, n, n), (B, n), (B, m, n), (B, m)]
            eps = [jax.random.normal(k, s, jnp.float32) for k, s in zip(ks, shapes)]
            outs.append(jax.vmap(lambda e: one_net(e, th_all[ic], act, cb, cw))(eps))
        return jnp.stack(outs, 1)                                  # (B, cases, 4, NSUM)

    return jax.jit(batch, static_argnums=2)


def run_mc(n, X, theta, N, B, seed):
    """Group sums (NGROUPS, cases, 4, NSUM) of the per-network summaries, and the number of networks."""
    import jax
    assert B % NGROUPS == 0
    fn = make_batch_fn(n, X)
    key = jax.random.PRNGKey(seed)
    sums = np.zeros((NGROUPS, len(CASES), 4, NSUM))
    done = 0
    th = np.asarray(theta, np.float32)
    while done < N:
        key, sub = jax.random.split(key)
        vals = np.asarray(fn(sub, th, B), np.float64)
        sums += vals.reshape(B // NGROUPS, NGROUPS, *vals.shape[1:]).sum(0)
        done += B
    return sums, done


def jackknife(sums, count, stat):
    """stat(mean summary) and its jackknife standard error over the groups."""
    total = sums.sum(0)
    full = stat(total / count)
    per = count / sums.shape[0]
    loo = np.array([stat((total - s) / (count - per)) for s in sums])
    g = sums.shape[0]
    se = np.sqrt((g - 1) / g * ((loo - loo.mean(0)) ** 2).sum(0))
    return full, se


def split(mean):
    """Summary vector → (u, w, b, o, o-swapped) with u over pairs and the rest pair × pair."""
    u = mean[..., :NP]
    rest = [mean[..., NP + i * NP * NP: NP + (i + 1) * NP * NP].reshape(mean.shape[:-1] + (NP, NP)) for i in range(4)]
    return (u, *rest)


# ----------------------------------------------------------------------------------------------


def theory_tables(X):
    """Per case, λ, cos: the mirror's per-layer output for inputs (x₀, x₁) (cos 0.3) and (x₀, x₂) (cos 0.9)."""
    G = X @ X.T / X.shape[1]
    tabs = {}
    for ic, (act, cb, cw) in enumerate(CASES):
        for il, (lb, lw) in enumerate(LAMS):
            for cosv, other in ((0.3, 1), (0.9, 2)):
                g2 = G[np.ix_([0, other], [0, other])]
                tabs[ic, il, cosv] = swift_mirror(act, 4, [3, 64, 64, 64], [cb] * 4, [cw] * 4, [lb] * 4, [lw] * 4, g2)
    return tabs


def centring(tabs):
    """Θ per case, readout (L = 3, 4), λ and PAIRS_MC pair (the MC centres Ĥ_ii on it)."""
    th = np.zeros((len(CASES), 2, 2, NP))
    for ic in range(len(CASES)):
        for ir, L in enumerate((3, 4)):
            for il in range(2):
                a, b = tabs[ic, il, 0.3][L - 1]["Th"], tabs[ic, il, 0.9][L - 1]["Th"]
                th[ic, ir, il] = [a[1], b[1], a[0], a[2], b[2]]
    return th


def mc_stat(n):
    """Mean summary (cases, 4, NSUM) → (cases, 4, cos, quantity, 3, 3): n·Cov, n·B, n·O, n·O-swapped."""
    trips = [TRIPLETS[0.3], TRIPLETS[0.9]]

    def stat(mean):
        u, w, b, o, osw = split(mean)
        res = []
        for t in trips:
            ut = u[..., t]
            uu = ut[..., :, None] * ut[..., None, :]
            sub = lambda a: a[..., t, :][..., :, t]  # noqa: E731
            res.append(np.stack([n * (sub(w) - uu), n * (sub(b) - uu), n * sub(o), n * sub(osw)], -3))
        return np.stack(res, -4)
    return stat


def theory_quantities(out_L):
    S, B, O = out_L["S"], out_L["B"], out_L["O"]
    Oq = np.array([[O[PAIRS[p] + PAIRS[q]] for q in range(3)] for p in range(3)])
    Os = np.array([[O[PAIRS[p] + PAIRS[q][::-1]] for q in range(3)] for p in range(3)])
    return np.stack([S, B, Oq, Os])


def main():
    quick = "--quick" in sys.argv
    t0 = time.time()
    np.set_printoptions(precision=6, suppress=True, linewidth=160)
    print("Two-input NTK covariance at order 1/n (docs/derivations/ntk-covariance-two-inputs.md)\n")

    # 1. Mirror vs reference vs DiagonalNTK port.
    print("1. Swift mirror vs a second implementation (finite-difference gradients, tensors over ordered pairs) vs DiagonalNTK port;\n"
          "   depth 5, per-layer C_b, C_W, λ, widths [3, 64, 32, 96, 64], gram [[1, 0.4], [0.4, 1.3]]")
    Ld, wd = 5, [3, 64, 32, 96, 64]
    lbd, lwd, cbd = [0.5, 1.0, 0.3, 2.0, 1.0], [2.0, 1.0, 0.7, 1.5, 1.0], [0.1, 0.0, 0.2, 0.05, 0.1]
    gram = np.array([[1.0, 0.4], [0.4, 1.3]])
    for act in ("tanh", "relu", "erf"):
        cwd = [2.0, 1.8, 2.2, 2.0, 2.0] if act == "relu" else [1.0, 2.0, 1.5, 1.2, 0.9]
        mir = swift_mirror(act, Ld, wd, cbd, cwd, lbd, lwd, gram)
        ref = reference(act, Ld, wd, cbd, cwd, lbd, lwd, gram)
        d1 = diagonal_port(act, Ld, wd, cbd, cwd, lbd, lwd, gram[0, 0])
        d2 = diagonal_port(act, Ld, wd, cbd, cwd, lbd, lwd, gram[1, 1])
        wr = max(np.abs(ref[l - 1] - mir[l]["S"]).max() / np.abs(mir[l]["S"]).max() for l in range(1, Ld))
        wdg = max(max(abs(mir[l]["S"][0, 0] - d1[l]) / d1[l], abs(mir[l]["S"][2, 2] - d2[l]) / d2[l]) for l in range(1, Ld))
        print(f"   {act:5s} max rel |mirror − second| = {wr:.1e};  max rel |Σ₁₁ − (B + 2O)|, |Σ₂₂ − (B + 2O)| = {wdg:.1e};"
              f"  Σ^(5) = {np.round(mir[-1]['S'][np.triu_indices(3)], 4).tolist()}")

    # Merging inputs: Σ → (B + 2O) of the single input in every entry.
    print("\n   Merging inputs (|x|²/n₀ = 1, L = 4, C_b = 0.1, λ = 1): Σ₁₂,₁₂ and Σ₁₁,₂₂ at cos = 0.9, 0.99, 0.999, 0.9999 "
          "vs the single-input B + 2O")
    for act, cwv in (("tanh", 1.0), ("erf", 1.0), ("relu", 2.0)):
        args = (act, 4, [3, 64, 64, 64], [0.1] * 4, [cwv] * 4, [1.0] * 4, [1.0] * 4)
        vals = [swift_mirror(*args, np.array([[1.0, c], [c, 1.0]]))[3]["S"] for c in (0.9, 0.99, 0.999, 0.9999)]
        print(f"   {act:5s} Σ₁₂,₁₂ = {', '.join(f'{s[1, 1]:.5f}' for s in vals)};  Σ₁₁,₂₂ = "
              f"{', '.join(f'{s[0, 2]:.5f}' for s in vals)};  B + 2O = {diagonal_port(*args, 1.0)[3]:.5f}")

    print("\n   Reference values for TwoInputNTKVariance.compute, x = [[1, 0], [0.3, 0.8]] (n₀ = 2), ntk parameterization:")
    xr = np.array([[1.0, 0.0], [0.3, 0.8]])
    gr = xr @ xr.T / 2
    refs = [("relu", 4, [2, 64, 64, 64], [0.1] * 4, [2.0] * 4, [1.0] * 4, [1.0] * 4),
            ("tanh", 4, [2, 64, 64, 64], [0.0] * 4, [1.0] * 4, [0.5] * 4, [2.0] * 4),
            ("erf", 3, [2, 64, 64], [0.0] * 3, [1.0] * 3, [1.0] * 3, [1.0] * 3),
            ("tanh", 4, [2, 64, 32, 96], [0.1, 0.0, 0.2, 0.05], [1.0, 2.0, 1.5, 1.2], [0.5, 1.0, 0.3, 2.0],
             [2.0, 1.0, 0.7, 1.5])]
    for act, L, wd_, cb_, cw_, lb_, lw_ in refs:
        S = swift_mirror(act, L, wd_, cb_, cw_, lb_, lw_, gr)[-1]["S"]
        d11 = diagonal_port(act, L, wd_, cb_, cw_, lb_, lw_, gr[0, 0])[-1]
        d22 = diagonal_port(act, L, wd_, cb_, cw_, lb_, lw_, gr[1, 1])[-1]
        print(f"   {act} L={L} widths={wd_[1:]} cb={cb_} cw={cw_} λb={lb_} λW={lw_}:")
        for row in S:
            print("      [" + ", ".join(f"{v:.10f}" for v in row) + "]")
        print(f"      DiagonalNTK port (B + 2O): input 1 {d11:.10f}, input 2 {d22:.10f}")
    print(f"   [{time.time() - t0:.0f} s]")
    if "--theory-only" in sys.argv:
        return

    # 2. Monte Carlo.
    X = make_inputs()
    G = X @ X.T / X.shape[1]
    tabs = theory_tables(X)
    theta = centring(tabs)
    runs = [(32, 32768, 512), (64, 32768, 256), (128, 24576, 256)]
    if quick:
        runs = [(n, N // 8, B) for n, N, B in runs]
    print(f"\n2. Monte Carlo: depth-4 networks, hidden width n, n₀ = 3, M = {MOUT} output components; inputs with "
          f"x·x/n₀ = {np.round(G, 4).tolist()}")
    mc = {}
    saved = dict(np.load(sys.argv[sys.argv.index("--load") + 1])) if "--load" in sys.argv else {}
    for n, N, B in runs:
        t1 = time.time()
        if f"sums{n}" in saved:
            sums, done = saved[f"sums{n}"], int(saved[f"done{n}"])
        else:
            sums, done = run_mc(n, X, theta, N, B, seed=2000 + n)
            saved[f"sums{n}"], saved[f"done{n}"] = sums, done
        mc[n] = jackknife(sums, done, mc_stat(n))
        print(f"   n = {n}: {done} networks per case, {time.time() - t1:.0f} s")
        sys.stdout.flush()
    if "--save" in sys.argv:
        np.savez(sys.argv[sys.argv.index("--save") + 1], **saved)
    widths = [n for n, _, _ in runs]
    names = ["11,11", "11,12", "11,22", "12,12", "12,22", "22,22"]
    iu = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    print("\ny = n·Cov(Ĥ_ii;p, Ĥ_ii;q) (MC ± jackknife se), Σ = theory, z = (y − Σ)/se; x = 2y(2n) − y(n) for n = 64 "
          "(removes the 1/n² remainder), z_x;\nT = intercept of the weighted fit y = T + c/n over the three widths, z_T.")
    hdr = (f"{'case':<16}{'L':>2} {'cos':>4} {'λb,λW':>7} {'pq':>6} {'Σ':>10} | "
           + " | ".join(f"n={n:<3} {'y ± se':>18} {'z':>5}" for n in widths) + f" | {'x ± se':>18} {'z_x':>5} | {'z_T':>5}")
    print(hdr)
    print("-" * len(hdr))
    inv = 1.0 / np.array(widths, float)
    A = np.stack([np.ones(len(widths)), inv], 1)

    def assess(th, ys, ses):
        """z per width, the extrapolation 2y(2n) − y(n) over the two largest widths and the fit T + c/n."""
        zs = (ys - th) / ses
        x, sx = 2 * ys[-1] - ys[-2], np.sqrt(4 * ses[-1] ** 2 + ses[-2] ** 2)
        wgt = 1 / ses ** 2
        cov = np.linalg.inv(A.T @ (A * wgt[:, None]))
        T = (cov @ (A.T @ (wgt * ys)))[0]
        return zs, x, sx, (x - th) / sx, (T - th) / np.sqrt(cov[0, 0])

    qnames = ["n·Cov = B + O + Ō", "B (from Cov(Ĥ_ii, Ĥ_jj), i ≠ j)", "O_{p,q} (off-diagonal Ĥ_jk)", "O_{p,q̄} (Ĥ_jk Ĥ_kj)"]
    stats = {iq: dict(z=[], zx=[], zt=[], rel=[]) for iq in range(4)}
    wrong = ([], [])
    for ic, (act, cb, cw) in enumerate(CASES):
        name = f"{act} Cb={cb:g} Cw={cw:g}"
        for ir, L in enumerate((3, 4)):
            for ico, cosv in enumerate((0.3, 0.9)):
                for il, (lb, lw) in enumerate(LAMS):
                    tq = theory_quantities(tabs[ic, il, cosv][L - 1])
                    for iq in range(4):
                        for (p, q), nm in zip(iu, names):
                            th = tq[iq][p, q]
                            ys = np.array([mc[n][0][ic, 2 * ir + il, ico, iq][p, q] for n in widths])
                            ses = np.array([mc[n][1][ic, 2 * ir + il, ico, iq][p, q] for n in widths])
                            zs, x, sx, zx, zt = assess(th, ys, ses)
                            if not (ico == 1 and (p, q) == (0, 0)):   # (11,11): one estimate for both cos
                                st = stats[iq]
                                st["z"].append(zs), st["zx"].append(zx), st["zt"].append(zt)
                                st["rel"].append(np.abs(ys - th) / abs(th))
                            if (p, q) == (1, 1) and iq in (0, 3):  # the two Wick pairings differ for (12),(12)
                                alt = tq[1][1, 1] + 2 * tq[2][1, 1] if iq == 0 else tq[2][1, 1]
                                wrong[iq // 3].append(((x - alt) / sx, (alt - th) / th))
                            if iq > 0:
                                continue
                            cells = " | ".join(f"{'':5} {y:+9.3f} ± {s:6.3f} {z:+5.1f}" for y, s, z in zip(ys, ses, zs))
                            print(f"{name:<16}{L:>2} {cosv:4.1f} {lb:g},{lw:g}".ljust(31) + f" {nm:>6} {th:10.4f} | {cells} | "
                                  f"{x:+9.3f} ± {sx:6.3f} {zx:+5.1f} | {zt:+5.1f}")
            sys.stdout.flush()
    print("\nSummary (z-scores of one case share networks across L, cos, λ and entries; cases and widths are independent)")
    for iq in range(4):
        st = {k: np.array(v) for k, v in stats[iq].items()}
        print(f"  {qnames[iq]}: {st['z'].shape[0]} entries")
        for i, n in enumerate(widths):
            zn = st["z"][:, i]
            print(f"    n = {n:3d}: mean z = {zn.mean():+.2f}, Σz²/N = {np.mean(zn ** 2):5.2f}, max |z| = {np.abs(zn).max():.2f};"
                  f"  median |y − theory|/theory = {np.median(st['rel'][:, i]):.4f}")
        print(f"    extrapolation 2y({widths[-1]}) − y({widths[-2]}): mean z = {st['zx'].mean():+.2f}, Σz²/N = "
              f"{np.mean(st['zx'] ** 2):.2f}, max |z| = {np.abs(st['zx']).max():.2f};  fit T + c/n: mean z = "
              f"{st['zt'].mean():+.2f}, Σz²/N = {np.mean(st['zt'] ** 2):.2f}, max |z| = {np.abs(st['zt']).max():.2f}")
    for ia_, nm in enumerate(("Σ₁₂,₁₂ against B + 2·O₁₂,₁₂ (one Wick pairing twice)",
                              "measured O₁₂,₂₁ against the O₁₂,₁₂ recursion (Δ₁₁Δ₂₂ instead of Δ₁₂²)")):
        w_ = np.array(wrong[ia_])
        print(f"  wrong hypothesis, {nm}: median relative change {np.median(np.abs(w_[:, 1])):.3f}; extrapolated MC: "
              f"mean z = {w_[:, 0].mean():+.2f}, Σz²/N = {np.mean(w_[:, 0] ** 2):.1f}, max |z| = {np.abs(w_[:, 0]).max():.1f}")
    # The two O's that differ: O_{12,12} vs O_{12,21}, and B vs O at the largest width, for a few cases.
    print(f"\n  O_(12),(12) vs O_(12),(21) (theory | n·MC at n = {widths[-1]} ± se), λ = (1, 1):")
    for ic, (act, cb, cw) in enumerate(CASES):
        for ir, L in enumerate((3, 4)):
            for ico, cosv in enumerate((0.3, 0.9)):
                tq = theory_quantities(tabs[ic, 0, cosv][L - 1])
                mm, ss_ = mc[widths[-1]][0][ic, 2 * ir, ico], mc[widths[-1]][1][ic, 2 * ir, ico]
                print(f"    {act} Cb={cb:g} L={L} cos={cosv}: O₁₂,₁₂ = {tq[2][1, 1]:8.4f} | {mm[2][1, 1]:8.4f} ± {ss_[2][1, 1]:.4f};"
                      f"  O₁₂,₂₁ = {tq[3][1, 1]:8.4f} | {mm[3][1, 1]:8.4f} ± {ss_[3][1, 1]:.4f};  B₁₂,₁₂ = {tq[1][1, 1]:8.4f} | "
                      f"{mm[1][1, 1]:8.4f} ± {ss_[1][1, 1]:.4f}")
    print(f"elapsed {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
