#!/usr/bin/env python3
"""Two-input dNTK / ddNTK statistics P, Q, R, S, T, U (docs/derivations/dntk-two-inputs.md;
Sources/FiniteWidth/TwoInputDifferentialNTK.swift): the recursion, its consistency checks and an
exact-autodiff Monte Carlo.

Sample indices δ ∈ {1, 2} are written 0, 1 here. With n = n_{ℓ−1}:

    E[dĤ_{i0i1i2;δ0δ1δ2} z_{i3;δ3}] = [δ_{i0i3}δ_{i1i2} P_{δ0δ1δ2δ3} + δ_{i0i1}δ_{i2i3} Q_{δ0δ1δ2δ3}
                                        + δ_{i0i2}δ_{i1i3} Q_{δ0δ2δ1δ3}] / n
    E[ddIĤ_{i0i1i2i3;δ0δ1δ2δ3}]      = [δ_{i0i1}δ_{i2i3} R_{δ0δ1δ2δ3} + δ_{i0i2}δ_{i1i3} R_{δ0δ2δ1δ3}
                                        + δ_{i0i3}δ_{i1i2} R_{δ0δ3δ1δ2}] / n
    E[ddIIĤ_{i1i2i3i4;δ1δ2δ3δ4}]     = [δ_{i1i2}δ_{i3i4} S_{δ1δ2δ3δ4} + δ_{i1i3}δ_{i2i4} T_{δ1δ2δ3δ4}
                                        + δ_{i1i4}δ_{i2i3} U_{δ1δ2δ3δ4}] / n

What the script does:
  1. theory(): the recursion (eqs. (E1)–(E10) of the derivation) with 2-D Gaussian integrals by polar
     Gauss–Legendre quadrature split on the rays u = 0, v = 0 (exact for the rectified family), Stein
     derivatives ⟨∂_γ F⟩ = Σ_β (K⁻¹)_γβ ⟨z_β F⟩;
  2. checks: the all-equal components (δ's all 1, or all 2) equal the single-input recursion of
     check_dntk.py for that input; the symmetries; continuity as the inputs merge; the auxiliaries
     Π_{12;γδ} against check_ntk_two_inputs.py's 𝒫; prints reference values for the Swift code;
  3. Monte Carlo: M networks per case (two inputs, cos ≈ 0.3 and 0.9), exact derivatives by nested
     jax.jvp / jax.jacrev, the statistics of the first NOUT neurons of layer ℓ = 2, 3, 4 (sub-networks),
     widths n and 2n; z = (MC − theory)/se per width and for the extrapolation 2·MC(2n) − MC(n).

Run: bench/.venv/bin/python bench/nt/check_dntk_two_inputs.py [--theory-only | --quick | --gelu | --gelu-only | --recheck-erf]
     (one thread; full run ≈ 10 min on the shared 2-core machine under load, --theory-only ≈ 15 s,
     --recheck-erf ≈ 1 min)
"""
import itertools
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
from scipy import special  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

NOUT = 4
IDX = list(itertools.product(range(2), repeat=4))

# ----------------------------------------------------------------------------------------------
# Activations: σ, σ′, σ″, σ‴ (pathwise: σ″ = σ‴ = 0 for ReLU, as automatic differentiation has it).
# ----------------------------------------------------------------------------------------------


def _phi(t):
    return np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi)


ACTS = {
    "tanh": (np.tanh, lambda t: 1 - np.tanh(t) ** 2, lambda t: -2 * np.tanh(t) * (1 - np.tanh(t) ** 2),
             lambda t: (1 - np.tanh(t) ** 2) * (6 * np.tanh(t) ** 2 - 2)),
    "relu": (lambda t: np.maximum(t, 0.0), lambda t: (t > 0).astype(float), lambda t: 0.0 * t, lambda t: 0.0 * t),
    "erf": (special.erf, lambda t: 2 / np.sqrt(np.pi) * np.exp(-t * t),
            lambda t: -4 / np.sqrt(np.pi) * t * np.exp(-t * t),
            lambda t: (4 * t * t - 2) * 2 / np.sqrt(np.pi) * np.exp(-t * t)),
    "gelu": (lambda t: t * special.ndtr(t), lambda t: special.ndtr(t) + t * _phi(t), lambda t: (2 - t * t) * _phi(t),
             lambda t: (t ** 3 - 4 * t) * _phi(t)),
}

_GLA = np.polynomial.legendre.leggauss(48)
_GLR = np.polynomial.legendre.leggauss(32)
_RPAN = [0.0, 0.7, 1.5, 2.5, 3.6, 5.0, 6.6, 8.5, 11.0]


def nodes(K):
    """Nodes (u, v) and weights for E[F(u, v)], (u, v) ~ N(0, K) (2 × 2): polar coordinates in the
    whitened plane, angular panels split on the rays u = 0 and v = 0, Gauss–Legendre in angle and radius."""
    k11, k12, k22 = K[0, 0], K[0, 1], K[1, 1]
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


class Layer:
    """σ^(d)(z_α) at the quadrature nodes of N(0, K); E(F) = ⟨F⟩, D(F) = (⟨∂₀F⟩, ⟨∂₁F⟩) (Stein)."""

    def __init__(self, act, K):
        u, v, self.w = nodes(K)
        self.z = [u, v]
        fs = ACTS[act]
        self.s = [[f(u) for u in self.z] for f in fs]   # s[d][α]
        self.Kinv = np.linalg.inv(K)

    def E(self, F):
        return float(np.dot(self.w, F))

    def D(self, F):
        return self.Kinv @ np.array([self.E(self.z[0] * F), self.E(self.z[1] * F)])


# ----------------------------------------------------------------------------------------------
# The recursion (docs/derivations/dntk-two-inputs.md, (E1)–(E10)).
# ----------------------------------------------------------------------------------------------


def theory(act, widths, cb, cw, lb, lw, gram):
    """widths = [n₀, n₁, …, n_L]; cb, cw, lb, lw per layer (index ℓ−1 for layer ℓ; λ_W the effective
    one); gram[α, β] = x_α·x_β/n₀. Returns, per layer ℓ = 1 … L, a dict with K, Θ (2 × 2) and the
    order-1/n tensors Π, O, P, Q, R, S, T, U (2 × 2 × 2 × 2, units of 1/n_{ℓ−1})."""
    L = len(widths) - 1
    K = cb[0] + cw[0] * gram
    Th = lb[0] + lw[0] * gram
    z4 = np.zeros((2, 2, 2, 2))
    st = dict(K=K, Th=Th, Pi=z4, O=z4, P=z4, Q=z4, R=z4, S=z4, T=z4, U=z4)
    out = [st]
    for l in range(1, L):
        Cb, Cw, Lb, Lw = cb[l], cw[l], lb[l], lw[l]
        r = 0.0 if l == 1 else widths[l] / widths[l - 1]
        K, Th = st["K"], st["Th"]
        Pi, O, P, Q, R, S, T, U = (st[k] for k in ("Pi", "O", "P", "Q", "R", "S", "T", "U"))
        g = Layer(act, K)
        s0, s1, s2, s3 = g.s
        E, D = g.E, g.D
        G = np.array([[E(s1[a] * s1[b]) for b in range(2)] for a in range(2)])        # ⟨σ′_a σ′_b⟩
        ss = np.array([[E(s0[a] * s0[b]) for b in range(2)] for a in range(2)])       # ⟨σ_a σ_b⟩

        def w(a, b):   # the vertex λ_W σ′_a σ_b + C_W Θ_ab σ″_a σ′_b (∂/∂z_a of the layer-(ℓ+1) NTK summand)
            return Lw * s1[a] * s0[b] + Cw * Th[a, b] * s2[a] * s1[b]

        def u(a, b):   # its derivative λ_W σ″_a σ_b + C_W Θ_ab σ‴_a σ′_b
            return Lw * s2[a] * s0[b] + Cw * Th[a, b] * s3[a] * s1[b]

        Dsd = {(a, b): D(s1[a] * s0[b]) for a in range(2) for b in range(2)}          # ⟨∂(σ′_a σ_b)⟩
        Dw = {(a, b): D(w(a, b)) for a in range(2) for b in range(2)}
        n = {k: np.zeros((2, 2, 2, 2)) for k in ("Pi", "O", "P", "Q", "R", "S", "T", "U")}
        for a, b, c, d in IDX:
            # (E1) Π_{ab;cd} = n E[Ĥ_{jm;ab} z_{j;c} z_{m;d}] (j ≠ m)
            n["Pi"][a, b, c, d] = Cw ** 2 * (E(s0[c] * s1[a] * s1[b] * s0[d]) * Th[a, b]
                                             + r * Dsd[a, c] @ Pi[a, b] @ Dsd[b, d])
            # (E2) O_{ab;cd} = n E[Ĥ_{jm;ab} Ĥ_{jm;cd}] (j ≠ m)
            n["O"][a, b, c, d] = Cw ** 2 * (E(s1[a] * s1[b] * s1[c] * s1[d]) * Th[a, b] * Th[c, d]
                                            + r * G[a, c] * G[b, d] * O[a, b, c, d])
            # (E3) P
            a0, a1, a2, a3 = a, b, c, d
            n["P"][a0, a1, a2, a3] = Cw ** 2 * (
                E(s2[a0] * s0[a3] * s1[a1] * s1[a2]) * Th[a0, a1] * Th[a0, a2]
                + r * E(s2[a0] * s0[a3]) * G[a1, a2] * O[a0, a1, a0, a2]
                + r * G[a1, a2] * Dsd[a0, a3] @ P[a0, a1, a2])
            # (E4) Q
            w01 = w(a0, a1)
            n["Q"][a0, a1, a2, a3] = (Cw * (E(w01 * s1[a2] * s0[a3]) * Th[a0, a2]
                                            + r * Dw[a0, a1] @ Pi[a0, a2] @ Dsd[a2, a3])
                                      + r * Cw ** 2 * G[a0, a1] * Q[a0, a1, a2] @ Dsd[a2, a3])
            # (E5) R
            u01 = u(a0, a1)
            n["R"][a0, a1, a2, a3] = (Cw * (E(u01 * s1[a2] * s1[a3]) * Th[a0, a2] * Th[a0, a3]
                                            + r * E(u01) * G[a2, a3] * O[a0, a2, a0, a3]
                                            + r * G[a2, a3] * Dw[a0, a1] @ P[a0, a2, a3])
                                      + r * Cw ** 2 * G[a0, a1] * G[a2, a3] * R[a0, a1, a2, a3])
            # (E6)–(E8) S, T, U with (a1, a2, a3, a4) = (a, b, c, d)
            b1, b2, b3, b4 = a, b, c, d
            s12 = Lw * s1[b1] * s1[b2] + Cw * Th[b1, b2] * s2[b1] * s2[b2]
            n["S"][b1, b2, b3, b4] = (Cw * (E(s12 * s1[b3] * s1[b4]) * Th[b1, b3] * Th[b2, b4]
                                            + r * E(s12) * G[b3, b4] * O[b1, b3, b2, b4])
                                      + r * Cw ** 2 * G[b1, b2] * G[b3, b4] * S[b1, b2, b3, b4])
            n["T"][b1, b2, b3, b4] = (Th[b1, b2] * E(w(b1, b3) * w(b2, b4))
                                      + r * Dw[b1, b3] @ Pi[b1, b2] @ Dw[b2, b4]
                                      + r * Cw * G[b2, b4] * Dw[b1, b3] @ Q[b2, b4, b1]
                                      + r * Cw * G[b1, b3] * Dw[b2, b4] @ Q[b1, b3, b2]
                                      + r * Cw ** 2 * G[b1, b3] * G[b2, b4] * T[b1, b2, b3, b4])
            n["U"][b1, b2, b3, b4] = (Cw ** 2 * E(s2[b1] * s2[b2] * s1[b3] * s1[b4]) * Th[b1, b2] * Th[b1, b3] * Th[b2, b4]
                                      + r * Cw ** 2 * G[b1, b4] * G[b2, b3] * U[b1, b2, b3, b4])
        n["K"] = Cb + Cw * ss
        n["Th"] = Lb + Lw * ss + Cw * G * Th
        st = n
        out.append(st)
    return out


def swift_mirror(act, widths, cb, cw, lb, lw, gram):
    """Line-by-line mirror of TwoInputDifferentialNTK.compute (flat 16-vectors, index 8a + 4b + 2c + d;
    monomials cached by their factor multiset; terms as (coefficient, [(order, input)])). Returns the
    output-layer dict and the number of distinct Gaussian integrals per layer."""
    fs = ACTS[act]
    ix = lambda a, b, c, d: 8 * a + 4 * b + 2 * c + d  # noqa: E731

    class Moments:
        def __init__(self, K):
            u, v, self.w = nodes(K)
            self.z = [u, v]
            self.kinv = np.linalg.inv(K)
            self.cache = {}

        def monomial(self, factors, beta=None):
            key = [0] * 10
            for d, a in factors:
                key[5 * a + d] += 1
            if beta is not None:
                key[5 * beta + 4] += 1
            key = tuple(key)
            if key not in self.cache:
                F = np.ones_like(self.w)
                for a in range(2):
                    for d in range(4):
                        F = F * fs[d](self.z[a]) ** key[5 * a + d]
                    F = F * self.z[a] ** key[5 * a + 4]
                self.cache[key] = float(np.dot(self.w, F))
            return self.cache[key]

        def mean(self, terms):
            return sum(c * self.monomial(f) for c, f in terms if c != 0)

        def stein(self, terms):
            if act != "relu":   # no kinks: product rule inside the average (Swift: act.kinks.isEmpty)
                d = np.zeros(2)
                for c, f in terms:
                    if c == 0:
                        continue
                    for k, (order, inp) in enumerate(f):
                        raised = list(f)
                        raised[k] = (order + 1, inp)
                        d[inp] += c * self.monomial(raised)
                return d
            zf = [sum(c * self.monomial(f, b) for c, f in terms if c != 0) for b in range(2)]
            return self.kinv @ np.array(zf)

    def bilinear(x, T, a, b, y):
        return sum(x[c] * T[ix(a, b, c, d)] * y[d] for c in range(2) for d in range(2))

    def linear(T, a, b, c, x):
        return T[ix(a, b, c, 0)] * x[0] + T[ix(a, b, c, 1)] * x[1]

    def product(x, y):
        return [(s_[0] * t_[0], s_[1] + t_[1]) for s_ in x for t_ in y]

    L = len(widths) - 1
    k = cb[0] + cw[0] * gram
    theta = lb[0] + lw[0] * gram
    zero = np.zeros(16)
    pi, o, p, q, r, s, t, u = [zero.copy() for _ in range(8)]
    counts = []
    for l in range(1, L):
        cbl, cwl, lbl, lwl = cb[l], cw[l], lb[l], lw[l]
        ratio = 0.0 if l == 1 else widths[l] / widths[l - 1]
        m = Moments(k)
        th = theta
        w = lambda a, b: [(lwl, [(1, a), (0, b)]), (cwl * th[a, b], [(2, a), (1, b)])]  # noqa: E731
        uu = lambda a, b: [(lwl, [(2, a), (0, b)]), (cwl * th[a, b], [(3, a), (1, b)])]  # noqa: E731
        vv = lambda a, b: [(lwl, [(1, a), (1, b)]), (cwl * th[a, b], [(2, a), (2, b)])]  # noqa: E731
        one = lambda f: [(1.0, f)]  # noqa: E731
        g = np.array([[m.mean(one([(1, a), (1, b)])) for b in range(2)] for a in range(2)])
        ss = np.array([[m.mean(one([(0, a), (0, b)])) for b in range(2)] for a in range(2)])
        dsd = [[m.stein(one([(1, a), (0, b)])) for b in range(2)] for a in range(2)]
        dw = [[m.stein(w(a, b)) for b in range(2)] for a in range(2)]
        piN, oN, pN, qN, rN, sN, tN, uN = [zero.copy() for _ in range(8)]
        for a, b, c, d in IDX:
            i = ix(a, b, c, d)
            piN[i] = cwl * cwl * (m.mean(one([(0, c), (1, a), (1, b), (0, d)])) * th[a, b]
                                  + ratio * bilinear(dsd[a][c], pi, a, b, dsd[b][d]))
            oN[i] = cwl * cwl * (m.mean(one([(1, a), (1, b), (1, c), (1, d)])) * th[a, b] * th[c, d]
                                 + ratio * g[a, c] * g[b, d] * o[i])
            pLocal = m.mean(one([(2, a), (0, d), (1, b), (1, c)])) * th[a, b] * th[a, c]
            pFromO = m.mean(one([(2, a), (0, d)])) * g[b, c] * o[ix(a, b, a, c)]
            pN[i] = cwl * cwl * (pLocal + ratio * pFromO + ratio * g[b, c] * linear(p, a, b, c, dsd[a][d]))
            qLocal = m.mean(product(w(a, b), one([(1, c), (0, d)]))) * th[a, c]
            qFromPi = bilinear(dw[a][b], pi, a, c, dsd[c][d])
            qN[i] = cwl * (qLocal + ratio * qFromPi) + ratio * cwl * cwl * g[a, b] * linear(q, a, b, c, dsd[c][d])
            rLocal = m.mean(product(uu(a, b), one([(1, c), (1, d)]))) * th[a, c] * th[a, d]
            rFromO = m.mean(uu(a, b)) * g[c, d] * o[ix(a, c, a, d)]
            rFromP = g[c, d] * linear(p, a, c, d, dw[a][b])
            rN[i] = cwl * (rLocal + ratio * rFromO + ratio * rFromP) + ratio * cwl * cwl * g[a, b] * g[c, d] * r[i]
            sLocal = m.mean(product(vv(a, b), one([(1, c), (1, d)]))) * th[a, c] * th[b, d]
            sFromO = m.mean(vv(a, b)) * g[c, d] * o[ix(a, c, b, d)]
            sN[i] = cwl * (sLocal + ratio * sFromO) + ratio * cwl * cwl * g[a, b] * g[c, d] * s[i]
            tLocal = th[a, b] * m.mean(product(w(a, c), w(b, d)))
            tFromPi = bilinear(dw[a][c], pi, a, b, dw[b][d])
            tFromQ = cwl * (g[b, d] * linear(q, b, d, a, dw[a][c]) + g[a, c] * linear(q, a, c, b, dw[b][d]))
            tN[i] = tLocal + ratio * (tFromPi + tFromQ) + ratio * cwl * cwl * g[a, c] * g[b, d] * t[i]
            uLocal = m.mean(one([(2, a), (2, b), (1, c), (1, d)])) * th[a, b] * th[a, c] * th[b, d]
            uN[i] = cwl * cwl * (uLocal + ratio * g[a, d] * g[b, c] * u[i])
        pi, o, p, q, r, s, t, u = piN, oN, pN, qN, rN, sN, tN, uN
        theta = lbl + lwl * ss + cwl * g * th
        k = cbl + cwl * ss
        counts.append(len(m.cache))
    res = {name: vec.reshape(2, 2, 2, 2) for name, vec in zip(NAMES, (p, q, r, s, t, u))}
    res["K"], res["Th"] = k, theta
    return res, counts


# Independent components: P and R are symmetric in their last-but-one pair (P_{δ0δ1δ2δ3} = P_{δ0δ2δ1δ3},
# R_{δ0δ1δ2δ3} = R_{δ0δ1δ3δ2}); S, T, U under (δ1δ2δ3δ4) → (δ2δ1δ4δ3); Q has none.
def independent(name):
    if name == "P":
        return [i for i in IDX if i[1] <= i[2]]
    if name == "R":
        return [i for i in IDX if i[2] <= i[3]]
    if name in ("S", "T", "U"):
        return [i for i in IDX if i <= (i[1], i[0], i[3], i[2])]
    return list(IDX)


def partner(name, i):
    if name == "P":
        return (i[0], i[2], i[1], i[3])
    if name == "R":
        return (i[0], i[1], i[3], i[2])
    if name in ("S", "T", "U"):
        return (i[1], i[0], i[3], i[2])
    return i


NAMES = ["P", "Q", "R", "S", "T", "U"]


def gram_of(xs):
    X = np.asarray(xs, float)
    return X @ X.T / X.shape[1]


def inputs(cos, n0=3, norm2=(1.0, 1.3)):
    """Two inputs with |x_α|²/n₀ = norm2[α] and cos(x₁, x₂) = cos."""
    e1 = np.ones(n0) / np.sqrt(n0)
    e2 = np.array([1.0, -1.0] + [0.0] * (n0 - 2)) / np.sqrt(2)
    x1 = np.sqrt(norm2[0] * n0) * e1
    x2 = np.sqrt(norm2[1] * n0) * (cos * e1 + np.sqrt(1 - cos * cos) * e2)
    return np.array([x1, x2])


def consistency_checks():
    import check_dntk as single
    print("consistency checks of the two-input recursion")
    cases = [
        ("tanh", [3, 32, 32, 32, 4], [0.0] * 4, [1.0] * 4, [1.0] * 4, [1.0] * 4),
        ("relu", [3, 32, 32, 32, 4], [0.0] * 4, [2.0] * 4, [1.0] * 4, [1.0] * 4),
        ("gelu", [3, 32, 32, 32, 4], [0.1] * 4, [1.7] * 4, [1.0] * 4, [1.0] * 4),
        ("erf", [3, 48, 32, 64, 4], [0.2, 0.1, 0.3, 0.05], [1.2, 0.9, 1.4, 1.0], [0.5, 1.5, 0.3, 2.0], [2.0, 0.7, 1.6, 0.4]),
    ]
    worst_diag, worst_sym = 0.0, 0.0
    for act, widths, cb, cw, lb, lw in cases:
        gram = gram_of(inputs(0.3))
        th = theory(act, widths, cb, cw, lb, lw, gram)
        for a in range(2):
            ref = single.theory(act, widths, cb, cw, lb, lw, gram[a, a])
            for ell in range(1, len(widths)):
                for q in NAMES + ["Pi", "O"]:
                    x, y = th[ell - 1][q][a, a, a, a], ref[ell - 1][q]
                    worst_diag = max(worst_diag, abs(x - y) / max(abs(y), 1e-3))
        for st in th:
            for q in NAMES:
                for i in IDX:
                    x, y = st[q][i], st[q][partner(q, i)]
                    worst_sym = max(worst_sym, abs(x - y) / max(abs(x), 1e-3))
            for i in IDX:
                for q, j in (("Pi", (i[1], i[0], i[3], i[2])), ("O", (i[2], i[3], i[0], i[1])), ("O", (i[1], i[0], i[3], i[2]))):
                    worst_sym = max(worst_sym, abs(st[q][i] - st[q][j]) / max(abs(st[q][i]), 1e-3))
    print(f"  all-equal components vs the single-input recursion (check_dntk.py), 4 cases × 2 inputs × 4 layers: "
          f"max rel. diff {worst_diag:.1e}")
    print(f"  symmetries P(δ1↔δ2), R(δ2↔δ3), S/T/U((δ1δ3)↔(δ2δ4)), Π, O: max rel. diff {worst_sym:.1e}")
    worst_mirror, counts = 0.0, []
    for act, widths, cb, cw, lb, lw in cases:
        for cos in COSINES:
            gram = gram_of(inputs(cos))
            ref = theory(act, widths, cb, cw, lb, lw, gram)[-1]
            mir, cnt = swift_mirror(act, widths, cb, cw, lb, lw, gram)
            counts += cnt
            for q in NAMES + ["K", "Th"]:
                worst_mirror = max(worst_mirror, np.abs(mir[q] - ref[q]).max() / max(np.abs(ref[q]).max(), 1e-3))
    print(f"  line-by-line mirror of TwoInputDifferentialNTK.swift vs theory(): max rel. diff {worst_mirror:.1e} "
          f"(distinct Gaussian integrals per layer: {min(counts)}–{max(counts)})")
    # Π_{12;γδ} is check_ntk_two_inputs.py's 𝒫 of the pair (12) one layer up (its 𝒫^(ℓ) uses layer ℓ−1).
    import check_ntk_two_inputs as ntk2
    act, widths, cb, cw, lb, lw = cases[3]
    gram = gram_of(inputs(0.9))
    th = theory(act, widths, cb, cw, lb, lw, gram)
    ref = ntk2.theory(act, len(widths) - 1, widths[:-1], cb, cw, lb, lw, gram)
    dev = max(abs(th[ell - 1]["Pi"][0, 1] - ref[ell]["P"][1]).max() / np.abs(ref[ell]["P"][1]).max()
              for ell in range(2, len(widths) - 1))
    print(f"  Π_(12;γδ) vs check_ntk_two_inputs.py's 𝒫_(12) (erf-mixed, cos 0.9): max rel. diff {dev:.1e}")
    # Continuity: the off-diagonal components approach the single-input values as the inputs merge.
    print("  merging inputs (tanh, L = 4, |x₂|² = |x₁|²): component (1,2,1,2) → single-input value")
    act, widths, cb, cw, lb, lw = cases[0]
    ref = single.theory(act, widths, cb, cw, lb, lw, 1.0)[-1]
    for cos in (0.9, 0.99, 0.999, 0.9999):
        st = theory(act, widths, cb, cw, lb, lw, gram_of(inputs(cos, norm2=(1.0, 1.0))))[-1]
        print("    cos " + f"{cos}: " + "  ".join(f"{q} {st[q][0, 1, 0, 1]:+.5f}" for q in NAMES))
    print("    n=∞ single input: " + "  ".join(f"{q} {ref[q]:+.5f}" for q in NAMES))




# ----------------------------------------------------------------------------------------------
# Monte Carlo.
# ----------------------------------------------------------------------------------------------

def _jax():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", False)   # float32: the statistics need ~1e-3
    return jax, jnp


JACT = {"tanh": lambda jnp, jax: jnp.tanh, "relu": lambda jnp, jax: jax.nn.relu,
        "erf": lambda jnp, jax: jax.scipy.special.erf,
        "gelu": lambda jnp, jax: (lambda t: jax.nn.gelu(t, approximate=False))}

PAIRS = [(a, b) for a in range(NOUT) for b in range(NOUT) if a != b]
PA = np.array([p[0] for p in PAIRS])
PB = np.array([p[1] for p in PAIRS])
RPAIRS = PAIRS
RTRIPLES = [(a, b, a1, a2, a3) for (a, b) in RPAIRS for a1 in range(2) for (a2, a3) in ((0, 0), (0, 1), (1, 1))]


def make_stats(act, widths, lb, lw, depth):
    """Per-network estimators (6 × 16: P, Q, R, S, T, U over δ0…δ3) for the first NOUT neurons of
    layer `depth`, both inputs; averaged over the ordered output pairs a ≠ b (R over RPAIRS)."""
    jax, jnp = _jax()
    sig = JACT[act](jnp, jax)
    sw = [np.sqrt(lw[l] / widths[l]) for l in range(depth)]
    sb = [np.sqrt(lb[l]) for l in range(depth)]
    C = 2 * NOUT

    def net(params, X):                      # X: (2, n0) -> z: (2·NOUT,), index α·NOUT + i
        h = X.T
        for l, (pw, pb) in enumerate(params):
            z = (pw * sw[l]) @ h + (pb * sb[l])[:, None]
            h = sig(z) if l < depth - 1 else z
        return z.T.reshape(-1)

    def flat(tree, lead):
        return jnp.concatenate([t.reshape(lead + (-1,)) for t in jax.tree_util.tree_leaves(tree)], axis=-1)

    def one(params, X):
        f = lambda p: net(p, X)  # noqa: E731
        z = f(params)
        J = jax.jacrev(f)(params)                                          # leaves (C, …)

        def hv_rows(v):                                                    # H_c v for all c
            return jax.jacrev(lambda p: jax.jvp(f, (p,), (v,))[1])(params)

        G = jax.vmap(hv_rows)(J)                                           # leaves (C_k, C_c, …)
        Jf, Gf = flat(J, (C,)), flat(G, (C, C))
        dH = jnp.einsum("kim,jm->ijk", Gf, Jf).reshape((2, NOUT) * 3)      # dĤ_{c0 c1 c2}
        dd2 = jnp.einsum("cam,dbm->abcd", Gf, Gf).reshape((2, NOUT) * 4)   # ddIIĤ_{c1 c2 c3 c4}
        z2 = z.reshape(2, NOUT)
        npair = len(PAIRS)
        P = jnp.einsum("pxyz,wp->xyzw", dH[:, PA, :, PB, :, PB], z2[:, PA]) / npair
        Q = jnp.einsum("pxyz,wp->xyzw", dH[:, PA, :, PA, :, PB], z2[:, PB]) / npair
        S = dd2[:, PA, :, PA, :, PB, :, PB].mean(0)
        T = dd2[:, PA, :, PB, :, PA, :, PB].mean(0)
        U = dd2[:, PA, :, PB, :, PB, :, PA].mean(0)

        def third(va, vb, vc):
            g1 = lambda p: jax.jvp(f, (p,), (vc,))[1]  # noqa: E731
            g2 = lambda p: jax.jvp(g1, (p,), (vb,))[1]  # noqa: E731
            return jax.jvp(g2, (params,), (va,))[1]

        ia = np.array([a1 * NOUT + a for (a, b, a1, a2, a3) in RTRIPLES])
        ib = np.array([a2 * NOUT + b for (a, b, a1, a2, a3) in RTRIPLES])
        ic = np.array([a3 * NOUT + b for (a, b, a1, a2, a3) in RTRIPLES])
        pick = lambda idx: jax.tree_util.tree_map(lambda t: t[idx], J)  # noqa: E731
        d3 = jax.vmap(third)(pick(ia), pick(ib), pick(ic)).reshape(len(RTRIPLES), 2, NOUT)
        d3 = d3[np.arange(len(RTRIPLES)), :, np.array([t[0] for t in RTRIPLES])]    # (triple, δ0)
        R = jnp.zeros((2, 2, 2, 2))
        for k, (a, b, a1, a2, a3) in enumerate(RTRIPLES):
            R = R.at[:, a1, a2, a3].add(d3[k] / len(RPAIRS))
            if a2 != a3:
                R = R.at[:, a1, a3, a2].add(d3[k] / len(RPAIRS))
        return jnp.stack([P, Q, R, S, T, U]).reshape(-1)

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def sample_params(key, widths, cb, cw, lb, lw, depth, batch):
    jax, jnp = _jax()
    params = []
    for l in range(depth):
        key, k1, k2 = jax.random.split(key, 3)
        nout = widths[l + 1] if l < depth - 1 else NOUT
        sdw = np.sqrt(cw[l] / lw[l])
        sdb = np.sqrt(cb[l] / lb[l]) if lb[l] > 0 else 0.0
        params.append((sdw * jax.random.normal(k1, (batch, nout, widths[l])),
                       sdb * jax.random.normal(k2, (batch, nout))))
    return params


def run_mc(act, widths, cb, cw, lb, lw, X, M, seed, batch, fns=None):
    """n_{ℓ−1} × per-network estimators for ℓ = 2 … L: dict ℓ -> (mean[6,2,2,2,2], se[…])."""
    jax, jnp = _jax()
    L = len(widths) - 1
    if fns is None:
        fns = {ell: make_stats(act, widths, lb, lw, ell) for ell in range(2, L + 1)}
    acc = {ell: [] for ell in fns}
    key = jax.random.PRNGKey(seed)
    Xj = jnp.asarray(X, dtype=jnp.float32)
    done = 0
    while done < M:
        key, sub = jax.random.split(key)
        full = sample_params(sub, widths, cb, cw, lb, lw, L, batch)
        for ell, fn in fns.items():
            pr = list(full[:ell])
            w, b = pr[-1]
            pr[-1] = (w[:, :NOUT], b[:, :NOUT])
            acc[ell].append(np.asarray(fn(pr, Xj), dtype=np.float64))
        done += batch
    res = {}
    for ell in fns:
        a = np.concatenate(acc[ell])[:M].reshape(-1, 6, 2, 2, 2, 2) * widths[ell - 1]
        # average each component with its symmetry partner (identical in expectation)
        for k, q in enumerate(NAMES):
            sym = np.empty_like(a[:, k])
            for i in IDX:
                sym[(slice(None),) + i] = 0.5 * (a[(slice(None), k) + i] + a[(slice(None), k) + partner(q, i)])
            a[:, k] = sym
        res[ell] = (a.mean(0), a.std(0, ddof=1) / np.sqrt(a.shape[0]))
    return res


# name, activation, base widths [n0, n1, …, n_{L−1}, NOUT], C_b, C_W, λ_b, λ_W per layer. Widths n_1 … n_{L−1}
# are doubled for the second run (the ratios n_ℓ/n_{ℓ−1}, and so the theory, do not change).
CASES = [
    ("tanh", "tanh", [3, 32, 32, 32, NOUT], [0.0] * 4, [1.0] * 4, [1.0] * 4, [1.0] * 4),
    ("relu", "relu", [3, 32, 32, 32, NOUT], [0.0] * 4, [2.0] * 4, [1.0] * 4, [1.0] * 4),
    ("erf-mixed", "erf", [3, 40, 24, 48, NOUT], [0.2, 0.1, 0.3, 0.05], [1.2, 0.9, 1.4, 1.0],
     [0.5, 1.5, 0.3, 2.0], [2.0, 0.7, 1.6, 0.4]),
]
GELU = ("gelu", "gelu", [3, 32, 32, 32, NOUT], [0.1] * 4, [1.7] * 4, [1.0] * 4, [1.0] * 4)
COSINES = (0.3, 0.9)


def scaled(widths, s):
    return [widths[0]] + [w * s for w in widths[1:-1]] + [widths[-1]]


def fmt_idx(i):
    return "".join(str(a + 1) for a in i)


def reference_values():
    """Reference values for the Swift unit test (x = [[1, 0], [0.3, 0.8]], n₀ = 2)."""
    X = np.array([[1.0, 0.0], [0.3, 0.8]])
    gram = gram_of(X)
    specs = [
        ("tanh L=3 width 64, C_b=0, C_W=1, λ_b=0.5, λ_W=2", "tanh", [2, 64, 64, 1], [0.0] * 3, [1.0] * 3, [0.5] * 3, [2.0] * 3),
        ("relu L=3 width 64, C_b=0.1, C_W=2, λ=1", "relu", [2, 64, 64, 1], [0.1] * 3, [2.0] * 3, [1.0] * 3, [1.0] * 3),
        ("erf L=4 widths [64, 32, 96], C_b=[0.1,0,0.2,0.05], C_W=[1,2,1.5,1.2], λ_b=[0.5,1,0.3,2], λ_W=[2,1,0.7,1.5]",
         "erf", [2, 64, 32, 96, 1], [0.1, 0.0, 0.2, 0.05], [1.0, 2.0, 1.5, 1.2], [0.5, 1.0, 0.3, 2.0], [2.0, 1.0, 0.7, 1.5]),
    ]
    print("\nreference values (Swift indices [δ0][δ1][δ2][δ3] with δ ∈ {0, 1}; x = [[1, 0], [0.3, 0.8]], ntk parameterization)")
    for label, act, widths, cb, cw, lb, lw in specs:
        st = theory(act, widths, cb, cw, lb, lw, gram)[-1]
        print(f"  {label}")
        for q in NAMES:
            comps = [(0, 0, 0, 0), (0, 1, 1, 0), (1, 0, 0, 1), (0, 1, 0, 1), (1, 1, 0, 0)]
            print("    " + q.lower() + ": " + ", ".join(f"[{']['.join(map(str, i))}] = {st[q][i]:.10f}" for i in comps))


def recheck_erf():
    """The erf-mixed, cos 0.9, ℓ = 4 run at doubled widths again (new seed, M = 2400): in the main run its
    P and Q components moved together by −2…−4 se while the base-width run agreed (derivation doc §8.3)."""
    name, act, widths, cb, cw, lb, lw = CASES[2]
    w2 = scaled(widths, 2)
    X = inputs(0.9)
    th = theory(act, widths, cb, cw, lb, lw, gram_of(X))[3]
    m, se = run_mc(act, w2, cb, cw, lb, lw, X, 2400, 9090, 32, {4: make_stats(act, w2, lb, lw, 4)})[4]
    print(f"\nrecheck: erf-mixed cos 0.9 ℓ = 4, widths {w2[1:-1]}, M = 2400, seed 9090 (z = (MC − theory)/se)")
    for k, q in enumerate(NAMES[:2]):
        print(f"  {q}: " + "  ".join(f"{fmt_idx(i)} {(m[(k,) + i] - th[q][i]) / se[(k,) + i]:+.1f}" for i in independent(q)))


def main():
    quick = "--quick" in sys.argv
    if "--recheck-erf" in sys.argv:
        recheck_erf()
        return
    if "--gelu-only" not in sys.argv:
        consistency_checks()
        reference_values()
    if "--theory-only" in sys.argv:
        return
    jax, jnp = _jax()
    M1 = 400 if quick else 1600          # base widths
    M2 = 300 if quick else 1200          # doubled widths
    cases = [GELU] if "--gelu-only" in sys.argv else CASES + ([GELU] if "--gelu" in sys.argv else [])
    t0 = time.time()
    print(f"\nMonte Carlo: NOUT = {NOUT}, n₀ = 3, |x₁|²/n₀ = 1, |x₂|²/n₀ = 1.3, M = {M1} (n) and {M2} (2n) networks; "
          "numbers are n_(ℓ−1)·E[…]; z = (MC − theory)/se; ext = 2·MC(2n) − MC(n).")
    hdr = (f"{'case':<10} {'cos':>3} {'ℓ':>1} {'qty':<3} {'δ':<4} {'theory':>9} | {'MC(n)':>9} {'se':>7} {'z':>5} | "
           f"{'MC(2n)':>9} {'se':>7} {'z':>5} | {'ext':>9} {'se':>7} {'z':>5}")
    summary = []
    allz = {"n": [], "2n": [], "ext": []}
    for ci, (name, act, widths, cb, cw, lb, lw) in enumerate(cases):
        w1, w2 = widths, scaled(widths, 2)
        L = len(widths) - 1
        fns1 = {ell: make_stats(act, w1, lb, lw, ell) for ell in range(2, L + 1)}
        fns2 = {ell: make_stats(act, w2, lb, lw, ell) for ell in range(2, L + 1)}
        for cj, cos in enumerate(COSINES):
            X = inputs(cos)
            th = theory(act, widths, cb, cw, lb, lw, gram_of(X))
            b1 = 64 if max(w1) <= 40 else 32
            r1 = run_mc(act, w1, cb, cw, lb, lw, X, M1, 1000 + 10 * ci + cj, b1, fns1)
            r2 = run_mc(act, w2, cb, cw, lb, lw, X, M2, 2000 + 10 * ci + cj, 32, fns2)
            print("\n" + hdr)
            print("-" * len(hdr))
            for ell in sorted(r1):
                (m1, s1), (m2, s2) = r1[ell], r2[ell]
                me, se = 2 * m2 - m1, np.sqrt(4 * s2 ** 2 + s1 ** 2)
                for k, q in enumerate(NAMES):
                    zs = []
                    for i in independent(q):
                        j = (k,) + i
                        tv = th[ell - 1][q][i]
                        z = [(m[j] - tv) / s[j] if s[j] > 0 else 0.0 for m, s in ((m1, s1), (m2, s2), (me, se))]
                        zs.append(z)
                        for key, zz in zip(("n", "2n", "ext"), z):
                            allz[key].append(zz)
                        print(f"{name:<10} {cos:>3} {ell:>1} {q:<3} {fmt_idx(i):<4} {tv:9.4g} | {m1[j]:9.4g} {s1[j]:7.2g} {z[0]:5.1f} | "
                              f"{m2[j]:9.4g} {s2[j]:7.2g} {z[1]:5.1f} | {me[j]:9.4g} {se[j]:7.2g} {z[2]:5.1f}")
                    zs = np.array(zs)
                    summary.append((name, cos, ell, q, len(zs), *np.abs(zs).max(0), *np.mean(zs ** 2, 0)))
            print(f"  [{name} cos {cos}: widths {w1[1:-1]} and {w2[1:-1]}; {time.time() - t0:.0f} s]")
            sys.stdout.flush()
    print("\nsummary per case, cos, ℓ, tensor: number of independent components, max |z| and mean z² at n, 2n, ext")
    print(f"{'case':<10} {'cos':>3} {'ℓ':>1} {'qty':<3} {'#':>2} | {'max|z| n':>8} {'2n':>5} {'ext':>5} | {'<z²> n':>7} {'2n':>5} {'ext':>5}")
    for row in summary:
        name, cos, ell, q, cnt, a, b, c, d, e, f = row
        print(f"{name:<10} {cos:>3} {ell:>1} {q:<3} {cnt:>2} | {a:8.1f} {b:5.1f} {c:5.1f} | {d:7.2f} {e:5.2f} {f:5.2f}")
    for key in ("n", "2n", "ext"):
        z = np.abs(np.array(allz[key]))
        print(f"all {len(z)} components, {key:>3}: max |z| {z.max():.1f}, #|z|>3: {(z > 3).sum()}, #|z|>4: {(z > 4).sum()}, "
              f"mean z² {np.mean(z ** 2):.2f}")
    print(f"elapsed {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
