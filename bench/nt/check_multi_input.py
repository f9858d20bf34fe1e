#!/usr/bin/env python3
"""N-input order-1/n statistics of the NTK, the dNTK and the ddNTKs (docs/derivations/multi-input.md;
Sources/FiniteWidth/MultiInputStatistics.swift, MultiInputRecursions.swift): the recursion, its checks, and
an exact-autodiff Monte Carlo with four distinct inputs.

Everything is at one layer ℓ, in units of 1/n_{ℓ−1}, with sample indices a, b, c, d ∈ {0, …, N−1} (rows of x):

    E[Ĥ_{ii;ab}]                     = Θ_ab + Θ¹_ab / n
    n Cov(Ĥ_{i1i2;ab}, Ĥ_{i3i4;cd})   = δ_{i1i2}δ_{i3i4} A_{abcd} + δ_{i1i3}δ_{i2i4} O_{abcd} + δ_{i1i4}δ_{i2i3} O_{abdc}
    E[dĤ_{i0i1i2;δ0δ1δ2} z_{i3;δ3}]   = [δ_{i0i3}δ_{i1i2} P + δ_{i0i1}δ_{i2i3} Q_{δ0δ1δ2δ3} + δ_{i0i2}δ_{i1i3} Q_{δ0δ2δ1δ3}] / n
    E[ddIĤ], E[ddIIĤ]               as in check_dntk_two_inputs.py (R; S, T, U)

with A_{abcd} = B_{(ab)(cd)} = n Cov(ĥ_ab, ĥ_cd) (ĥ the NTK mean given the layer below; PDLT's A-role) and
O_{abcd} = n E[Ĥ_{jm;ab} Ĥ_{jm;cd}] (j ≠ m; PDLT's B-role).

What the script does:
  1. theory_multi(): the N-input recursion. Gaussian averages: one input by a fixed 1-D rule, two inputs by
     check_dntk_two_inputs.py's polar rule, three and four distinct inputs by the rule of the Swift code
     (`MultiGauss` below: nested Gauss–Legendre panels over the Cholesky coordinates, innermost level exact
     for the rectified family and by an interpolated table for smooth σ), mirrored node for node.
     Θ¹ is pairwise (check_ntk_two_inputs.py's recursion on each pair of inputs).
  2. checks: N = 2 against check_dntk_two_inputs.theory (P … U, Π, O, K, Θ), check_ntk_covariance.swift_mirror
     (B, F, O, Σ) and check_ntk_two_inputs.theory (Θ¹), every layer, every component; N = 4 against N = 3 and
     N = 2 on the sub-sets of the inputs; identical rows against the merged input; the Stein derivatives by
     product rule against K⁻¹⟨z·⟩; the 3–4-input rule against a finer rule;
  3. Monte Carlo: depth-3 networks, n₀ = 4, four inputs, widths n and 2n, every independent component of
     Θ¹, A, O, P, Q, R, S, T, U at the output layer (and at ℓ = 2, where the theory is exact at every width),
     z = (MC − theory)/se per width and for the extrapolation 2·MC(2n) − MC(n);
  4. reference values for the Swift test.

Run: nice bench/.venv/bin/python bench/nt/check_multi_input.py [--theory-only | --mc-only | --quick | --recheck]
     (one thread; --theory-only ≈ 2.5 min, the Monte Carlo 3.5–7 min on the shared 2-core machine, --recheck ≈ 2 min)
"""
import itertools
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 "
                      "--xla_force_host_platform_device_count=1")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from numpy.polynomial.legendre import leggauss  # noqa: E402
from scipy import special  # noqa: E402

import check_dntk_two_inputs as dntk2  # noqa: E402
import check_ntk_two_inputs as ntk2  # noqa: E402
import check_ntk_covariance as cov2  # noqa: E402

ACTS = dntk2.ACTS                      # σ, σ′, σ″, σ‴ (pathwise: σ″ = σ‴ = 0 for ReLU)
SLOPES = {"relu": (0.0, 1.0)}          # the rectified family: (a₋, a₊)
KINKS = {"relu": (0.0,)}
NAMES = ["P", "Q", "R", "S", "T", "U"]


def _phi(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def factor(act, e):
    """t ↦ t^{e[4]} Π_d σ^(d)(t)^{e[d]}."""
    fs = ACTS[act]

    def f(t):
        v = np.ones_like(t)
        for d in range(4):
            for _ in range(e[d]):
                v = v * fs[d](t)
        for _ in range(e[4]):
            v = v * t
        return v
    return f


# ----------------------------------------------------------------------------------------------
# Gaussian averages over three and four distinct inputs: the rule of the Swift code (MultiGauss).
# ----------------------------------------------------------------------------------------------

GL6_X, GL6_W = leggauss(6)
BREAKS = np.array([-9, -6.5, -4.5, -3, -2, -1, 0, 1, 2, 3, 4.5, 6.5, 9.0])
SMOOTH_FEATURES = (0.0, -1.0, 1.0, -2.5, 2.5)   # z-values where a smooth σ has its structure
LOOK = 1.0                                      # split at smooth features of level j in g_k when |L_jk| > LOOK
PRUNE = 1e-19                                   # drop nodes whose cumulative weight is below this
PIVOT = 1e-10                                   # relative conditional variance below which a level is degenerate
DMU, MAXGRID = 0.01, 2000                       # ψ-table spacing and size


class SingularKernel(Exception):
    pass


def split_points(act, L, k):
    """Where level k is split besides BREAKS: for every level j ≥ k whose conditional mean moves with g_k, the g_k at
    which E[z_j | g_0 … g_k] crosses a feature f, as (j, f, offsets): kinks always, with log-spaced offsets ±w·4^i < 1
    around the crossing (w = sd(z_j | g_≤k)/|L_jk|, the width over which the later levels smooth the kink); the smooth
    features when |L_jk| > LOOK (one unit of z_j spans less than 1/LOOK of g_k)."""
    out = []
    kinks = KINKS.get(act, ())
    for j in range(k, len(L)):
        if L[j, k] == 0:
            continue
        w = np.sqrt(np.sum(L[j, k + 1:j + 1] ** 2)) / abs(L[j, k])
        offs = [0.0]
        q = w
        while 0 < q < 1:
            offs += [-q, q]
            q *= 4
        for f in kinks:
            out.append((j, f, offs))
        if act not in SLOPES and abs(L[j, k]) > LOOK:
            for f in SMOOTH_FEATURES:
                out.append((j, f, [0.0]))
    return out


def cholesky_semidefinite(C):
    """Lower Cholesky factor; a pivot whose conditional variance is ≤ PIVOT·C_kk is set to 0 (returns the
    list of such levels)."""
    m = len(C)
    L = np.zeros((m, m))
    singular = []
    for i in range(m):
        for j in range(i + 1):
            s = C[i][j] - sum(L[i][k] * L[j][k] for k in range(j))
            if i == j:
                if s > PIVOT * C[i][i]:
                    L[i][i] = np.sqrt(s)
                else:
                    singular.append(i)
            else:
                L[i][j] = s / L[j][j] if L[j][j] > 0 else 0.0
    return L, singular


def level_nodes(G, L, k, splits, scale=1, mean=None, points=6):
    """Nodes g and weights w (Gaussian density included) of level k for parents with prefixes G (k × P): Gauss–Legendre
    (`points` per panel; `scale` × finer for the check rule) on the panels BREAKS ∪ split points (points outside (−9, 9)
    give empty panels). `mean` overrides the conditional mean of level k (the ψ table)."""
    P = G.shape[1] if mean is None else len(mean)
    s = L[k, k]
    if s == 0:
        return np.zeros((P, 1)), np.ones((P, 1))
    gx, gw = (GL6_X, GL6_W) if scale == 1 and points == 6 else leggauss(points * scale)
    br = BREAKS if scale == 1 else np.linspace(-9, 9, 12 * scale + 1)
    ext = []
    for j, f, offs in splits:
        base = (L[j, :k] @ G if k > 0 else np.zeros(P)) if mean is None else mean
        cross = (f - base) / L[j, k]
        ext += [np.clip(cross + o, -9, 9)[:, None] for o in offs]
    B = np.sort(np.concatenate([np.broadcast_to(br, (P, len(br)))] + ext, axis=1), axis=1)
    half, mid = 0.5 * (B[:, 1:] - B[:, :-1]), 0.5 * (B[:, 1:] + B[:, :-1])
    g = (mid[:, :, None] + half[:, :, None] * gx).reshape(P, -1)
    w = (half[:, :, None] * gw).reshape(P, -1) * _phi(g)
    return g, w


class MultiGauss:
    """⟨Π_k h_k(z_k)⟩ over z ~ N(0, C), C the covariance of m ≥ 2 distinct inputs (ordered by index), for products
    h_k = Π_d σ^(d)^{e_kd}; all products on one C share the nodes. m ≥ 3: 6-point panels, innermost level exact
    (rectified) or by the ψ table (smooth). m = 2 (the Swift code's pair rule): 10-point panels, innermost exact
    (rectified) or by nodes (smooth)."""

    def __init__(self, act, C, scale=1):
        self.act, self.scale = act, scale
        m = len(C)
        L, singular = cholesky_semidefinite(C)
        if singular and (act in SLOPES or act in KINKS):
            raise SingularKernel(f"levels {singular}")
        self.L, self.m = L, m
        points = 10 if m == 2 else 6
        self.direct = m == 2 and act not in SLOPES
        outer = m if self.direct else m - 1
        G, W = np.zeros((0, 1)), np.ones(1)
        for k in range(outer):
            g, w = level_nodes(G, L, k, split_points(act, L, k), scale, points=points)
            n = g.shape[1]
            G = np.concatenate([np.repeat(G, n, axis=1), g.reshape(1, -1)], axis=0)
            W = (W[:, None] * w).ravel()
            keep = W >= PRUNE
            G, W = G[:, keep], W[keep]
        self.W = W
        self.Z = L[:outer, :outer] @ G
        self.inner = {}
        if self.direct:
            return
        self.mu = L[m - 1, :m - 1] @ G
        self.s = L[m - 1, m - 1]
        if act not in SLOPES and self.s > 0:
            lo, hi = self.mu.min(), self.mu.max()
            d = max(DMU, (hi - lo) / MAXGRID)
            count = int(np.ceil((hi - lo) / d)) + 6
            self.grid = lo - 2 * d + d * np.arange(count)
            t = (self.mu - self.grid[0]) / d
            i0 = np.clip(np.floor(t).astype(int) - 2, 0, count - 6)
            u = t - i0
            self.i0 = i0
            self.lag = np.ones((6, len(u)))
            for j in range(6):
                for k in range(6):
                    if k != j:
                        self.lag[j] *= (u - k) / (j - k)
            self.tg, self.tw = level_nodes(None, L, m - 1, split_points(act, L, m - 1), scale, mean=self.grid)

    def innermost(self, e):
        """⟨h(μ + s x)⟩_x at every outer node, h = factor e."""
        e = tuple(e)
        if e not in self.inner:
            mu, s = self.mu, self.s
            if s == 0:
                self.inner[e] = factor(self.act, e)(mu)
            elif self.act in SLOPES:
                an, ap = SLOPES[self.act]
                assert e[2] == e[3] == 0
                p, c = e[0] + e[4], e[0] + e[1]
                self.inner[e] = ap ** c * truncated_moment(mu, s, p, +1) + an ** c * truncated_moment(mu, s, p, -1)
            else:
                table = np.sum(self.tw * factor(self.act, e)(self.grid[:, None] + s * self.tg), axis=1)
                self.inner[e] = sum(self.lag[j] * table[self.i0 + j] for j in range(6))
        return self.inner[e]

    def expectation(self, exps):
        """exps[k] = exponent vector (σ, σ′, σ″, σ‴, z) of input k."""
        if self.direct:
            acc = self.W.copy()
            for k in range(self.m):
                if any(exps[k]):
                    acc = acc * factor(self.act, exps[k])(self.Z[k])
            return float(np.sum(acc))
        acc = self.W * self.innermost(exps[-1])
        for k in range(self.m - 1):
            if any(exps[k]):
                acc = acc * factor(self.act, exps[k])(self.Z[k])
        return float(np.sum(acc))


def truncated_moment(mu, s, p, sign):
    """E[(μ + s x)^p 1[sign·(μ + s x) > 0]], x ~ N(0, 1)."""
    t = mu / s
    ph = _phi(t)
    # J_k = E[x^k 1[sign·x > −sign·t]] by the recursion J_k = ±(∓t)^{k−1}φ(t) + (k−1)J_{k−2}
    c = -t
    if sign > 0:
        J = [special.ndtr(t), ph]
        for k in range(2, p + 1):
            J.append(c ** (k - 1) * ph + (k - 1) * J[k - 2])
    else:
        J = [special.ndtr(-t), -ph]
        for k in range(2, p + 1):
            J.append(-c ** (k - 1) * ph + (k - 1) * J[k - 2])
    return sum(special.comb(p, k) * mu ** (p - k) * s ** k * J[k] for k in range(p + 1))


# ----------------------------------------------------------------------------------------------
# Gaussian averages of products of σ^(d)(z_a), cached by the multiset of factors.
# ----------------------------------------------------------------------------------------------

_X1, _W1 = leggauss(10)
_P1 = np.linspace(-10, 10, 41)
_G1 = np.concatenate([0.5 * (b - a) * _X1 + 0.5 * (a + b) for a, b in zip(_P1[:-1], _P1[1:])])
_WG1 = np.concatenate([0.5 * (b - a) * _W1 for a, b in zip(_P1[:-1], _P1[1:])]) * _phi(_G1)


class Moments:
    """Averages over z ~ N(0, K) (K over the distinct inputs) of Σ_t c_t Π_f σ^(f.0)(z_{f.1}), and Stein
    derivatives. `multi_scale` > 1 uses a finer 3–4-input rule (the accuracy check); pair_rule "polar" (default) averages
    over two inputs by check_dntk_two_inputs.py's polar rule, "swift" by the Swift code's pair rule (MultiGauss, m = 2)."""

    def __init__(self, act, K, multi_scale=1, pair_rule="polar"):
        self.act, self.K, self.multi_scale, self.pair_rule = act, K, multi_scale, pair_rule
        self.cache, self.multi, self.polar = {}, {}, {}

    @staticmethod
    def key(factors, z=None):
        ex = {}
        for d, a in factors:
            ex.setdefault(a, [0] * 5)[d] += 1
        if z is not None:
            ex.setdefault(z, [0] * 5)[4] += 1
        return tuple(sorted((a, tuple(e)) for a, e in ex.items()))

    def monomial(self, factors, z=None):
        key = self.key(factors, z)
        if key not in self.cache:
            self.cache[key] = self.evaluate(key)
        return self.cache[key]

    def evaluate(self, key):
        act = self.act
        if act in SLOPES and any(e[2] or e[3] for _, e in key):
            return 0.0                      # pathwise σ″ = σ‴ = 0
        ins = [a for a, _ in key]
        m = len(ins)
        if m == 0:
            return 1.0
        if m == 1:
            a, e = key[0]
            return float(np.dot(_WG1, factor(act, e)(np.sqrt(self.K[a, a]) * _G1)))
        if m == 2 and self.pair_rule == "polar":
            (a, ea), (b, eb) = key
            if (a, b) not in self.polar:
                self.polar[a, b] = dntk2.nodes(self.K[np.ix_([a, b], [a, b])])
            u, v, w = self.polar[a, b]
            return float(np.dot(w, factor(act, ea)(u) * factor(act, eb)(v)))
        sub = tuple(ins)
        if sub not in self.multi:
            self.multi[sub] = MultiGauss(act, self.K[np.ix_(ins, ins)], self.multi_scale)
        return self.multi[sub].expectation([e for _, e in key])

    def mean(self, terms):
        return sum(c * self.monomial(f) for c, f in terms if c != 0)

    def stein(self, terms, product_rule):
        """(⟨∂_γ F⟩)_γ as a dense vector over the inputs; non-zero only on the inputs F depends on.
        product_rule: ⟨∂F/∂z_γ⟩ inside the average (smooth σ, as the Swift code); else K_S⁻¹⟨z_S F⟩."""
        out = np.zeros(len(self.K))
        if product_rule:
            for c, f in terms:
                if c == 0:
                    continue
                for k, (order, inp) in enumerate(f):
                    raised = list(f)
                    raised[k] = (order + 1, inp)
                    out[inp] += c * self.monomial(raised)
            return out
        S = sorted({a for c, f in terms if c != 0 for _, a in f})
        if not S:
            return out
        zf = np.array([sum(c * self.monomial(f, b) for c, f in terms if c != 0) for b in S])
        out[S] = np.linalg.solve(self.K[np.ix_(S, S)], zf)
        return out


# ----------------------------------------------------------------------------------------------
# The N-input recursion (docs/derivations/multi-input.md).
# ----------------------------------------------------------------------------------------------


def diag_slopes(act, k):
    """(d⟨σ²⟩/dK, d⟨σ′²⟩/dK) at K = k, as Vertex.diagonalDerivative and TwoInputNTKVariance.derivativeSquareSlope."""
    f, d = ntk2.ACTS[act]
    return ntk2._gauss1(lambda t: t * d(t) * f(t), k) / k, cov2.deriv2_slope(act, k)


def theory_multi(act, widths, cb, cw, lb, lw, gram, product_rule=None, multi_scale=1, with_theta1=True, pair_rule="polar"):
    """widths = [n₀, n₁, …, n_L]; cb, cw, lb, lw per layer (index ℓ−1 for layer ℓ; λ_W the effective one);
    gram[a, b] = x_a·x_b/n₀ over M distinct inputs. Returns, per layer ℓ = 1 … L, a dict: K, Th, Th1 (M × M),
    Pi, O, P … U, A (M⁴), V, F, B (over the pairs a ≤ b). product_rule: None = as the Swift code (smooth σ)."""
    if product_rule is None:
        product_rule = act not in SLOPES and act not in KINKS
    M = len(gram)
    L = len(widths) - 1
    pairs = [(a, b) for a in range(M) for b in range(a, M)]
    pid = {}
    for i, (a, b) in enumerate(pairs):
        pid[a, b] = pid[b, a] = i
    sup = [[pid[a, a]] if a == b else [pid[a, a], i, pid[b, b]] for i, (a, b) in enumerate(pairs)]
    NP = len(pairs)
    z4, z2 = np.zeros((M,) * 4), np.zeros((NP, NP))
    st = dict(K=cb[0] + cw[0] * gram, Th=lb[0] + lw[0] * gram, Pi=z4, O=z4, P=z4, Q=z4, R=z4, S=z4, T=z4, U=z4,
              V=z2, F=z2, B=z2)
    out = [st]
    for l in range(1, L):
        Cb, Cw, Lb, Lw = cb[l], cw[l], lb[l], lw[l]
        r = 0.0 if l == 1 else widths[l] / widths[l - 1]
        K, Th = st["K"], st["Th"]
        for a, b in pairs:
            s = np.sqrt(K[a, a] * K[b, b])
            if a != b and not (s > 0 and min(s - K[a, b], s + K[a, b]) > 1e-10 * s):
                raise SingularKernel(f"pair ({a}, {b}) at layer {l}")
        m = Moments(act, K, multi_scale, pair_rule)
        one = lambda f: [(1.0, f)]  # noqa: E731
        w = lambda a, b: [(Lw, [(1, a), (0, b)]), (Cw * Th[a, b], [(2, a), (1, b)])]  # noqa: E731
        uu = lambda a, b: [(Lw, [(2, a), (0, b)]), (Cw * Th[a, b], [(3, a), (1, b)])]  # noqa: E731
        vv = lambda a, b: [(Lw, [(1, a), (1, b)]), (Cw * Th[a, b], [(2, a), (2, b)])]  # noqa: E731

        def prod(x, y):
            return [(s_[0] * t_[0], s_[1] + t_[1]) for s_ in x for t_ in y]
        g = np.array([[m.mean(one([(1, a), (1, b)])) for b in range(M)] for a in range(M)])
        ss = np.array([[m.mean(one([(0, a), (0, b)])) for b in range(M)] for a in range(M)])
        dsd = [[m.stein(one([(1, a), (0, b)]), product_rule) for b in range(M)] for a in range(M)]
        dw = [[m.stein(w(a, b), product_rule) for b in range(M)] for a in range(M)]
        Pi, O, P, Q, R, S, T, U = (st[k] for k in ("Pi", "O", "P", "Q", "R", "S", "T", "U"))
        n = {k: np.zeros((M,) * 4) for k in ("Pi", "O", "P", "Q", "R", "S", "T", "U")}
        for a, b, c, d in itertools.product(range(M), repeat=4):
            n["Pi"][a, b, c, d] = Cw ** 2 * (m.mean(one([(0, c), (1, a), (1, b), (0, d)])) * Th[a, b]
                                             + r * dsd[a][c] @ Pi[a, b] @ dsd[b][d])
            n["O"][a, b, c, d] = Cw ** 2 * (m.mean(one([(1, a), (1, b), (1, c), (1, d)])) * Th[a, b] * Th[c, d]
                                            + r * g[a, c] * g[b, d] * O[a, b, c, d])
            # (a, b, c, d) = (δ0, δ1, δ2, δ3) for P, Q, R
            n["P"][a, b, c, d] = Cw ** 2 * (m.mean(one([(2, a), (0, d), (1, b), (1, c)])) * Th[a, b] * Th[a, c]
                                            + r * m.mean(one([(2, a), (0, d)])) * g[b, c] * O[a, b, a, c]
                                            + r * g[b, c] * P[a, b, c] @ dsd[a][d])
            n["Q"][a, b, c, d] = (Cw * (m.mean(prod(w(a, b), one([(1, c), (0, d)]))) * Th[a, c]
                                        + r * dw[a][b] @ Pi[a, c] @ dsd[c][d])
                                  + r * Cw ** 2 * g[a, b] * Q[a, b, c] @ dsd[c][d])
            n["R"][a, b, c, d] = (Cw * (m.mean(prod(uu(a, b), one([(1, c), (1, d)]))) * Th[a, c] * Th[a, d]
                                        + r * m.mean(uu(a, b)) * g[c, d] * O[a, c, a, d]
                                        + r * g[c, d] * P[a, c, d] @ dw[a][b])
                                  + r * Cw ** 2 * g[a, b] * g[c, d] * R[a, b, c, d])
            # (a, b, c, d) = (δ1, δ2, δ3, δ4) for S, T, U
            n["S"][a, b, c, d] = (Cw * (m.mean(prod(vv(a, b), one([(1, c), (1, d)]))) * Th[a, c] * Th[b, d]
                                        + r * m.mean(vv(a, b)) * g[c, d] * O[a, c, b, d])
                                  + r * Cw ** 2 * g[a, b] * g[c, d] * S[a, b, c, d])
            n["T"][a, b, c, d] = (Th[a, b] * m.mean(prod(w(a, c), w(b, d)))
                                  + r * dw[a][c] @ Pi[a, b] @ dw[b][d]
                                  + r * Cw * (g[b, d] * Q[b, d, a] @ dw[a][c] + g[a, c] * Q[a, c, b] @ dw[b][d])
                                  + r * Cw ** 2 * g[a, c] * g[b, d] * T[a, b, c, d])
            n["U"][a, b, c, d] = Cw ** 2 * (m.mean(one([(2, a), (2, b), (1, c), (1, d)])) * Th[a, b] * Th[a, c] * Th[b, d]
                                            + r * g[a, d] * g[b, c] * U[a, b, c, d])
        # NTK covariance: V, F, B over the pairs (docs §4; two-input (C1)–(C3) with pairs of N inputs).
        gs, gd = [None] * NP, [None] * NP       # ∂⟨σσ_p⟩/∂K_e, ∂⟨σ′σ′_p⟩/∂K_e over e ∈ sup(p)
        for i, (a, b) in enumerate(pairs):
            if a == b:
                x, y = diag_slopes(act, K[a, a])
                gs[i], gd[i] = np.array([x]), np.array([y])
            else:
                gr, gdd = ntk2.analytic_gradients(act, (K[a, a], K[a, b], K[b, b]))
                gs[i], gd[i] = gr[1], gdd
        th = np.array([Th[a, b] for a, b in pairs])
        ssp = np.array([ss[a, b] for a, b in pairs])
        ddp = np.array([g[a, b] for a, b in pairs])
        J = [Cw * gs[i] for i in range(NP)]
        A = [Lw * gs[i] + Cw * th[i] * gd[i] for i in range(NP)]
        cc = Cw * ddp
        V, F, B = st["V"], st["F"], st["B"]
        Vn, Fn, Bn = np.zeros((NP, NP)), np.zeros((NP, NP)), np.zeros((NP, NP))

        def quad(x, p, q, y):       # Σ_{e ∈ sup p, g ∈ sup q} x_e X_eg y_g with X = V
            return x @ V[np.ix_(sup[p], sup[q])] @ y
        for p, (a, b) in enumerate(pairs):
            for q, (c, d) in enumerate(pairs):
                four = m.mean(one([(0, a), (0, b), (0, c), (0, d)]))
                mix_qp = m.mean(one([(0, c), (0, d), (1, a), (1, b)]))     # ⟨σσ_q σ′σ′_p⟩
                mix_pq = m.mean(one([(0, a), (0, b), (1, c), (1, d)]))     # ⟨σσ_p σ′σ′_q⟩
                dfour = m.mean(one([(1, a), (1, b), (1, c), (1, d)]))
                Vn[p, q] = Cw ** 2 * (four - ssp[p] * ssp[q]) + r * quad(J[p], p, q, J[q])
                # F′_{p,e} with e = q
                Fn[p, q] = (Cw * (Lw * (four - ssp[q] * ssp[p]) + Cw * th[p] * (mix_qp - ssp[q] * ddp[p]))
                            + r * J[q] @ (V[np.ix_(sup[q], sup[p])] @ A[p] + cc[p] * F[p, sup[q]]))
                covxx = (Lw * Lw * (four - ssp[p] * ssp[q]) + Lw * Cw * th[q] * (mix_pq - ssp[p] * ddp[q])
                         + Lw * Cw * th[p] * (mix_qp - ssp[q] * ddp[p])
                         + Cw * Cw * th[p] * th[q] * (dfour - ddp[p] * ddp[q]))
                Bn[p, q] = covxx + r * (quad(A[p], p, q, A[q]) + cc[q] * A[p] @ F[q, sup[p]]
                                        + cc[p] * A[q] @ F[p, sup[q]] + cc[p] * cc[q] * B[p, q])
        n.update(V=Vn, F=Fn, B=Bn, K=Cb + Cw * ss, Th=Lb + Lw * ss + Cw * g * Th)
        st = n
        out.append(st)
    for ell, s_ in enumerate(out):
        s_["A"] = np.array([[[[s_["B"][pid[a, b], pid[c, d]] for d in range(M)] for c in range(M)]
                             for b in range(M)] for a in range(M)])
    if with_theta1:
        th1 = theta1_pairs(act, widths, cb, cw, lb, lw, gram)
        for ell, s_ in enumerate(out):
            s_["Th1"] = th1[ell]
    return out


def theta1_pairs(act, widths, cb, cw, lb, lw, gram):
    """Θ¹_ab per layer: E[Ĥ_ii;ab] depends on x_a and x_b only, so Θ¹ is the two-input recursion
    (check_ntk_two_inputs.theory = TwoInputNTK.offDiagonal) on each pair, diagonal_ntk on the diagonal."""
    M, L = len(gram), len(widths) - 1
    th1 = [np.zeros((M, M)) for _ in range(L)]
    for a in range(M):
        d = ntk2.diagonal_ntk(act, L, widths[:-1], cb, cw, lb, lw, gram[a, a])
        for ell in range(L):
            th1[ell][a, a] = d[ell][1]
        for b in range(a + 1, M):
            t = ntk2.theory(act, L, widths[:-1], cb, cw, lb, lw, gram[np.ix_([a, b], [a, b])])
            for ell in range(L):
                th1[ell][a, b] = th1[ell][b, a] = t[ell]["Th1"][1]
    return th1


def compute(act, widths, cb, cw, lb, lw, X, **kw):
    """The output-layer statistics for the rows of X (identical rows merged, then expanded), as the Swift
    `MultiInputStatistics.compute`: dict of K, Th, Th1 (N × N) and A, O, P … U (N⁴), all at ℓ = L."""
    X = np.asarray(X, float)
    reps, rep = [], []
    for i in range(len(X)):
        for j, u in enumerate(reps):
            if np.array_equal(X[u], X[i]):
                rep.append(j)
                break
        else:
            reps.append(i)
            rep.append(len(reps) - 1)
    Xu = X[reps]
    gram = Xu @ Xu.T / X.shape[1]
    st = theory_multi(act, widths, cb, cw, lb, lw, gram, **kw)[-1]
    ix2, ix4 = np.ix_(rep, rep), np.ix_(rep, rep, rep, rep)
    res = {k: st[k][ix2] for k in ("K", "Th", "Th1") if k in st}
    res.update({k: st[k][ix4] for k in ["A", "O"] + NAMES + ["Pi"]})
    return res


# ----------------------------------------------------------------------------------------------
# Consistency checks of the recursion.
# ----------------------------------------------------------------------------------------------

CHECK_CASES = [
    ("tanh", [3, 32, 32, 32, 4], [0.0] * 4, [1.0] * 4, [0.5] * 4, [2.0] * 4),
    ("relu", [3, 32, 32, 32, 4], [0.1] * 4, [2.0] * 4, [1.0] * 4, [1.0] * 4),
    ("erf", [3, 40, 24, 48, 4], [0.2, 0.1, 0.3, 0.05], [1.2, 0.9, 1.4, 1.0], [0.5, 1.5, 0.3, 2.0], [2.0, 0.7, 1.6, 0.4]),
]


def four_inputs(n0=4):
    """Four inputs with |x_a|²/n₀ = q_a and cosines C_ab (all distinct, K^(1) non-singular for n₀ ≥ 4)."""
    q = np.array([1.0, 1.3, 0.8, 1.1])
    C = np.array([[1, .3, .6, -.2], [.3, 1, .5, .4], [.6, .5, 1, .1], [-.2, .4, .1, 1]])
    L = np.linalg.cholesky(C * np.sqrt(np.outer(q, q)) * n0)
    return np.concatenate([L, np.zeros((4, n0 - 4))], axis=1) if n0 > 4 else L


def rel(x, y):
    return np.abs(np.asarray(x) - np.asarray(y)).max() / max(np.abs(np.asarray(y)).max(), 1e-3)


def consistency_checks():
    print("1. consistency checks")
    X2 = dntk2.inputs(0.3)
    gram2 = dntk2.gram_of(X2)
    pairs3 = [(0, 0), (0, 1), (1, 1)]
    for act, widths, cb, cw, lb, lw in CHECK_CASES:
        L = len(widths) - 1
        t0 = time.time()
        mine = theory_multi(act, widths, cb, cw, lb, lw, gram2)
        elapsed = time.time() - t0
        ref = dntk2.theory(act, widths, cb, cw, lb, lw, gram2)
        cref = cov2.swift_mirror(act, L, widths[:-1], cb, cw, lb, lw, gram2)
        tref = ntk2.theory(act, L, widths[:-1], cb, cw, lb, lw, gram2)
        worst = {}

        def upd(k, v):
            worst[k] = max(worst.get(k, 0.0), v)
        for ell in range(L):
            for k in ["K", "Th", "Pi", "O"] + NAMES:
                upd(k, rel(mine[ell][k], ref[ell][k]))
            for k in ["B", "F"]:
                upd(k, rel(mine[ell][k], cref[ell][k]))
            S = np.array([[mine[ell]["A"][pairs3[p] + pairs3[q]] + mine[ell]["O"][pairs3[p] + pairs3[q]]
                           + mine[ell]["O"][pairs3[p] + pairs3[q][::-1]] for q in range(3)] for p in range(3)])
            upd("Σ", rel(S, cref[ell]["S"]))
            upd("Θ¹ off-diag.", rel(mine[ell]["Th1"][0, 1], tref[ell]["Th1"][1]))
            upd("Θ¹ diag. (port vs pair rec.)", rel(np.diag(mine[ell]["Th1"]), tref[ell]["Th1"][[0, 2]]))
        print(f"  N = 2, {act}, L = {L} ({elapsed:.1f} s): max rel. diff. per component over all layers vs the two-input "
              "theories (dntk2: K Θ Π O P…U; cov2: B F Σ; ntk2: Θ¹):")
        print("    " + ", ".join(f"{k} {v:.0e}" for k, v in worst.items()))
        sw = theory_multi(act, widths, cb, cw, lb, lw, gram2, pair_rule="swift", with_theta1=False)
        print("    with the Swift code's pair rule (10-point panels) instead of the polar rule: max rel. diff. "
              + ", ".join(f"{k} {max(rel(sw[ell][k], mine[ell][k]) for ell in range(L)):.0e}"
                          for k in ["K", "Th", "Pi", "O", "A"] + NAMES))
    X = four_inputs()
    for act, widths, cb, cw, lb, lw in [("tanh", [4, 32, 32, 4], [0.0] * 3, [1.0] * 3, [0.5] * 3, [2.0] * 3),
                                        ("relu", [4, 32, 32, 4], [0.0] * 3, [2.0] * 3, [1.0] * 3, [1.0] * 3)]:
        t0 = time.time()
        r4 = compute(act, widths, cb, cw, lb, lw, X)
        t4 = time.time() - t0
        w_sub = 0.0
        for sub in [(0, 1, 2), (1, 2, 3), (0, 3), (2,)]:
            r = compute(act, widths, cb, cw, lb, lw, X[list(sub)])
            for k in ["A", "O", "Pi"] + NAMES:
                w_sub = max(w_sub, rel(r4[k][np.ix_(sub, sub, sub, sub)], r[k]))
            for k in ["K", "Th", "Th1"]:
                w_sub = max(w_sub, rel(r4[k][np.ix_(sub, sub)], r[k]))
        idx = [0, 1, 2, 3, 1]
        r5 = compute(act, widths, cb, cw, lb, lw, X[idx])
        w_dup = max(rel(r5[k], r4[k][np.ix_(idx, idx, idx, idx)]) for k in ["A", "O"] + NAMES)
        rf = compute(act, widths, cb, cw, lb, lw, X, multi_scale=2, with_theta1=False)
        w_fine = {k: np.abs(rf[k] - r4[k]).max() / max(np.abs(r4[k]).max(), 1e-3) for k in ["A", "O"] + NAMES}
        print(f"  N = 4 distinct inputs, {act}, depth 3 ({t4:.1f} s): the components on sub-sets of the inputs equal N = 3, 2, 1 runs "
              f"to {w_sub:.0e}; a repeated row gives the merged values ({w_dup:.0e}); 3–4-input rule vs a 2× finer rule "
              "(max |diff| / max |value|): " + ", ".join(f"{k} {v:.0e}" for k, v in w_fine.items()))
        if act == "tanh":
            rk = compute(act, widths, cb, cw, lb, lw, X, product_rule=False, with_theta1=False)
            print(f"    Stein derivatives by product rule vs K⁻¹⟨z·⟩: max rel. diff. "
                  f"{max(rel(r4[k], rk[k]) for k in NAMES):.0e}")
        # merging inputs: x₃ → x₁ along the part of the old x₃ orthogonal to x₁ (K stays non-singular)
        comps = [("A", (0, 3, 2, 1)), ("O", (3, 0, 2, 1)), ("P", (0, 3, 2, 1)), ("Q", (3, 2, 1, 0)),
                 ("S", (3, 2, 0, 1)), ("T", (0, 2, 3, 1)), ("U", (3, 0, 1, 2))]
        print("    merging x₃ → x₁ (component: values at |x₃ − x₁|/|x₁| = 1e-1, 1e-2, 1e-3, 1e-4; identical rows):")
        rows = []
        direction = X[3] - X[1] * (X[3] @ X[1]) / (X[1] @ X[1])
        direction /= np.linalg.norm(direction)
        for eps in (1e-1, 1e-2, 1e-3, 1e-4, 0.0):
            Xm = X.copy()
            Xm[3] = X[1] + eps * np.linalg.norm(X[1]) * direction
            rows.append(compute(act, widths, cb, cw, lb, lw, Xm, with_theta1=False))
        print("      " + "; ".join(f"{k}_{''.join(map(str, i))}: " + ", ".join(f"{r_[k][i]:.6g}" for r_ in rows)
                                   for k, i in comps if np.abs(rows[-1][k][i]) > 0))


# ----------------------------------------------------------------------------------------------
# Monte Carlo (JAX, float32 networks, float64 statistics).
# ----------------------------------------------------------------------------------------------

NOUT = 4
MC_PAIRS = [(a, b) for a in range(NOUT) for b in range(NOUT) if a != b]
R_PAIRS = [(0, 1), (1, 0), (2, 3), (3, 2)]        # ordered output pairs used for R (third derivatives are costly)
STATS = ["Th1", "A", "O"] + NAMES


def make_stats(act, widths, lb, lw, depth, N):
    """Per-network estimators for the first NOUT neurons of layer `depth` at N inputs: a dict of
    d = mean_i (Ĥ_ii;ab − Θ_ab) (N²), Ucov = mean_{i≠j} (Ĥ_ii;ab − Θ_ab)(Ĥ_jj;cd − Θ_cd), O, P, Q, R, S, T, U (N⁴)."""
    jax, jnp = dntk2._jax()
    sig = dntk2.JACT[act](jnp, jax)
    sw = [np.sqrt(lw[l] / widths[l]) for l in range(depth)]
    sb = [np.sqrt(lb[l]) for l in range(depth)]
    C = N * NOUT
    PA = np.array([p[0] for p in MC_PAIRS])
    PB = np.array([p[1] for p in MC_PAIRS])
    RT = [(a, b, d1, d2, d3) for (a, b) in R_PAIRS for d1 in range(N) for d2 in range(N) for d3 in range(d2, N)]

    def net(params, X):                      # X: (N, n0) -> z: (N·NOUT,), index δ·NOUT + i
        h = X.T
        for l, (pw, pb) in enumerate(params):
            z = (pw * sw[l]) @ h + (pb * sb[l])[:, None]
            h = sig(z) if l < depth - 1 else z
        return z.T.reshape(-1)

    def flat(tree, lead):
        return jnp.concatenate([t.reshape(lead + (-1,)) for t in jax.tree_util.tree_leaves(tree)], axis=-1)

    def one(params, X, theta):
        f = lambda p: net(p, X)  # noqa: E731
        z = f(params)
        J = jax.jacrev(f)(params)

        def hv_rows(v):
            return jax.jacrev(lambda p: jax.jvp(f, (p,), (v,))[1])(params)
        G = jax.vmap(hv_rows)(J)
        Jf, Gf = flat(J, (C,)), flat(G, (C, C))
        P_ = Jf.shape[-1]
        Jr = Jf.reshape(N, NOUT, P_)
        Gr = Gf.reshape(N, NOUT, N, NOUT, P_)                 # G[(δk, ik), (δc, ic)] = H_c J_k
        zr = z.reshape(N, NOUT)
        Hr = (Jf @ Jf.T).reshape(N, NOUT, N, NOUT)
        npair = len(MC_PAIRS)
        Gba, Gab = Gr[:, PB, :, PA, :], Gr[:, PA, :, PB, :]  # (pair, δk, δc, m)
        Gaa, Gbb = Gr[:, PA, :, PA, :], Gr[:, PB, :, PB, :]
        Ja, Jb = jnp.swapaxes(Jr[:, PA], 0, 1), jnp.swapaxes(Jr[:, PB], 0, 1)     # (pair, δ, m)
        za, zb = zr[:, PA].T, zr[:, PB].T                                         # (pair, δ)
        dHP = jnp.einsum("pkcm,pjm->pcjk", Gba, Jb)       # dĤ_{(aδ0)(bδ1)(bδ2)}
        dHQ = jnp.einsum("pkcm,pjm->pcjk", Gba, Ja)       # dĤ_{(aδ0)(aδ1)(bδ2)}
        P = jnp.einsum("pcjk,pd->cjkd", dHP, za) / npair
        Q = jnp.einsum("pcjk,pd->cjkd", dHQ, zb) / npair
        S = jnp.einsum("pkcm,pldm->cdkl", Gba, Gba) / npair
        T = jnp.einsum("pkcm,pldm->cdkl", Gaa, Gbb) / npair
        U = jnp.einsum("pkcm,pldm->cdkl", Gba, Gab) / npair

        def third(va, vb, vc):
            g1 = lambda p: jax.jvp(f, (p,), (vc,))[1]  # noqa: E731
            g2 = lambda p: jax.jvp(g1, (p,), (vb,))[1]  # noqa: E731
            return jax.jvp(g2, (params,), (va,))[1]
        pick = lambda idx: jax.tree_util.tree_map(lambda t: t[idx], J)  # noqa: E731
        ia = np.array([d1 * NOUT + a for (a, b, d1, d2, d3) in RT])
        ib = np.array([d2 * NOUT + b for (a, b, d1, d2, d3) in RT])
        ic = np.array([d3 * NOUT + b for (a, b, d1, d2, d3) in RT])
        d3v = jax.vmap(third)(pick(ia), pick(ib), pick(ic)).reshape(len(RT), N, NOUT)
        d3v = d3v[np.arange(len(RT)), :, np.array([t[0] for t in RT])]              # (triple, δ0)
        R = jnp.zeros((N, N, N, N))
        for k, (a, b, d1, d2, d3) in enumerate(RT):
            R = R.at[:, d1, d2, d3].add(d3v[k] / len(R_PAIRS))
            if d2 != d3:
                R = R.at[:, d1, d3, d2].add(d3v[k] / len(R_PAIRS))
        Hab = Hr[:, PA, :, PB]                                                     # (pair, δ, ε)
        O = jnp.einsum("pde,pgk->degk", Hab, Hab) / npair
        D = jnp.stack([Hr[:, i, :, i] for i in range(NOUT)]) - theta                  # (i, δ, ε)
        sD = D.sum(0)
        Ucov = (jnp.einsum("ab,cd->abcd", sD, sD) - jnp.einsum("iab,icd->abcd", D, D)) / (NOUT * (NOUT - 1))
        return jnp.concatenate([D.mean(0).reshape(-1), Ucov.reshape(-1), O.reshape(-1), P.reshape(-1), Q.reshape(-1),
                                R.reshape(-1), S.reshape(-1), T.reshape(-1), U.reshape(-1)])

    return jax.jit(jax.vmap(one, in_axes=(0, None, None)))


def sample_params(key, widths, cb, cw, lb, lw, depth, batch):
    jax, jnp = dntk2._jax()
    params = []
    for l in range(depth):
        key, k1, k2 = jax.random.split(key, 3)
        nout = widths[l + 1] if l < depth - 1 else NOUT
        sdw = np.sqrt(cw[l] / lw[l])
        sdb = np.sqrt(cb[l] / lb[l]) if lb[l] > 0 else 0.0
        params.append((sdw * jax.random.normal(k1, (batch, nout, widths[l])),
                       sdb * jax.random.normal(k2, (batch, nout))))
    return params


def run_mc(act, widths, cb, cw, lb, lw, X, M, seed, batch, theta, ells):
    """Raw per-network estimator arrays (float64) for the layers `ells` of one depth-L net."""
    jax, jnp = dntk2._jax()
    L = len(widths) - 1
    N = len(X)
    fns = {ell: make_stats(act, widths, lb, lw, ell, N) for ell in ells}
    acc = {ell: [] for ell in ells}
    key = jax.random.PRNGKey(seed)
    Xj = jnp.asarray(X, dtype=jnp.float32)
    done = 0
    while done < M:
        key, sub = jax.random.split(key)
        full = sample_params(sub, widths, cb, cw, lb, lw, L, batch)
        for ell in ells:
            pr = list(full[:ell])
            w, b = pr[-1]
            pr[-1] = (w[:, :NOUT], b[:, :NOUT])
            acc[ell].append(np.asarray(fns[ell](pr, Xj, jnp.asarray(theta[ell], jnp.float32)), dtype=np.float64))
        done += batch
    return {ell: np.concatenate(acc[ell])[:M] for ell in ells}


def estimates(raw, N, n):
    """n_{ℓ−1} × the statistics with standard errors from the per-network arrays: dict name -> (mean, se)."""
    M = raw.shape[0]
    sizes = [N * N, N ** 4, N ** 4] + [N ** 4] * 6
    parts = np.split(raw, np.cumsum(sizes)[:-1], axis=1)
    d, U = parts[0].reshape(M, N, N), parts[1].reshape(M, N, N, N, N)
    out = {}
    dm = d.mean(0)
    out["Th1"] = (n * dm, n * d.std(0, ddof=1) / np.sqrt(M))
    lin = U - np.einsum("kab,cd->kabcd", d, dm) - np.einsum("ab,kcd->kabcd", dm, d)
    out["A"] = (n * (U.mean(0) - np.einsum("ab,cd->abcd", dm, dm)), n * lin.std(0, ddof=1) / np.sqrt(M))
    for name, arr in zip(["O"] + NAMES, parts[2:]):
        a = arr.reshape(M, N, N, N, N)
        out[name] = (n * a.mean(0), n * a.std(0, ddof=1) / np.sqrt(M))
    return out


def independent(name, N):
    """Canonical representatives of the components under the exact symmetries of each tensor."""
    if name == "Th1":
        return [(a, b) for a in range(N) for b in range(a, N)]
    idx = list(itertools.product(range(N), repeat=4))
    group = {
        "A": lambda i: [i, (i[1], i[0], i[2], i[3]), (i[0], i[1], i[3], i[2]), (i[2], i[3], i[0], i[1])],
        "O": lambda i: [i, (i[2], i[3], i[0], i[1]), (i[1], i[0], i[3], i[2])],
        "P": lambda i: [i, (i[0], i[2], i[1], i[3])],
        "R": lambda i: [i, (i[0], i[1], i[3], i[2])],
        "S": lambda i: [i, (i[1], i[0], i[3], i[2])],
        "T": lambda i: [i, (i[1], i[0], i[3], i[2])],
        "U": lambda i: [i, (i[1], i[0], i[3], i[2])],
        "Q": lambda i: [i],
    }[name]
    seen, reps = set(), []
    for i in idx:
        if i in seen:
            continue
        orbit, frontier = {i}, [i]
        while frontier:
            j = frontier.pop()
            for k in group(j):
                if k not in orbit:
                    orbit.add(k)
                    frontier.append(k)
        seen |= orbit
        reps.append(i)
    return reps


# name, activation, widths [n₀, n, n, NOUT] (hidden widths doubled for the second run), C_b, C_W, λ_b, λ_W
MC_CASES = [
    ("tanh", "tanh", [4, 32, 32, NOUT], [0.0] * 3, [1.0] * 3, [0.5] * 3, [2.0] * 3),
    ("relu", "relu", [4, 32, 32, NOUT], [0.0] * 3, [2.0] * 3, [1.0] * 3, [1.0] * 3),
]


def n_distinct(i):
    return len(set(i))


def monte_carlo(quick=False):
    M1, M2 = (600, 400) if quick else (3000, 2400)
    X = four_inputs()
    N = len(X)
    print(f"\n3. Monte Carlo: depth-3 networks, n₀ = 4, N = 4 inputs (|x|²/n₀ = 1, 1.3, 0.8, 1.1; cosines "
          f"0.3 0.6 −0.2 0.5 0.4 0.1), NOUT = {NOUT}, M = {M1} (n) and {M2} (2n) networks; the statistics are "
          "n_(ℓ−1)·E[…]; z = (MC − theory)/se; ext = 2·MC(2n) − MC(n). ℓ = 2 is exact at every width.")
    t0 = time.time()
    allz = {}
    for ci, (name, act, widths, cb, cw, lb, lw) in enumerate(MC_CASES):
        th = theory_multi(act, widths, cb, cw, lb, lw, X @ X.T / X.shape[1])
        theta = {ell: th[ell - 1]["Th"] for ell in (2, 3)}
        w2 = [widths[0]] + [2 * x for x in widths[1:-1]] + [widths[-1]]
        raw1 = run_mc(act, widths, cb, cw, lb, lw, X, M1, 100 + ci, 64, theta, [2, 3])
        raw2 = run_mc(act, w2, cb, cw, lb, lw, X, M2, 200 + ci, 32, theta, [2, 3])
        print(f"\n  {name}: C_b = {cb[0]}, C_W = {cw[0]}, λ_b = {lb[0]}, λ_W = {lw[0]}, widths {widths[1:-1]} | {w2[1:-1]} "
              f"[{time.time() - t0:.0f} s]")
        print(f"  {'ℓ':>1} {'qty':<3} {'#':>3} | max|z| by distinct inputs 1 2 3 4 at n | at 2n | extrapolated | ⟨z²⟩ n 2n ext")
        for ell in (2, 3):
            e1, e2 = estimates(raw1[ell], N, widths[ell - 1]), estimates(raw2[ell], N, w2[ell - 1])
            for q in STATS:
                (m1, s1), (m2, s2) = e1[q], e2[q]
                me, se = 2 * m2 - m1, np.sqrt(4 * s2 ** 2 + s1 ** 2)
                tv = th[ell - 1][q]
                rows = []
                for i in independent(q, N):
                    z = [(m[i] - tv[i]) / s[i] if s[i] > 0 else 0.0 for m, s in ((m1, s1), (m2, s2), (me, se))]
                    rows.append((n_distinct(i), z, i))
                    allz.setdefault((name, ell, n_distinct(i)), []).append(z)
                    if ell == 3 and abs(z[2]) > 3:
                        print(f"    |z_ext| > 3: {q}_{''.join(map(str, i))} theory {tv[i]:.5g}, MC(n) {m1[i]:.5g} ± {s1[i]:.2g}, "
                              f"MC(2n) {m2[i]:.5g} ± {s2[i]:.2g}, ext {me[i]:.5g} ± {se[i]:.2g}")
                zz = np.array([r[1] for r in rows])
                by = [" ".join(f"{np.abs(np.array([r[1][j] for r in rows if r[0] == k])).max():4.1f}"
                               if any(r[0] == k for r in rows) else "   -" for k in (1, 2, 3, 4)) for j in range(3)]
                print(f"  {ell:>1} {q:<3} {len(rows):>3} | {by[0]} | {by[1]} | {by[2]} | "
                      + " ".join(f"{np.mean(zz[:, j] ** 2):4.2f}" for j in range(3)))
            if ell == 3:
                print("    sample (ℓ = 3, four distinct inputs): component theory | MC(n) ± se (z) | MC(2n) ± se (z) | ext ± se (z)")
                for q in STATS[1:]:
                    (m1, s1), (m2, s2) = e1[q], e2[q]
                    me, se = 2 * m2 - m1, np.sqrt(4 * s2 ** 2 + s1 ** 2)
                    tv = th[ell - 1][q]
                    for i in [i for i in independent(q, N) if n_distinct(i) == 4][:2]:
                        print(f"      {q}_{''.join(map(str, i))} {tv[i]:9.4g} | {m1[i]:9.4g} ± {s1[i]:6.2g} ({(m1[i] - tv[i]) / s1[i]:+4.1f}) | "
                              f"{m2[i]:9.4g} ± {s2[i]:6.2g} ({(m2[i] - tv[i]) / s2[i]:+4.1f}) | {me[i]:9.4g} ± {se[i]:6.2g} "
                              f"({(me[i] - tv[i]) / se[i]:+4.1f})")
        sys.stdout.flush()
    print("\n  summary (all independent components of Θ¹ A O P Q R S T U): max |z| and mean z² at n / 2n / ext")
    for name in [c[0] for c in MC_CASES]:
        for ell in (2, 3):
            for k in (1, 2, 3, 4):
                zz = np.abs(np.array(allz[(name, ell, k)]))
                print(f"    {name:<5} ℓ = {ell}, {k} distinct input(s), {len(zz):4d} components: max |z| "
                      f"{zz[:, 0].max():.1f} / {zz[:, 1].max():.1f} / {zz[:, 2].max():.1f}, ⟨z²⟩ "
                      f"{np.mean(zz[:, 0] ** 2):.2f} / {np.mean(zz[:, 1] ** 2):.2f} / {np.mean(zz[:, 2] ** 2):.2f}")
    print(f"  Monte Carlo time {time.time() - t0:.0f} s")


def recheck():
    """tanh, ℓ = 3, doubled widths again with a new seed (M = 2400): in the main run a group of Q components moved
    together by +3…+3.6 se at 2n while the base-width run agreed (docs/derivations/multi-input.md §6)."""
    name, act, widths, cb, cw, lb, lw = MC_CASES[0]
    X = four_inputs()
    N = len(X)
    th = theory_multi(act, widths, cb, cw, lb, lw, X @ X.T / X.shape[1], with_theta1=False)
    w2 = [widths[0]] + [2 * x for x in widths[1:-1]] + [widths[-1]]
    raw = run_mc(act, w2, cb, cw, lb, lw, X, 2400, 9090, 32, {3: th[2]["Th"]}, [3])
    est = estimates(raw[3], N, w2[2])
    print(f"\nrecheck: tanh ℓ = 3, widths {w2[1:-1]}, M = 2400, seed 9090: z = (MC − theory)/se (no extrapolation)")
    for q in ["A", "O"] + NAMES:
        m, se = est[q]
        z = np.array([(m[i] - th[2][q][i]) / se[i] for i in independent(q, N)])
        flagged = [f"{q}_{''.join(map(str, i))} {(m[i] - th[2][q][i]) / se[i]:+.1f}" for i in [(1, 3, 0, 0), (1, 3, 2, 0), (1, 3, 3, 0), (3, 1, 2, 0)]] \
            if q == "Q" else []
        print(f"  {q}: max |z| {np.abs(z).max():.1f}, ⟨z²⟩ {np.mean(z ** 2):.2f}, mean z {np.mean(z):+.2f}  " + "  ".join(flagged))


# ----------------------------------------------------------------------------------------------
# Reference values for the Swift test.
# ----------------------------------------------------------------------------------------------

REF_X = np.array([[1.0, 0.0, 0.0], [0.3, 0.8, 0.0], [-0.2, 0.5, 0.6]])
REF_SPECS = [
    ("tanh, L = 3, width 64, C_b = 0, C_W = 1, λ_b = 0.5, λ_W = 2", "tanh", [3, 64, 64, 1], [0.0] * 3, [1.0] * 3,
     [0.5] * 3, [2.0] * 3),
    ("relu, L = 3, width 64, C_b = 0.1, C_W = 2, λ_b = λ_W = 1", "relu", [3, 64, 64, 1], [0.1] * 3, [2.0] * 3,
     [1.0] * 3, [1.0] * 3),
    ("erf, L = 4, widths [64, 32, 96], C_b = [0.1, 0, 0.2, 0.05], C_W = [1, 2, 1.5, 1.2], λ_b = [0.5, 1, 0.3, 2], "
     "λ_W = [2, 1, 0.7, 1.5]", "erf", [3, 64, 32, 96, 1], [0.1, 0.0, 0.2, 0.05], [1.0, 2.0, 1.5, 1.2],
     [0.5, 1.0, 0.3, 2.0], [2.0, 1.0, 0.7, 1.5]),
]
REF_COMPS = [(0, 1, 2, 0), (2, 0, 1, 1), (1, 2, 0, 2), (0, 0, 1, 2), (2, 1, 1, 0)]


def reference_values():
    print("\n4. reference values (Swift indices [a][b][c][d], 0-based rows of x; x = [[1, 0, 0], [0.3, 0.8, 0], "
          "[-0.2, 0.5, 0.6]], n₀ = 3, ntk parameterization; units of 1/n_(L−1))")
    for label, act, widths, cb, cw, lb, lw in REF_SPECS:
        t0 = time.time()
        r = compute(act, widths, cb, cw, lb, lw, REF_X)
        print(f"  {label}   [python {time.time() - t0:.1f} s]")
        print("    kernel[0][2] = %.10f, ntk[0][2] = %.10f, ntk[1][2] = %.10f, ntkCorrection[0][2] = %.10f, "
              "ntkCorrection[1][2] = %.10f" % (r["K"][0, 2], r["Th"][0, 2], r["Th"][1, 2], r["Th1"][0, 2], r["Th1"][1, 2]))
        for q, field in [("A", "ntkCovarianceA"), ("O", "ntkCovarianceB")] + [(x, x.lower()) for x in NAMES]:
            print(f"    {field}: " + ", ".join(f"[{']['.join(map(str, i))}] = {r[q][i]:.10f}" for i in REF_COMPS))


def main():
    if "--recheck" in sys.argv:
        recheck()
        return
    if "--mc-only" not in sys.argv:
        t0 = time.time()
        consistency_checks()
        print(f"  [checks {time.time() - t0:.0f} s]")
        reference_values()
    if "--theory-only" in sys.argv:
        return
    monte_carlo(quick="--quick" in sys.argv)


if __name__ == "__main__":
    main()
