#!/usr/bin/env python3
"""The order-1/n mean test output of finite-width MLPs trained by full-batch gradient descent on MSE
(PDLT ch. ∞, §∞.2–∞.3; docs/derivations/trained-mean.md; Sources/Training/FiniteWidthTrainedMean.swift).

    E[z_{i;β}(T)] = m^∞_{βi} + m¹_{βi}/n + O(1/n²),   n = n_{L−1},

m^∞ the infinite-width (NTK, discrete-step) mean and m¹ = Θ¹ part + NTK-fluctuation part + dNTK (P, Q)
part + ddNTK (R, S, T, U) part, each an exact finite sum over the eigenmodes of the train NTK with the
time sums in closed form (complete homogeneous symmetric polynomials of the per-segment decay rates).

What this script does:
  1. theory: `predict` (eigenbasis, general k outputs) against `predict_bruteforce` (composite output×sample
     indices, explicit Kronecker tensors, nested time loops in the original basis), k = 1, 2, 3; T = 10⁹
     against T = ∞; `SwiftMirror`, a line-by-line port of the Swift file, against `predict`;
     `first_order_response`: the step equations iterated per network (no expectations) — its ensemble mean
     is what `predict` computes;
  2. Monte Carlo (JAX, float64), depth-3 MLPs, n₀ = 4, k = 1, every network paired with its antithetic
     partner (last layer negated: z(0) → −z(0), same Ĥ, dd's, statistics; the pair average is the odd-in-y
     part and subsumes the control variate z_β(0) − Θ_βA M_T z_A(0)), trained by T steps of GD at two
     learning rates on the same initializations. Measured: n·(E z_β(T) − m^∞); its dynamical part
     n·E[z(T) − z^lin(T)] (z^lin the network linearized at its own init, exact in closed form: O(1) noise per
     network); the algorithm dependence n·E[z(T; η₁) − z(T; η₂)] at convergence;
     - tanh-5in: 3 training + 2 test inputs, the statistics Θ¹, n·Cov Ĥ, n·E[dĤ z], n·E[dd] estimated on the
       same networks (per network: Ĥ, dĤ, dd_IĤ, dd_IIĤ on all inputs by nested jvp / jacrev); z from
       group-paired differences;
  3. fully theoretical: tanh-2in, gelu-2in, relu-2in — one training and one test input, the statistics from the
     two-input theory (check_dntk_two_inputs.py, check_ntk_two_inputs.py, check_ntk_covariance.py; GELU: the
     dNTK/ddNTK statistics only);
  4. --scaling: the moments the derivation drops (E dĤ dĤ, E ΔĤ dĤ z, connected E dd z z) vanish with n;
     --relu-kinks: why ReLU networks leave the 1/n theory (training-input lag ∝ n^{−1/2}).

Run: nice bench/.venv/bin/python bench/nt/check_trained_mean.py [--theory-only | --quick | --case=LABEL | --scaling | --relu-kinks]
     default: tanh-2in, tanh-5in, gelu-2in, relu-2in (13 min wall, 9 min CPU, one thread); --case=relu-5in (≈ 9 min);
     --scaling (the dropped moments vs n, ≈ 1 min); --relu-kinks (≈ 2 min); --theory-only (≈ 5 s)
"""
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 "
                      "--xla_force_host_platform_device_count=1")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import itertools  # noqa: E402

import numpy as np  # noqa: E402

# ----------------------------------------------------------------------------------------------
# 1. Theory.
# ----------------------------------------------------------------------------------------------


def hpoly(n, rates):
    """h_n(r_0, …, r_{m−1}), the complete homogeneous symmetric polynomial of degree n (0 for n < 0),
    for a batch of rate tuples (array (…, m)), as the (0, m−1) entry of J^{n+m−1} with J the bidiagonal
    matrix diag(r) + superdiagonal ones (Opitz: f(J)_{0,m−1} = f[r_0, …, r_{m−1}], and x^N[r] = h_{N−m+1}(r)).
    Exact for repeated rates, no cancellation; O(m³ log n)."""
    rates = np.asarray(rates, float)
    m = rates.shape[-1]
    N = n + m - 1
    shape = rates.shape[:-1]
    if n < 0:
        return np.zeros(shape)
    J = np.zeros(shape + (m, m))
    for i in range(m):
        J[..., i, i] = rates[..., i]
        if i + 1 < m:
            J[..., i, i + 1] = 1.0
    R = np.broadcast_to(np.eye(m), shape + (m, m)).copy()
    P = J
    while N > 0:
        if N & 1:
            R = R @ P
        N >>= 1
        if N:
            P = P @ P
    return R[..., 0, m - 1]


def hfinal(steps, head, x):
    """Σ over the gaps of a time-ordered sum: h_{steps−m}(head…, x) with m = len(head) (the number of
    source times), x the rate of the last segment (1, or u_r for the finite-T response); steps = None:
    the T → ∞ limit, Π 1/(1 − head) for x = 1 and 0 for |x| < 1."""
    head = [np.asarray(h, float) for h in head]
    m = len(head)
    shape = np.broadcast_shapes(*[h.shape for h in head], np.shape(x))
    if steps is None:
        if np.isscalar(x) and x == 1.0:
            out = np.ones(shape)
            for h in head:
                out = out / (1.0 - h)
            return out
        return np.zeros(shape)
    rates = np.stack([np.broadcast_to(h, shape) for h in head] + [np.broadcast_to(x, shape)], -1)
    return hpoly(steps - m, rates)


class Stats:
    """Statistics on all inputs (rows 0..ntr−1 training, then test), units of 1/n:
    E[Ĥ_{i1i2;ab}] = δ(Θ + Θ¹/n); n Cov(Ĥ_{i1i2;ab}, Ĥ_{i3i4;cd}) = δ_{i1i2}δ_{i3i4}A_abcd + δ_{i1i3}δ_{i2i4}B_abcd
    + δ_{i1i4}δ_{i2i3}B_abdc; P, Q, R, S, T, U as in TwoInputDifferentialNTK.swift; K the NNGP kernel."""

    def __init__(self, ntr, K, Th, Th1, A, B, P, Q, R, S, T, U):
        self.ntr = ntr
        self.K, self.Th, self.Th1 = (np.asarray(v, float) for v in (K, Th, Th1))
        self.A, self.B, self.P, self.Q, self.R, self.S, self.T, self.U = (
            np.asarray(v, float) for v in (A, B, P, Q, R, S, T, U))


def dd_pieces():
    """The ddNTK source terms (derivation §4): (kind, slot labels, coefficient/X³, time structure).
    Labels: 'i' the updated output (sample δ), 'a', 'b', 'c' the three residuals. Time structures:
    'a' all three at t; 'b' a, b at t and c at s < t; 'c1' c at t and a, b at s < t; 'c2' a at r < b at s < c at t."""
    J = lambda l: [("D3", l, 1.0), ("D4", l, 1.0), ("D4", (l[0], l[2], l[1], l[3]), 1.0)]  # noqa: E731
    pieces = [("D3", ("i", "a", "b", "c"), -1.0 / 6, "a")]
    pieces += [(k, l, -0.5 * c, "b") for k, l, c in J(("i", "a", "b", "c"))]
    pieces += [("D3", ("i", "c", "a", "b"), -0.5, "c1"), ("D3", ("c", "i", "a", "b"), -0.5, "c1"),
               ("D4", ("i", "c", "a", "b"), -1.0, "c1")]
    pieces += [(k, l, -c, "c2") for k, l, c in J(("i", "c", "b", "a")) + J(("c", "i", "b", "a"))]
    return pieces


DD_PAIRINGS = {"D3": [((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))],
               "D4": [((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))]}


def rotate4(X, W):
    return np.einsum("abcd,ai,bj,ck,dl->ijkl", X, W, W, W, W, optimize=True)


def predict(st, y, steps, eta, with_parts=True):
    """Eigenbasis formula (derivation §5), general k. Returns (m_inf [nte, k], dict part -> m¹ part)."""
    ntr = st.ntr
    na = st.Th.shape[0]
    nte = na - ntr
    y = np.asarray(y, float).reshape(ntr, -1)
    k = y.shape[1]
    X = eta / (ntr * k)
    lam, V = np.linalg.eigh(st.Th[:ntr, :ntr])
    if lam[0] <= 1e-12 * lam[-1]:
        raise ValueError("singular train NTK")
    u = 1 - X * lam
    if np.max(np.abs(u)) >= 1:
        raise ValueError("unstable learning rate")
    W = np.eye(na)
    W[:ntr, :ntr] = V
    Thr = W.T @ st.Th @ W
    Th1r = W.T @ st.Th1 @ W
    Kr = (V.T @ st.K[:ntr, :ntr] @ V)
    yr = V.T @ y                                   # ỹ_{p i}
    Y2 = yr @ yr.T
    rho = Thr[ntr:, :ntr] / lam[None, :]           # ρ_{βp}
    w1 = np.zeros((nte, na))
    w1[:, :ntr] = -rho
    w1[:, ntr:] = np.eye(nte)
    ua = u                                          # rates per train eigenmode
    # infinite-width mean (discrete steps): Σ_p Θ̃_βp X h_{T−1}(u_p, 1) ỹ_p
    minf = Thr[ntr:, :ntr] @ (X * hfinal(steps, [ua], 1.0)[:, None] * yr)

    def respond(C, F):
        """C: (na, *tup, k) coefficients with the updated output δ first (rotated basis); F(x) the time
        factor over *tup for last-segment rate x (scalar 1 or array (ntr, 1…) for x = u_r)."""
        tup = C.shape[1:-1]
        Cf = C.reshape(na, -1, C.shape[-1])
        f1 = np.broadcast_to(F(1.0), tup).reshape(-1)
        out = w1 @ np.einsum("dti,t->di", Cf, f1)
        if steps is not None:
            xr = ua.reshape((ntr,) + (1,) * len(tup))
            fu = np.broadcast_to(F(xr), (ntr,) + tup).reshape(ntr, -1)
            out = out + rho @ np.einsum("rti,rt->ri", Cf[:ntr], fu)
        return out

    parts = {}
    # (i) Θ¹: source X Θ̃¹_{δq} u_q^t ỹ_q
    C = X * Th1r[:, :ntr, None] * yr[None, :, :]
    parts["ntk mean Θ¹"] = respond(C, lambda x: hfinal(steps, [ua], x))
    # (ii) NTK fluctuations: −X² Σ_{s<t} u_p^s u_q^{t−1−s} 𝔸_{δqqp} ỹ_p
    Ar, Br = rotate4(st.A, W), rotate4(st.B, W)
    q_, p_ = np.arange(ntr)[:, None], np.arange(ntr)[None, :]
    AA = Ar[:, q_, q_, p_] + Br[:, q_, q_, p_] + k * Br[:, q_, p_, q_]          # [δ, q, p]
    C = -X * X * np.einsum("dqp,pi->dpqi", AA, yr)
    parts["ntk fluctuation"] = respond(C, lambda x: hfinal(steps, [ua[:, None], ua[None, :]], x))
    # (iii) dNTK
    Pr, Qr = rotate4(st.P, W), rotate4(st.Q, W)
    tr = np.arange(ntr)
    pp, qq = tr[:, None], tr[None, :]
    P1 = Pr[:, pp, qq, pp] + Qr[:, pp, qq, pp] + k * Qr[:, qq, pp, pp]          # [δ, p, q]
    C1 = -X * X * np.einsum("dpq,qi->dpqi", P1, yr)
    uu = ua[:, None] * ua[None, :]
    dn1 = respond(C1, lambda x: hfinal(steps, [uu], x))
    P2a = (Pr[:, qq, pp, pp] + Qr[:, pp, qq, pp] + k * Qr[:, qq, pp, pp]
           + np.transpose(Pr, (1, 0, 2, 3))[:, qq, pp, pp] + np.transpose(Qr, (2, 0, 1, 3))[:, qq, pp, pp]
           + k * np.transpose(Qr, (1, 0, 2, 3))[:, qq, pp, pp])
    P2b = (Pr[:, qq, pp, qq] + Qr[:, qq, pp, qq] + k * Qr[:, pp, qq, qq]
           + k * np.transpose(Pr, (1, 0, 2, 3))[:, qq, pp, qq] + np.transpose(Qr, (1, 0, 2, 3))[:, qq, pp, qq]
           + np.transpose(Qr, (2, 0, 1, 3))[:, qq, pp, qq])
    C2 = -X * X * (np.einsum("dpq,qi->dpqi", P2a, yr) + np.einsum("dpq,pi->dpqi", P2b, yr))
    dn2 = respond(C2, lambda x: ua[None, :] * hfinal(steps, [uu, ua[None, :]], x))
    parts["dNTK"] = dn1 + dn2
    # (iv) ddNTKs
    Rr, Sr, Tr, Ur = (rotate4(v, W) for v in (st.R, st.S, st.T, st.U))
    tens = {"D3": [Rr, Rr, Rr], "D4": [Sr, Tr, Ur]}
    # D3 pairing (s0 s1)(s2 s3) ↦ R_{σ0σ1σ2σ3}, (s0 s2)(s1 s3) ↦ R_{σ0σ2σ1σ3}, (s0 s3)(s1 s2) ↦ R_{σ0σ3σ1σ2};
    # D4: (12)(34) ↦ S_{σ1σ2σ3σ4}, (13)(24) ↦ T_{σ1σ2σ3σ4}, (14)(23) ↦ U_{σ1σ2σ3σ4}.
    order3 = [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2)]
    letter = {"i": "d", "a": "a", "b": "b", "c": "c"}
    ra, rb, rc = ua[:, None, None], ua[None, :, None], ua[None, None, :]
    timef = {"a": lambda x: hfinal(steps, [ra * rb * rc], x),
             "b": lambda x: ra * rb * hfinal(steps, [ra * rb * rc, ra * rb], x),
             "c1": lambda x: rc * hfinal(steps, [ra * rb * rc, rc], x),
             "c2": lambda x: rb * rc * rc * hfinal(steps, [ra * rb * rc, rb * rc, rc], x)}
    sl = {"i": slice(None), "a": slice(0, ntr), "b": slice(0, ntr), "c": slice(0, ntr)}
    ddparts = {}
    for kind, labels, coef, tt in dd_pieces():
        C = np.zeros((na, ntr, ntr, ntr, k))
        for ip, (pa, pb) in enumerate(DD_PAIRINGS[kind]):
            tensor = tens[kind][ip]
            axes = order3[ip] if kind == "D3" else (0, 1, 2, 3)
            # value = tensor[σ_{axes[0]}, σ_{axes[1]}, σ_{axes[2]}, σ_{axes[3]}]
            sub = "".join(letter[labels[s]] for s in axes)
            view = tensor[tuple(sl[labels[s]] for s in axes)]
            Tv = np.einsum(sub + "->dabc", view)
            islot = labels.index("i")
            pair_i, other = (pa, pb) if islot in pa else (pb, pa)
            Alab = labels[pair_i[0] if pair_i[1] == islot else pair_i[1]]
            BC = sorted(labels[s] for s in other)
            # E[ε ε ε] = −[K_ab y_c + K_ac y_b + K_bc y_a + y y y] with the output-index rule of §4
            fac = np.zeros((ntr, ntr, ntr, k))
            for (x1, x2), z in ((("a", "b"), "c"), (("a", "c"), "b"), (("b", "c"), "a")):
                kf = k if sorted((x1, x2)) == BC else 1.0
                fac += kf * np.einsum(f"{x1}{x2},{z}i->abci", Kr, yr)
            fac += np.einsum(f"{Alab}i,{BC[0]}{BC[1]}->abci", yr, Y2)
            C += coef * (-1.0) * Tv[..., None] * fac[None]
        val = respond(X ** 3 * C, timef[tt])
        ddparts[tt] = ddparts.get(tt, 0) + val
    parts["ddNTK"] = sum(ddparts.values())
    if with_parts:
        for tt, v in ddparts.items():
            parts["ddNTK:" + tt] = v
        parts["dNTK:1"], parts["dNTK:2"] = dn1, dn2
    return minf, parts


def m1_total(parts):
    return sum(v for kk, v in parts.items() if ":" not in kk)


# ---- brute force: composite (output, sample) indices, explicit Kronecker tensors and time loops ----

def composite(st, k):
    na = st.Th.shape[0]
    I = np.eye(k)

    def two(M):
        return np.einsum("ij,ab->iajb", I, M).reshape(k * na, k * na)

    def four(terms):
        out = np.zeros((k, na) * 4)
        for pairing, X in terms:
            (p1, p2), (p3, p4) = pairing
            idx = "ijlm"
            dl = np.einsum(f"{idx[p1]}{idx[p2]},{idx[p3]}{idx[p4]}->ijlm", I, I)
            out += np.einsum("ijlm,abcd->iajblcmd", dl, X)
        return out.reshape((k * na,) * 4)

    sw = lambda X, perm: np.transpose(X, perm)  # noqa: E731
    c = {}
    c["Th"], c["Th1"], c["K"] = two(st.Th), two(st.Th1), two(st.K)
    # n Cov(Ĥ_{I1 I2}, Ĥ_{I3 I4})
    c["Cov"] = four([(((0, 1), (2, 3)), st.A), (((0, 2), (1, 3)), st.B), (((0, 3), (1, 2)), sw(st.B, (0, 1, 3, 2)))])
    # n E[dĤ_{I0 I1 I2} z_{I3}]: δ_{i0i3}δ_{i1i2} P_{abcd} + δ_{i0i1}δ_{i2i3} Q_{abcd} + δ_{i0i2}δ_{i1i3} Q_{acbd}
    c["dHz"] = four([(((0, 3), (1, 2)), st.P), (((0, 1), (2, 3)), st.Q), (((0, 2), (1, 3)), sw(st.Q, (0, 2, 1, 3)))])
    # n E[D3]: δ01δ23 R_abcd + δ02δ13 R_acbd + δ03δ12 R_adbc  (R_adbc as a tensor over (a,b,c,d): transpose)
    c["D3"] = four([(((0, 1), (2, 3)), st.R), (((0, 2), (1, 3)), sw(st.R, (0, 2, 1, 3))),
                    (((0, 3), (1, 2)), sw(st.R, (0, 2, 3, 1)))])
    c["D4"] = four([(((0, 1), (2, 3)), st.S), (((0, 2), (1, 3)), st.T), (((0, 3), (1, 2)), st.U)])
    return c


def predict_bruteforce(st, y, steps, eta):
    """Original-basis, composite-index evaluation of the same sources (derivation §3–4) by explicit
    time loops: O(T³); for small T only."""
    ntr = st.ntr
    na = st.Th.shape[0]
    y = np.asarray(y, float).reshape(ntr, -1)
    k = y.shape[1]
    X = eta / (ntr * k)
    c = composite(st, k)
    tr = np.array([i * na + a for i in range(k) for a in range(ntr)])
    te = np.array([i * na + a for i in range(k) for a in range(ntr, na)])
    nc = k * na
    yc = np.zeros(nc)
    for i in range(k):
        yc[i * na:i * na + ntr] = y[:, i]
    Th = c["Th"]
    U = np.eye(len(tr)) - X * Th[np.ix_(tr, tr)]
    Up = [np.linalg.matrix_power(U, t) for t in range(steps + 1)]
    Kt = c["K"][np.ix_(tr, tr)]
    m = [-Up[t] @ yc[tr] for t in range(steps)]                      # E ε(t)
    Cm = lambda t1, t2: Up[t1] @ Kt @ Up[t2].T  # noqa: E731

    def e3(t1, t2, t3):
        return (np.einsum("ab,c->abc", Cm(t1, t2), m[t3]) + np.einsum("ac,b->abc", Cm(t1, t3), m[t2])
                + np.einsum("bc,a->abc", Cm(t2, t3), m[t1]) + np.einsum("a,b,c->abc", m[t1], m[t2], m[t3]))

    def sub(Tn, axes_tr):
        out = Tn
        for ax in axes_tr:
            out = np.take(out, tr, axis=ax)
        return out
    D3f, D4f = c["D3"], c["D4"]
    Jc = D3f + D4f + np.transpose(D4f, (0, 2, 1, 3))                   # 𝒥_{I0 I1 I2 J}
    Kc = 0.5 * D3f + 0.5 * np.transpose(D3f, (1, 0, 2, 3)) + D4f       # 𝒦_{I1 I2 J1 J2}
    dHz = c["dHz"]
    Cov = c["Cov"]
    parts = {k_: np.zeros((steps, nc)) for k_ in ("ntk mean Θ¹", "ntk fluctuation", "dNTK", "ddNTK")}
    for t in range(steps):
        parts["ntk mean Θ¹"][t] = -X * c["Th1"][:, tr] @ m[t]
        acc = np.zeros(nc)
        for s in range(t):
            acc += X * X * np.einsum("dcab,ca,b->d", sub(Cov, (1, 2, 3)), Up[t - 1 - s], m[s])
        parts["ntk fluctuation"][t] = acc
        # dNTK: P1 (X²/2) E[dĤ_{δab} ε_a(t) ε_b(t)]; P2 X² Σ_{s<t} E[(dĤ_{δca} + dĤ_{cδa}) ε_a(s) ε_c(t)]
        dsub = sub(dHz, (1, 2, 3))
        v = 0.5 * X * X * (np.einsum("dabe,ae,b->d", dsub, Up[t], m[t]) + np.einsum("dabe,be,a->d", dsub, Up[t], m[t]))
        d2 = sub(dHz, (2, 3))                                        # [δ, c, a, ξ] with δ any, c, a, ξ train
        dca = d2[:, tr]                                              # dĤ_{δ c a} → [δ, c, a, e]
        cda = np.transpose(sub(dHz, (0, 2, 3)), (1, 0, 2, 3))        # dĤ_{c δ a} → [δ, c, a, e]
        for s in range(t):
            both = dca + cda
            v += X * X * (np.einsum("dcae,ae,c->d", both, Up[s], m[t]) + np.einsum("dcae,ce,a->d", both, Up[t], m[s]))
        parts["dNTK"][t] = v
        # ddNTKs
        w = -(X ** 3 / 6) * np.einsum("dabc,abc->d", sub(D3f, (1, 2, 3)), e3(t, t, t))
        Jd = sub(Jc, (1, 2, 3))
        Kd = sub(Kc, (1, 2, 3))
        Jc2 = sub(Jc, (1, 2, 3)) + np.transpose(sub(Jc, (0, 2, 3)), (1, 0, 2, 3))   # 𝒥_{δcba} + 𝒥_{cδba} → [δ,c,b,a]
        for s in range(t):
            w += -(X ** 3 / 2) * np.einsum("dabc,abc->d", Jd, e3(t, t, s))
            w += -(X ** 3) * np.einsum("dcab,abc->d", Kd, e3(s, s, t))
            for r in range(s):
                w += -(X ** 3) * np.einsum("dcba,abc->d", Jc2, e3(r, s, t))
        parts["ddNTK"][t] = w
    out = {}
    Th_bA = Th[np.ix_(te, tr)]
    for name, S in parts.items():
        z = np.zeros(len(te))
        for t in range(steps):
            mlen = steps - 1 - t
            M = X * sum(Up[j] for j in range(mlen)) if mlen > 0 else np.zeros_like(U)
            z += S[t][te] - Th_bA @ M @ S[t][tr]
        out[name] = z.reshape(k, na - ntr).T
    Msum = X * sum(Up[j] for j in range(steps))
    minf = (Th_bA @ Msum @ yc[tr]).reshape(k, na - ntr).T
    return minf, out


def random_stats(ntr, nte, rng, scale=1.0):
    """Random statistics with the index symmetries of the real ones (for the algebra checks)."""
    na = ntr + nte
    G = rng.normal(size=(na, na + 3))
    Th = G @ G.T / na + 0.5 * np.eye(na)
    G2 = rng.normal(size=(na, na + 2))
    K = G2 @ G2.T / na
    Th1 = rng.normal(size=(na, na))
    Th1 = Th1 + Th1.T
    r4 = lambda: scale * rng.normal(size=(na,) * 4)  # noqa: E731
    A = r4()
    A = A + np.transpose(A, (1, 0, 2, 3))
    A = A + np.transpose(A, (0, 1, 3, 2))
    A = A + np.transpose(A, (2, 3, 0, 1))
    B = r4()
    B = B + np.transpose(B, (2, 3, 0, 1))
    B = B + np.transpose(B, (1, 0, 3, 2))
    P = r4()
    P = P + np.transpose(P, (0, 2, 1, 3))
    Q = r4()
    R = r4()
    R = R + np.transpose(R, (0, 1, 3, 2))
    S, T, U = (r4() for _ in range(3))
    S, T, U = (v + np.transpose(v, (1, 0, 3, 2)) for v in (S, T, U))
    return Stats(ntr, K, Th, Th1, A, B, P, Q, R, S, T, U)


def algebra_checks():
    rng = np.random.default_rng(7)
    print("algebra checks (random statistics): eigenbasis formula vs brute force (composite indices, time loops)")
    worst = 0.0
    for ntr, nte, k, steps, eta in ((2, 2, 1, 5, 1.3), (3, 1, 2, 4, 2.0), (2, 2, 3, 4, 2.5), (1, 1, 1, 6, 0.7), (3, 2, 2, 5, 1.1)):
        st = random_stats(ntr, nte, rng)
        lam = np.linalg.eigvalsh(st.Th[:ntr, :ntr])
        eta = min(eta, 1.6 * ntr * k / lam[-1])
        y = rng.normal(size=(ntr, k))
        mi, parts = predict(st, y, steps, eta)
        mb, pb = predict_bruteforce(st, y, steps, eta)
        line = [f"ntr {ntr} nte {nte} k {k} T {steps}: m∞ {np.abs(mi - mb).max():.1e}"]
        for name in pb:
            d = np.abs(parts[name] - pb[name]).max() / max(np.abs(pb[name]).max(), 1e-12)
            worst = max(worst, d)
            line.append(f"{name} {d:.1e}")
        print("  " + ", ".join(line))
    print(f"  worst relative difference {worst:.1e}")
    # T → ∞: closed form vs a very large T through the matrix powers
    st = random_stats(3, 2, rng)
    y = rng.normal(size=(3, 2))
    lam = np.linalg.eigvalsh(st.Th[:3, :3])
    eta = 0.9 * 3 * 2 / lam[-1]
    a, pa = predict(st, y, None, eta)
    b, pb = predict(st, y, 10 ** 9, eta)
    print("  T = ∞ closed form vs T = 10⁹: " + ", ".join(
        f"{kk} {np.abs(pa[kk] - pb[kk]).max() / max(np.abs(pa[kk]).max(), 1e-300):.1e}" for kk in pa if ":" not in kk))
    # repeated eigenvalues (degenerate train NTK): continuity
    st = random_stats(3, 1, rng)
    st.Th[:3, :3] = 2.0 * np.eye(3) + 0.5
    y = rng.normal(size=(3, 1))
    a1 = m1_total(predict(st, y, 37, 0.8)[1])
    st.Th[0, 0] += 1e-7
    a2 = m1_total(predict(st, y, 37, 0.8)[1])
    print(f"  degenerate train NTK (eigenvalues 2, 2, 3.5) vs a 1e-7 split: {np.abs(a1 - a2).max():.1e}")


# ---- line-by-line mirror of Sources/Training/FiniteWidthTrainedMean.swift ----

def _bidiagonal_power(rates, m, exponent):
    """FiniteWidthTrainedMean.bidiagonalPower: (J^N)_{0,m−1}, J = diag(rates[:m]) + superdiagonal ones."""
    R = np.zeros(16)
    P = np.zeros(16)
    for i in range(m):
        R[i * 4 + i] = 1
        P[i * 4 + i] = rates[i]
        if i + 1 < m:
            P[i * 4 + i + 1] = 1

    def mul(a, b):
        c = np.zeros(16)
        for i in range(m):
            for j in range(i, m):
                c[i * 4 + j] = sum(a[i * 4 + l] * b[l * 4 + j] for l in range(i, j + 1))
        return c
    e = exponent
    while e > 0:
        if e & 1:
            R = mul(R, P)
        e >>= 1
        if e > 0:
            P = mul(P, P)
    return R[m - 1]


class SwiftMirror:
    def __init__(self, st, y, steps, eta):
        n = st.Th.shape[0]
        self.nTr, self.nTe, self.n = st.ntr, n - st.ntr, n
        y = np.asarray(y, float)
        self.k = y.shape[1]
        nTr, nTe, k = self.nTr, self.nTe, self.k
        train = 0.5 * (st.Th[:nTr, :nTr] + st.Th[:nTr, :nTr].T)
        lam, V = np.linalg.eigh(train)
        if not (lam[-1] > 0 and lam[0] > 1e-12 * lam[-1]):
            raise ValueError("singular")
        x = eta / (nTr * k)
        if not x * lam[-1] < 2:
            raise ValueError("unstable")
        self.steps, self.x, self.u, self.v, self.lam = steps, x, 1 - x * lam, V, lam
        self.yt = V.T @ y
        self.kt = V.T @ st.K[:nTr, :nTr] @ V
        self.y2 = self.yt @ self.yt.T
        self.thetaTestTrain = st.Th[nTr:, :nTr] @ V
        self.rho = self.thetaTestTrain / lam[None, :]
        self.st = st

    def timeSum(self, head, m, last, direct):
        if self.steps is None:
            if not direct:
                return 0.0
            out = 1.0
            for i in range(m):
                out /= 1 - head[i]
            return out
        rates = list(head[:m]) + [last]
        return _bidiagonal_power(rates, m + 1, self.steps)

    def respond(self, s1, su):
        nTr = self.nTr
        out = s1[nTr:].copy()
        out -= self.rho @ (s1[:nTr] - su)
        return out

    def infiniteWidthMean(self):
        f = np.array([self.x * self.timeSum([uu], 1, 1.0, True) for uu in self.u])
        return self.thetaTestTrain @ (f[:, None] * self.yt)

    def rotate(self, data, testAxis):
        n, nTr = self.n, self.nTr
        dims = [nTr] * 4
        if testAxis is not None:
            dims[testAxis] = n - nTr
        off = [nTr if j == testAxis else 0 for j in range(4)]
        cur = data.reshape(n, n, n, n)[off[0]:off[0] + dims[0], off[1]:off[1] + dims[1], off[2]:off[2] + dims[2],
                                       off[3]:off[3] + dims[3]].reshape(-1).copy()
        cd, ids = list(dims), [0, 1, 2, 3]
        for _ in range(4):
            if ids[3] != testAxis:
                cur = (cur.reshape(-1, cd[3]) @ self.v).reshape(-1)
            d0, d1, d2, d3 = cd
            cur = np.transpose(cur.reshape(d0, d1, d2, d3), (3, 0, 1, 2)).reshape(-1).copy()
            cd = [d3, d0, d1, d2]
            ids = [ids[3], ids[0], ids[1], ids[2]]
        return cur

    def blocks(self, data, testAxes):
        b = {"train": self.rotate(data.reshape(-1), None), "test": [None] * 4}
        if self.nTe > 0:
            for a in testAxes:
                b["test"][a] = self.rotate(data.reshape(-1), a)
        return b

    def value(self, b, i0, i1, i2, i3, deltaAxis):
        nTr, nTe = self.nTr, self.nTe
        idx = [i0, i1, i2, i3]
        delta = idx[deltaAxis]
        if delta < nTr:
            return b["train"][((i0 * nTr + i1) * nTr + i2) * nTr + i3]
        d = [nTr] * 4
        d[deltaAxis] = nTe
        j = list(idx)
        j[deltaAxis] -= nTr
        return b["test"][deltaAxis][((j[0] * d[1] + j[1]) * d[2] + j[2]) * d[3] + j[3]]

    def gather(self, b, axisOf):
        nTr, nTe, n = self.nTr, self.nTe, self.n
        m3 = nTr ** 3
        out = np.zeros((n, m3))
        strideTrain = [nTr ** 3, nTr ** 2, nTr, 1]
        dims = [nTr] * 4
        dims[axisOf[0]] = nTe
        strideTest = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1]
        for d in range(n):
            isTrain = d < nTr
            stt = strideTrain if isTrain else strideTest
            base = (d if isTrain else d - nTr) * stt[axisOf[0]]
            sa, sb, sc = stt[axisOf[1]], stt[axisOf[2]], stt[axisOf[3]]
            data = b["train"] if isTrain else b["test"][axisOf[0]]
            for a in range(nTr):
                for bb in range(nTr):
                    for c in range(nTr):
                        out[d, (a * nTr + bb) * nTr + c] = data[base + a * sa + bb * sb + c * sc]
        return out

    def rotated2(self, M):
        nTr = self.nTr
        right = M[:, :nTr] @ self.v
        out = right.copy()
        out[:nTr] = self.v.T @ right[:nTr]
        return out

    def ntkMeanPart(self):
        n, nTr, k, x, u, yt = self.n, self.nTr, self.k, self.x, self.u, self.yt
        rot = self.rotated2(self.st.Th1)
        s1, su = np.zeros((n, k)), np.zeros((nTr, k))
        f1 = [self.timeSum([u[q]], 1, 1.0, True) for q in range(nTr)]
        for d in range(n):
            for q in range(nTr):
                s1[d] += x * rot[d, q] * f1[q] * yt[q]
        if self.steps is not None:
            for r in range(nTr):
                for q in range(nTr):
                    su[r] += x * rot[r, q] * self.timeSum([u[q]], 1, u[r], False) * yt[q]
        return self.respond(s1, su)

    def ntkFluctuationPart(self):
        n, nTr, k, x, u, yt = self.n, self.nTr, self.k, self.x, self.u, self.yt
        a, b = self.blocks(self.st.A, [0]), self.blocks(self.st.B, [0])
        s1, su = np.zeros((n, k)), np.zeros((nTr, k))
        V = self.value
        for d in range(n):
            for q in range(nTr):
                for p in range(nTr):
                    aa = V(a, d, q, q, p, 0) + V(b, d, q, q, p, 0) + k * V(b, d, q, p, q, 0)
                    c = -x * x * aa
                    f1 = self.timeSum([u[p], u[q]], 2, 1.0, True)
                    s1[d] += c * f1 * yt[p]
                    if self.steps is not None and d < nTr:
                        su[d] += c * self.timeSum([u[p], u[q]], 2, u[d], False) * yt[p]
        return self.respond(s1, su)

    def dntkPart(self):
        n, nTr, k, x, u, yt = self.n, self.nTr, self.k, self.x, self.u, self.yt
        pb, qb = self.blocks(self.st.P, [0, 1]), self.blocks(self.st.Q, [0, 1, 2])
        V = self.value
        s1, su = np.zeros((n, k)), np.zeros((nTr, k))
        for d in range(n):
            for p in range(nTr):
                for q in range(nTr):
                    uu = u[p] * u[q]
                    c1 = -x * x * (V(pb, d, p, q, p, 0) + V(qb, d, p, q, p, 0) + k * V(qb, d, q, p, p, 0))
                    pa = (V(pb, d, q, p, p, 0) + V(qb, d, p, q, p, 0) + k * V(qb, d, q, p, p, 0)
                          + V(pb, q, d, p, p, 1) + V(qb, q, p, d, p, 2) + k * V(qb, q, d, p, p, 1))
                    pbv = (V(pb, d, q, p, q, 0) + V(qb, d, q, p, q, 0) + k * V(qb, d, p, q, q, 0)
                           + k * V(pb, q, d, p, q, 1) + V(qb, q, d, p, q, 1) + V(qb, q, p, d, q, 2))
                    f1a = self.timeSum([uu], 1, 1.0, True)
                    f1b = u[q] * self.timeSum([uu, u[q]], 2, 1.0, True)
                    fua = fub = 0.0
                    if self.steps is not None and d < nTr:
                        fua = self.timeSum([uu], 1, u[d], False)
                        fub = u[q] * self.timeSum([uu, u[q]], 2, u[d], False)
                    src1 = c1 * yt[q]
                    src2 = -x * x * (pa * yt[q] + pbv * yt[p])
                    s1[d] += src1 * f1a + src2 * f1b
                    if d < nTr:
                        su[d] += src1 * fua + src2 * fub
        return self.respond(s1, su)

    def ddntkPart(self):
        n, nTr, k, x, u, yt, kt, y2 = self.n, self.nTr, self.k, self.x, self.u, self.yt, self.kt, self.y2
        m3 = nTr ** 3
        heads = {"a": lambda a, b, c: ([a * b * c], 1, 1.0), "b": lambda a, b, c: ([a * b * c, a * b], 2, a * b),
                 "c1": lambda a, b, c: ([a * b * c, c], 2, c), "c2": lambda a, b, c: ([a * b * c, b * c, c], 3, b * c * c)}
        f1, fu = {}, {}
        for t, hf in heads.items():
            one = np.zeros(m3)
            resp = np.zeros((nTr, m3))
            for a, b, c in itertools.product(range(nTr), repeat=3):
                head, m, pre = hf(u[a], u[b], u[c])
                idx = (a * nTr + b) * nTr + c
                one[idx] = pre * self.timeSum(head, m, 1.0, True)
                if self.steps is not None:
                    for r in range(nTr):
                        resp[r, idx] = pre * self.timeSum(head, m, u[r], False)
            f1[t], fu[t] = one, resp
        fac = np.zeros((3, m3, k))
        for a, b, c in itertools.product(range(nTr), repeat=3):
            idx = (a * nTr + b) * nTr + c
            kab, kac, kbc = kt[a, b] * yt[c], kt[a, c] * yt[b], kt[b, c] * yt[a]
            fac[0, idx] = kab + kac + k * kbc + yt[a] * y2[b, c]
            fac[1, idx] = kab + k * kac + kbc + yt[b] * y2[a, c]
            fac[2, idx] = k * kab + kac + kbc + yt[c] * y2[a, b]
        s1, su = np.zeros((n, k)), np.zeros((nTr, k))
        lab = {"i": 0, "a": 1, "b": 2, "c": 3}
        for kind, pairing, data in (("D3", 0, self.st.R), ("D4", 0, self.st.S), ("D4", 1, self.st.T), ("D4", 2, self.st.U)):
            blocks = self.blocks(data, [0, 1, 2])
            for pkind, labels, coefficient, time in dd_pieces():
                if pkind != kind:
                    continue
                for pr in ([0, 1, 2] if kind == "D3" else [pairing]):
                    axes = [[0, 1, 2, 3], [0, 2, 1, 3], [0, 3, 1, 2]][pr] if kind == "D3" else [0, 1, 2, 3]
                    pairs = [[(0, 1), (2, 3)], [(0, 2), (1, 3)], [(0, 3), (1, 2)]][pr]
                    iSlot = labels.index("i")
                    withI = pairs[0] if iSlot in pairs[0] else pairs[1]
                    partner = labels[withI[1] if withI[0] == iSlot else withI[0]]
                    part = {"a": 0, "b": 1, "c": 2}[partner]
                    axisOf = [0] * 4
                    for j in range(4):
                        axisOf[lab[labels[axes[j]]]] = j
                    tp = self.gather(blocks, axisOf)
                    coef = -coefficient * x ** 3
                    g = coef * fac[part] * f1[time][:, None]
                    s1 += tp @ g
                    if self.steps is not None:
                        for r in range(nTr):
                            su[r] += coef * ((tp[r] * fu[time][r])[:, None] * fac[part]).sum(0)
        return self.respond(s1, su)


def swift_mirror_checks():
    rng = np.random.default_rng(11)
    worst = 0.0
    for ntr, nte, k, steps in ((2, 2, 1, 6), (3, 1, 2, 9), (2, 3, 3, None), (1, 1, 1, 4), (3, 2, 2, None), (2, 1, 1, 0)):
        st = random_stats(ntr, nte, rng)
        y = rng.normal(size=(ntr, k))
        lam = np.linalg.eigvalsh(st.Th[:ntr, :ntr])
        eta = 1.3 * ntr * k / lam[-1]
        mi, parts = predict(st, y, steps, eta)
        sm = SwiftMirror(st, y, steps, eta)
        got = {"ntk mean Θ¹": sm.ntkMeanPart(), "ntk fluctuation": sm.ntkFluctuationPart(), "dNTK": sm.dntkPart(), "ddNTK": sm.ddntkPart()}
        worst = max(worst, np.abs(sm.infiniteWidthMean() - mi).max())
        for name, v in got.items():
            worst = max(worst, np.abs(v - parts[name]).max() / max(np.abs(parts[name]).max(), 1e-12))
    # and the reference-value cases (formula_stats)
    st = formula_stats(2, 2)
    for y, T, eta in ((np.array([[1.0], [-1.0]]), 7, 0.9), (np.array([[1.0, 0.5], [-1.0, 0.25]]), None, 1.7)):
        mi, parts = predict(st, y, T, eta)
        sm = SwiftMirror(st, y, T, eta)
        got = {"ntk mean Θ¹": sm.ntkMeanPart(), "ntk fluctuation": sm.ntkFluctuationPart(), "dNTK": sm.dntkPart(), "ddNTK": sm.ddntkPart()}
        worst = max(worst, np.abs(sm.infiniteWidthMean() - mi).max())
        for name, v in got.items():
            worst = max(worst, np.abs(v - parts[name]).max() / max(np.abs(parts[name]).max(), 1e-12))
    print(f"  line-by-line mirror of FiniteWidthTrainedMean.swift vs predict(): worst relative difference {worst:.1e} "
          "(6 random cases, k = 1–3, T finite, 0 and ∞, and the reference-value cases)")


# ----------------------------------------------------------------------------------------------
# 2. Monte Carlo (JAX, float64).
# ----------------------------------------------------------------------------------------------

def _jax():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


JACT = {"tanh": lambda jnp, jax: jnp.tanh, "relu": lambda jnp, jax: jax.nn.relu,
        "gelu": lambda jnp, jax: (lambda t: jax.nn.gelu(t, approximate=False))}


def make_fns(act, widths, lb, lw, Xall, ntr, y, etas, checkpoints):
    """Jitted, vmapped per-network functions: init statistics (z, Ĥ, dĤ, dd_IĤ, dd_IIĤ on all inputs; the
    learning-rate tensor is the identity in these coordinates: W = √(λ_W/n) W̃, b = √λ_b b̃) and GD training
    (k = 1, L = (1/2N) Σ (z − y)², θ̃ ← θ̃ − η ∇L) recording the test outputs at the checkpoints."""
    jax, jnp = _jax()
    sig = JACT[act](jnp, jax)
    depth = len(widths) - 1
    sw = [np.sqrt(lw[l] / widths[l]) for l in range(depth)]
    sb = [np.sqrt(lb[l]) for l in range(depth)]
    Xa = jnp.asarray(Xall)
    Xt = Xa[:ntr]
    yj = jnp.asarray(np.asarray(y, float).reshape(-1))
    na = Xall.shape[0]

    def net(params, X):
        h = X.T
        for l, (pw, pb) in enumerate(params):
            z = (pw * sw[l]) @ h + (pb * sb[l])[:, None]
            h = sig(z) if l < depth - 1 else z
        return z[0]                                   # (inputs,), k = 1

    def flat(tree, lead):
        return jnp.concatenate([t.reshape(lead + (-1,)) for t in jax.tree_util.tree_leaves(tree)], axis=-1)

    triples = [t for t in itertools.combinations_with_replacement(range(na), 3)]
    tb, tc, td = (np.array([t[i] for t in triples]) for i in range(3))

    def stats(params):
        f = lambda p: net(p, Xa)  # noqa: E731
        z = f(params)
        J = jax.jacrev(f)(params)
        Jf = flat(J, (na,))
        H = Jf @ Jf.T

        def hv_rows(v):
            return jax.jacrev(lambda p: jax.jvp(f, (p,), (v,))[1])(params)
        G = jax.vmap(hv_rows)(J)                                  # G[c][a] = H_a J_c
        Gf = flat(G, (na, na))
        dH = jnp.einsum("cam,bm->abc", Gf, Jf)                    # Σ ∂²z_a ∂z_b ∂z_c (symmetric in b, c)
        D4 = jnp.einsum("cam,dbm->abcd", Gf, Gf)

        def third(va, vb, vc):
            g1 = lambda p: jax.jvp(f, (p,), (vc,))[1]  # noqa: E731
            g2 = lambda p: jax.jvp(g1, (p,), (vb,))[1]  # noqa: E731
            return jax.jvp(g2, (params,), (va,))[1]
        pick = lambda idx: jax.tree_util.tree_map(lambda t: t[idx], J)  # noqa: E731
        d3 = jax.vmap(third)(pick(tb), pick(tc), pick(td))         # (triples, a)
        D3 = jnp.zeros((na,) * 4)
        for perm in set(itertools.permutations(range(3))):
            idx = [(tb, tc, td)[p] for p in perm]
            D3 = D3.at[:, idx[0], idx[1], idx[2]].set(d3.T)
        return z, H, dH, D3, D4

    def train(params):
        def loss(p):
            r = net(p, Xt) - yj
            return 0.5 * jnp.mean(r * r)
        g = jax.grad(loss)
        outs = []
        for eta in etas:
            p = params
            prev = 0
            rec = []
            for T in checkpoints:
                p = jax.lax.fori_loop(0, T - prev, lambda i, q: jax.tree_util.tree_map(lambda a, b: a - eta * b, q, g(q)), p)
                prev = T
                rec.append(net(p, Xa)[ntr:])
            outs.append(jnp.stack(rec))
        return jnp.stack(outs)                                     # (etas, checkpoints, nte)

    return jax.jit(jax.vmap(stats)), jax.jit(jax.vmap(train))


def sample_params(key, widths, cb, cw, lb, lw, batch):
    jax, jnp = _jax()
    params = []
    for l in range(len(widths) - 1):
        key, k1, k2 = jax.random.split(key, 3)
        sdw = np.sqrt(cw[l] / lw[l])
        sdb = np.sqrt(cb[l] / lb[l]) if lb[l] > 0 else 0.0
        params.append((sdw * jax.random.normal(k1, (batch, widths[l + 1], widths[l]), jnp.float64),
                       sdb * jax.random.normal(k2, (batch, widths[l + 1]), jnp.float64)))
    return params


def gram_of(X):
    X = np.asarray(X, float)
    return X @ X.T / X.shape[1]


def infinite_kernels(act, widths, cb, cw, lb, lw, X):
    """K and Θ (infinite width) on all rows of X, pair by pair from the two-input recursion."""
    import check_dntk_two_inputs as d2
    na = len(X)
    K, Th = np.zeros((na, na)), np.zeros((na, na))
    for a, b in itertools.combinations(range(na), 2):
        st = d2.theory(act, widths, cb, cw, lb, lw, gram_of(X[[a, b]]))[-1]
        for (i, j), (p, q) in (((a, a), (0, 0)), ((a, b), (0, 1)), ((b, a), (1, 0)), ((b, b), (1, 1))):
            K[i, j], Th[i, j] = st["K"][p, q], st["Th"][p, q]
    return K, Th


def frozen_apply(H, ntr, steps, eta, k=1):
    """Ĥ_βA M_T(Ĥ_AA) for a batch of NTKs (…, na, na): the kernel-regression operator of the linearized
    network after T steps (steps = None: Ĥ_βA Ĥ_AA⁻¹)."""
    X = eta / (ntr * k)
    lam, V = np.linalg.eigh(H[..., :ntr, :ntr])
    if steps is None:
        f = 1 / lam
    else:
        f = X * (1 - (1 - X * lam) ** steps) / (X * lam)
    M = np.einsum("...ap,...p,...bp->...ab", V, f, V)
    return H[..., ntr:, :ntr] @ M


def mc_stats(n, Th, z0, H, dH, D3, D4, ntr, K):
    """Statistics (k = 1 combinations) from a set of networks: Θ¹ = n(E Ĥ − Θ), A = n Cov(Ĥ) (B = 0),
    P = n E[dĤ z] (Q = 0), R = n E[dd_I]/3 (dd_I is symmetric in its last three indices for k = 1), S = n E[dd_II]
    (T = U = 0)."""
    na = Th.shape[0]
    Hm = H.mean(0)
    dHc = H - Hm
    A = n * np.einsum("mab,mcd->abcd", dHc, dHc) / max(len(H) - 1, 1)
    P = n * np.einsum("mabc,md->abcd", dH, z0) / len(H)
    R = n * D3.mean(0) / 3
    S = n * D4.mean(0)
    Z = np.zeros((na,) * 4)
    return Stats(ntr, K, Th, n * (Hm - Th), A, Z, P, Z, R, S, Z, Z)


def run_case(label, act, widths, cb, cw, lb, lw, X, ntr, y, etas, checkpoints, M, batch, seed, groups=40,
             theory_stats=None, log=print, raw=None):
    """Sample M networks at these widths, measure and predict. Returns rows for the tables."""
    jax, jnp = _jax()
    n = widths[-2]
    K, Th = infinite_kernels(act, widths, cb, cw, lb, lw, X) if theory_stats is None else (theory_stats.K, theory_stats.Th)
    t0 = time.time()
    stats_fn, train_fn = make_fns(act, widths, lb, lw, X, ntr, y, etas, checkpoints)
    key = jax.random.PRNGKey(seed)
    acc = []
    done = 0
    while done < M:
        key, sub = jax.random.split(key)
        p = sample_params(sub, widths, cb, cw, lb, lw, batch)
        s = stats_fn(p)
        # antithetic partner: the last layer negated (z → −z, Ĥ and the ddNTKs unchanged, dĤ → −dĤ: the same
        # statistics); the pair average of z(T) is the odd-in-y part of one network's z(T)
        mirror = p[:-1] + [(-p[-1][0], -p[-1][1])]
        zt = 0.5 * (np.asarray(train_fn(p)) + np.asarray(train_fn(mirror)))
        acc.append([np.asarray(v) for v in s] + [zt])
        done += batch
    z0, H, dH, D3, D4, zT = (np.concatenate([a[i] for a in acc])[:M] for i in range(6))
    elapsed = time.time() - t0
    if raw is not None:
        np.savez(raw, z0=z0, H=H, dH=dH, D3=D3, D4=D4, zT=zT, K=K, Th=Th, etas=etas, checkpoints=checkpoints, n=n)
    yv = np.asarray(y, float).reshape(ntr, 1)
    full = mc_stats(n, Th, z0, H, dH, D3, D4, ntr, K)
    gsz = M // groups
    gstats = [mc_stats(n, Th, z0[g * gsz:(g + 1) * gsz], H[g * gsz:(g + 1) * gsz], dH[g * gsz:(g + 1) * gsz],
                       D3[g * gsz:(g + 1) * gsz], D4[g * gsz:(g + 1) * gsz], ntr, K) for g in range(groups)]
    for gs in gstats:
        gs.A = full.A            # the covariance from all networks (a group's is too noisy, and not linear)
    rows = []
    se = lambda v: v.std(0, ddof=1) / np.sqrt(len(v))  # noqa: E731
    for ie, eta in enumerate(etas):
        for ic, T in enumerate(list(checkpoints)):
            minf, parts = predict(full, yv, T, eta)
            _, pinf = predict(full, yv, None, eta)
            pred = m1_total(parts)[:, 0]
            pdyn = (parts["dNTK"] + parts["ddNTK"])[:, 0]
            pfro = (parts["ntk mean Θ¹"] + parts["ntk fluctuation"])[:, 0]
            minf = minf[:, 0]
            zb = zT[:, ie, ic, :]
            total = n * (zb - minf)          # the control variate z_β(0) − Θ_βA M_T z_A(0) cancels within each pair
            Fh = frozen_apply(H, ntr, T, eta) @ yv[:, 0]
            frozen = n * (Fh - minf)
            dyn = n * (zb - Fh)              # the pair average of the linearized network is F(Ĥ)
            # per-network first-order response to the network's own dĤ, dd's (pair average)
            r = 0.5 * n * (first_order_response(Th, z0, dH, D3, D4, yv, ntr, T, eta)
                           + first_order_response(Th, -z0, -dH, D3, D4, yv, ntr, T, eta))
            # group-paired differences (the same networks on both sides)
            dg_tot, dg_r, pg_dyn, pg_tot = [], [], [], []
            for g in range(groups):
                sl = slice(g * gsz, (g + 1) * gsz)
                _, pg = predict(gstats[g], yv, T, eta, with_parts=False)
                pt = m1_total(pg)[:, 0]
                pd = (pg["dNTK"] + pg["ddNTK"])[:, 0]
                dg_tot.append(total[sl].mean(0) - pt)
                dg_r.append(r[sl].mean(0) - pd)
                pg_dyn.append(pd)
                pg_tot.append(pt)
            dg_tot, dg_r, pg_dyn, pg_tot = (np.array(v) for v in (dg_tot, dg_r, pg_dyn, pg_tot))
            for b in range(zb.shape[1]):
                rows.append(dict(case=label, n=n, eta=eta, T=T, beta=b, minf=minf[b], M=M,
                                 meas=total[:, b].mean(), meas_se=se(total[:, b]), pred=pred[b], pred_se=se(pg_tot[:, b]),
                                 z_paired=dg_tot[:, b].mean() / se(dg_tot[:, b]),
                                 dyn=dyn[:, b].mean(), dyn_se=se(dyn[:, b]), r=r[:, b].mean(), r_se=se(r[:, b]),
                                 z_dyn_r=(dyn[:, b] - r[:, b]).mean() / se(dyn[:, b] - r[:, b]),
                                 dyn_pred=pdyn[b], dyn_pred_se=se(pg_dyn[:, b]),
                                 z_r_pred=dg_r[:, b].mean() / se(dg_r[:, b]),
                                 fro=frozen[:, b].mean(), fro_se=se(frozen[:, b]), fro_pred=pfro[b],
                                 pred_inf=m1_total(pinf)[b, 0],
                                 parts={kk: v[b, 0] for kk, v in parts.items()}))
                if theory_stats is not None:
                    _, pth = predict(theory_stats, yv, T, eta)
                    rows[-1].update(th=m1_total(pth)[b, 0], th_dyn=(pth["dNTK"] + pth["ddNTK"])[b, 0],
                                    th_fro=(pth["ntk mean Θ¹"] + pth["ntk fluctuation"])[b, 0],
                                    th_parts={kk: v[b, 0] for kk, v in pth.items()})
    # algorithm dependence: the same networks trained with the two learning rates to the last checkpoint
    if len(etas) == 2:
        T = checkpoints[-1]
        mi1, p1 = predict(full, yv, T, etas[0])
        mi2, p2 = predict(full, yv, T, etas[1])
        diff = n * (zT[:, 0, -1, :] - zT[:, 1, -1, :]) - n * (mi1 - mi2)[:, 0]
        pdiff = (m1_total(p1) - m1_total(p2))[:, 0]
        dg = []
        for g in range(groups):
            sl = slice(g * gsz, (g + 1) * gsz)
            q1 = m1_total(predict(gstats[g], yv, T, etas[0], False)[1])[:, 0]
            q2 = m1_total(predict(gstats[g], yv, T, etas[1], False)[1])[:, 0]
            dg.append(diff[sl].mean(0) - (q1 - q2))
        dg = np.array(dg)
        for b in range(diff.shape[1]):
            row = dict(case=label, n=n, alg=True, T=T, eta1=etas[0], eta2=etas[1], beta=b, M=M,
                       meas=diff[:, b].mean(), meas_se=se(diff[:, b]), pred=pdiff[b], z_paired=dg[:, b].mean() / se(dg[:, b]))
            if theory_stats is not None:
                row["th"] = (m1_total(predict(theory_stats, yv, T, etas[0])[1]) - m1_total(predict(theory_stats, yv, T, etas[1])[1]))[b, 0]
            rows.append(row)
    log(f"  [{label} n={n}: M={M}, {elapsed:.0f} s sampling+training]")
    return rows


def first_order_response(Th, xi, dH, D3, D4, y, ntr, steps, eta):
    """Per network (batched, k = 1): the first-order response of the test outputs to the network's own
    dĤ, dd_IĤ, dd_IIĤ (in units of the tensors given, i.e. multiply by n outside), around the
    infinite-width dynamics (NTK Θ), by iterating the step equations of the derivation (§2) with the
    network's own initial residual ξ − y — no expectations, no Kronecker algebra, no eigenbasis: an
    independent evaluation of the sources whose mean `predict` computes."""
    X = eta / ntr
    na = Th.shape[0]
    Mb = xi.shape[0]
    A, Bt = slice(0, ntr), slice(ntr, na)
    U = np.eye(ntr) - X * Th[A, A]
    e = xi[:, A] - np.asarray(y, float).reshape(-1)[None, :]      # ε⁰(0)
    Jt = D3 + D4 + np.transpose(D4, (0, 1, 3, 2, 4))             # 𝒥_{δ0δ1δ2a} (batch axis first)
    Kt = 0.5 * D3 + 0.5 * np.transpose(D3, (0, 2, 1, 3, 4)) + D4  # 𝒦_{δ1δ2ab}
    dHt = dH.copy()                                                # dĤ(t) = dĤ(0) + δdĤ(t)
    dHn = np.zeros((Mb, na, ntr))                                  # δĤ_{δc}(t), δ any, c train
    e1 = np.zeros((Mb, ntr))
    z1 = np.zeros((Mb, na - ntr))
    for t in range(steps):
        S = (-X * np.einsum("mdc,mc->md", dHn, e)
             + 0.5 * X * X * np.einsum("mdab,ma,mb->md", dHt[:, :, A, A], e, e)
             - X ** 3 / 6 * np.einsum("mdabc,ma,mb,mc->md", D3[:, :, A, A, A], e, e, e))
        # updates of the NTK (first and second order in Δθ) and of the dNTK
        sym = dHt[:, :, A, A] + np.transpose(dHt[:, A, :, A], (0, 2, 1, 3))       # dĤ_{δca} + dĤ_{cδa}
        dHn = dHn - X * np.einsum("mdca,ma->mdc", sym, e) + X * X * np.einsum("mdcab,ma,mb->mdc", Kt[:, :, A, A, A], e, e)
        dHt = dHt - X * np.einsum("mijka,ma->mijk", Jt[:, :, :, :, A], e)
        z1 = z1 - X * e1 @ Th[Bt, A].T + S[:, Bt]
        e1 = e1 @ U.T + S[:, A]
        e = e @ U.T
    return z1


PAIR3 = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}


def theory_stats_two_inputs(act, widths, cb, cw, lb, lw, X2):
    """Every statistic for two inputs (row 0 training, row 1 test; k = 1) from the existing two-input
    theory: K, Θ, P … U (check_dntk_two_inputs.theory), Θ¹ (check_ntk_two_inputs.theory) and
    n Cov(Ĥ_ab, Ĥ_cd) = Σ_{(ab),(cd)} (check_ntk_covariance.reference), all in units of 1/n_{L−1}."""
    import check_dntk_two_inputs as d2
    import check_ntk_covariance as cov2
    import check_ntk_two_inputs as ntk2
    L = len(widths) - 1
    g = gram_of(X2)
    th = d2.theory(act, widths, cb, cw, lb, lw, g)[-1]
    t1 = ntk2.theory(act, L, widths[:-1], cb, cw, lb, lw, g)[L - 1]
    sig = cov2.reference(act, L, widths[:-1], cb, cw, lb, lw, g)[-1]
    Th1 = np.array([[t1["Th1"][PAIR3[a, b]] for b in range(2)] for a in range(2)])
    Thc = np.array([[t1["Th"][PAIR3[a, b]] for b in range(2)] for a in range(2)])
    assert np.allclose(Thc, th["Th"], rtol=1e-8), (Thc, th["Th"])
    A = np.zeros((2,) * 4)
    for a, b, c, d in itertools.product(range(2), repeat=4):
        A[a, b, c, d] = sig[PAIR3[a, b], PAIR3[c, d]]
    Z = np.zeros((2,) * 4)
    return Stats(1, th["K"], th["Th"], Th1, A, Z, th["P"], th["Q"], th["R"], th["S"], th["T"], th["U"])


def scaling_checks(act="tanh", cb=0.0, cw=1.0, widths_list=(32, 64, 128, 256), Ms=(400, 400, 300, 200), log=print):
    """The moments the derivation drops (§3): n·E[dĤ dĤ], n·E[ΔĤ dĤ z] and the connected parts
    n·(E[dd z z] − E[dd] E[z z]) must vanish as n → ∞ (they are O(1/n²) or O(n^{-3/2}) moments), while
    rms(n·dĤ) stays O(1) (dĤ is an O(1/n) object) and n·E[dĤ z] (P, Q) and n·E[dd] (R … U) converge."""
    jax, jnp = _jax()
    X = inputs5()
    na = len(X)
    log(f"\nscaling of the moments the derivation keeps and drops ({act}, depth 3, the five inputs of the Monte Carlo; "
        "averages of |·| over all index combinations, ± se):")
    log(f"{'n':>4} {'M':>4} | {'rms n·dĤ':>9} | {'n·E[dĤz] kept':>14} | {'n·E[dd_I] kept':>14} | {'n·|E dĤ dĤ|':>13} | "
        f"{'n·|E ΔĤ dĤ z|':>14} | {'n·|conn dd_I z z|':>17} | {'n·|conn dd_II z z|':>18}")
    for n, M in zip(widths_list, Ms):
        widths = [4, n, n, 1]
        stats_fn, _ = make_fns(act, widths, [1.0] * 3, [1.0] * 3, X, 3, [1.0, -1.0, 1.0], [0.1], [1])
        key = jax.random.PRNGKey(77 + n)
        acc, done = [], 0
        while done < M:
            key, sub = jax.random.split(key)
            acc.append([np.asarray(v) for v in stats_fn(sample_params(sub, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, 50))])
            done += 50
        z0, H, dH, D3, D4 = (np.concatenate([a[i] for a in acc])[:M] for i in range(5))
        dHc = H - H.mean(0)
        def mean_abs(samples):
            m = samples.mean(0)
            se = samples.std(0, ddof=1) / np.sqrt(len(samples))
            return np.abs(m).mean(), se.mean()
        rms = np.sqrt(((n * dH) ** 2).mean())
        kept_p = mean_abs(n * np.einsum("mabc,md->mabcd", dH, z0))
        kept_r = mean_abs(n * D3)
        # n E[dĤ_abc dĤ_def] on the components with a, d training-or-test, b ≤ c, e ≤ f (a subset: a, d ∈ {0, 3})
        sub = dH[:, [0, 3]][:, :, :3, :3]
        dd2 = mean_abs(n * np.einsum("mabc,mdef->mabcdef", sub, sub))
        cross = mean_abs(n * np.einsum("mab,mcde,mf->mabcdef", dHc[:, :3, :3], dH[:, [0, 3]][:, :, :3, :3], z0[:, :3]))
        zz = np.einsum("me,mf->mef", z0, z0)
        D3s, D4s = D3[:, [0, 3]][:, :, :3, :3, :3], D4[:, :3, :3, :3, :3]
        conn3 = n * (np.einsum("mabcd,mef->mabcdef", D3s, zz[:, :3, :3])
                     - np.einsum("abcd,ef->abcdef", D3s.mean(0), zz[:, :3, :3].mean(0))[None])
        conn4 = n * (np.einsum("mabcd,mef->mabcdef", D4s, zz[:, :3, :3])
                     - np.einsum("abcd,ef->abcdef", D4s.mean(0), zz[:, :3, :3].mean(0))[None])
        c3, c4 = mean_abs(conn3), mean_abs(conn4)
        log(f"{n:>4} {M:>4} | {rms:9.3f} | {kept_p[0]:7.3f} ± {kept_p[1]:.3f} | {kept_r[0]:7.3f} ± {kept_r[1]:.3f} | "
            f"{dd2[0]:6.4f} ± {dd2[1]:.4f} | {cross[0]:7.4f} ± {cross[1]:.4f} | {c3[0]:8.4f} ± {c3[1]:.4f} | {c4[0]:8.4f} ± {c4[1]:.4f}")
        sys.stdout.flush()


def relu_kink_diagnostic(widths_list=(64, 256, 1024), log=print):
    """Why ReLU networks leave the order-1/n theory (derivation §8.4): one training input, η = 1/Θ_00,
    antithetic pairs. After one step the training output lags its linearization by ∝ n^{−1/2} (units that
    were active at the training input and are pushed across the kink stop contributing; inactive units get
    no gradient, so the flips go one way); the next steps re-fit that residual and carry an O(n^{−1/2})
    shift to the test output. The fraction of hidden units that change sign is ∝ n^{−1/2}."""
    jax, jnp = _jax()
    X2 = INPUTS2
    cb, cw = 0.0, 2.0
    log("\nReLU kink diagnostic (relu-2in, η = 1/Θ_00): per width, n·E[z − z^lin] at the training input α and the test "
        "input β after T steps, and the fraction of hidden units (layers 1, 2) whose preactivation changed sign")
    log(f"{'n':>5} {'M':>4} {'T':>2} | {'n·Δz_α':>15} {'÷√n':>7} | {'n·Δz_β':>15} {'÷√n':>7} | {'flips ℓ=1':>9} {'flips ℓ=2':>9}")
    for n in widths_list:
        widths = [4, n, n, 1]
        st = theory_stats_two_inputs("relu", widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, X2)
        eta = 1.0 / st.Th[0, 0]
        sw = [np.sqrt(1.0 / widths[l]) for l in range(3)]
        Xa = jnp.asarray(X2)

        def forward(params, X):
            h, hs = X.T, []
            for l, (pw, pb) in enumerate(params):
                z = (pw * sw[l]) @ h + pb[:, None]
                if l < 2:
                    hs.append(z)
                    h = jax.nn.relu(z)
            return z[0], hs

        def one(params):
            f = lambda p: forward(p, Xa)[0]  # noqa: E731
            J = jax.jacrev(f)(params)
            Jf = jnp.concatenate([t.reshape(2, -1) for t in jax.tree_util.tree_leaves(J)], 1)
            g = jax.grad(lambda p: 0.5 * jnp.mean((forward(p, Xa[:1])[0] - 1.0) ** 2))
            hs0 = forward(params, Xa)[1]
            p, outs, flips = params, [], []
            for _ in range(2):
                p = jax.tree_util.tree_map(lambda a, b: a - eta * b, p, g(p))
                z, hs = forward(p, Xa)
                outs.append(z)
                flips.append(jnp.stack([jnp.mean(jnp.sign(a) != jnp.sign(b)) for a, b in zip(hs0, hs)]))
            return Jf @ Jf.T, jnp.stack(outs), jnp.stack(flips)
        fn = jax.jit(jax.vmap(one))
        key = jax.random.PRNGKey(5)
        M = 400 if n < 1024 else 100
        acc = []
        for _ in range(M // 50):
            key, sub = jax.random.split(key)
            p = sample_params(sub, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, 50)
            a, b = fn(p), fn(p[:-1] + [(-p[-1][0], -p[-1][1])])
            acc.append([np.asarray(a[0]), 0.5 * (np.asarray(a[1]) + np.asarray(b[1])), np.asarray(a[2])])
        H, zT, fl = (np.concatenate([a[i] for a in acc]) for i in range(3))
        for ti, T in enumerate((1, 2)):
            lin = frozen_apply(H, 1, T, eta)[:, 0, 0]                # test input, y = 1
            lin_tr = 1 - (1 - eta * H[:, 0, 0]) ** T                 # training input
            da, db = n * (zT[:, ti, 0] - lin_tr), n * (zT[:, ti, 1] - lin)
            se = lambda v: v.std(ddof=1) / np.sqrt(len(v))  # noqa: E731
            log(f"{n:>5} {M:>4} {T:>2} | {da.mean():+7.3f} ± {se(da):.3f} {da.mean() / np.sqrt(n):+7.3f} | "
                f"{db.mean():+7.3f} ± {se(db):.3f} {db.mean() / np.sqrt(n):+7.3f} | {fl[:, ti, 0].mean():9.4f} {fl[:, ti, 1].mean():9.4f}")
        sys.stdout.flush()


# ----------------------------------------------------------------------------------------------
# Reference values for the Swift unit test.
# ----------------------------------------------------------------------------------------------

def formula_stats(ntr, nte):
    """Deterministic statistics from closed-form index expressions (the Swift test builds the same arrays):
    with a, b, c, d the 0-based input indices and x_a = 0.3·(a + 1):
      K_ab = 0.5 + 0.1·x_a·x_b + 0.2·[a = b],  Θ_ab = 1 + 0.5·x_a·x_b + [a = b],  Θ¹_ab = 0.3 − 0.2·x_a·x_b,
      A = 0.1·(1 + x_a x_b + x_c x_d),  B = 0.05·(x_a + 2x_b − x_c + x_d),  P = 0.2·x_a − 0.1·x_b x_c + 0.05·x_d,
      Q = 0.1 − 0.07·x_a x_d + 0.03·x_b,  R = −0.3·x_a + 0.1·x_b(x_c + x_d),  S = 0.2 + 0.1·x_a x_b − 0.05·x_c,
      T = −0.1 + 0.08·x_a x_c + 0.02·x_d,  U = 0.05·x_a x_b x_c x_d + 0.03."""
    na = ntr + nte
    x = 0.3 * (np.arange(na) + 1)
    a, b, c, d = np.meshgrid(x, x, x, x, indexing="ij")
    K = 0.5 + 0.1 * np.outer(x, x) + 0.2 * np.eye(na)
    Th = 1 + 0.5 * np.outer(x, x) + np.eye(na)
    Th1 = 0.3 - 0.2 * np.outer(x, x)
    A = 0.1 * (1 + a * b + c * d)
    B = 0.05 * (a + 2 * b - c + d)
    P = 0.2 * a - 0.1 * b * c + 0.05 * d
    Q = 0.1 - 0.07 * a * d + 0.03 * b
    R = -0.3 * a + 0.1 * b * (c + d)
    S = 0.2 + 0.1 * a * b - 0.05 * c
    T = -0.1 + 0.08 * a * c + 0.02 * d
    U = 0.05 * a * b * c * d + 0.03
    return Stats(ntr, K, Th, Th1, A, B, P, Q, R, S, T, U)


def reference_values():
    print("\nreference values for the Swift unit test (formula_stats(ntr = 2, nte = 2), width 64 → correction = m¹/64):")
    st = formula_stats(2, 2)
    cases = [(np.array([[1.0], [-1.0]]), 7, 0.9), (np.array([[1.0], [-1.0]]), None, 0.9),
             (np.array([[1.0, 0.5], [-1.0, 0.25]]), 7, 1.7), (np.array([[1.0, 0.5], [-1.0, 0.25]]), None, 1.7)]
    lam = np.linalg.eigvalsh(st.Th[:2, :2])
    print(f"  train NTK eigenvalues {lam}; stability bound η < 2·N·k/λ_max = {2 * 2 / lam[-1]:.6f} (k = 1)")
    for y, T, eta in cases:
        mi, parts = predict(st, y, T, eta)
        print(f"  y = {y.tolist()}, steps = {T}, η = {eta}:")
        print(f"    infiniteWidth = {np.array2string(mi, precision=12, separator=', ')}")
        for name in ("ntk mean Θ¹", "ntk fluctuation", "dNTK", "ddNTK"):
            print(f"    m¹ {name:<16} = {np.array2string(parts[name], precision=12, separator=', ')}")
        print(f"    m¹ total            = {np.array2string(m1_total(parts), precision=12, separator=', ')}")


# ----------------------------------------------------------------------------------------------
# Main.
# ----------------------------------------------------------------------------------------------

def inputs5():
    """3 training + 2 test inputs, n₀ = 4, |x|²/n₀ = 1 for the training rows; cos 0.3, 0.2, −0.2 among them."""
    C = np.array([[1, 0.3, 0.2], [0.3, 1, -0.2], [0.2, -0.2, 1]])
    E = np.eye(4)
    tr = np.linalg.cholesky(C) @ E[:3] * 2.0
    te = np.array([0.6 * tr[0] + 0.5 * tr[1] + 0.6 * E[3], -0.4 * tr[2] + 0.7 * tr[0] - 1.0 * E[3]])
    return np.vstack([tr, te])


INPUTS2 = np.array([[1.2, 0.3, -0.8, 0.9], [0.4, 1.1, 0.2, -1.0]])


def fmt_row(r, theory):
    base = (f"{r['case']:<8} {r['n']:>4} {r['M']:>4} | {r['meas']:+8.3f} ± {r['meas_se']:.3f} | {r['pred']:+8.3f} ± {r['pred_se']:.3f} "
            f"{r['z_paired']:+5.1f}")
    if theory is True:
        base += f" | {r['th']:+8.4f} {(r['meas'] - r['th']) / r['meas_se']:+5.1f}"
    base += (f" | {r['dyn']:+8.4f} ± {r['dyn_se']:.4f} | {r['dyn_pred']:+8.4f} ± {r['dyn_pred_se']:.4f} {r['z_r_pred']:+5.1f}"
             f" | r {r['r']:+8.4f} {r['z_dyn_r']:+5.1f}")
    if theory:
        base += f" | {r['th_dyn']:+8.4f} {(r['dyn'] - r['th_dyn']) / r['dyn_se']:+5.1f}"
    return base


def print_tables(rows, theory, log=print):
    keys = sorted({(r["case"], r.get("alg", False), r.get("eta", 0), r["T"], r["beta"]) for r in rows},
                  key=lambda t: (t[0], t[1], -t[2], t[3], t[4]))
    for case, alg, eta, T, b in keys:
        sel = sorted([r for r in rows if (r["case"], r.get("alg", False), r.get("eta", 0), r["T"], r["beta"]) == (case, alg, eta, T, b)],
                     key=lambda r: r["n"])
        if alg:
            r0 = sel[0]
            log(f"\n{case}: algorithm dependence, β = {b}: n·E[z(T; η₁) − z(T; η₂)] − n(m^∞₁ − m^∞₂) at T = {T}, "
                f"η₁ = {r0['eta1']:.4f}, η₂ = {r0['eta2']:.4f}; predicted m¹(η₁) − m¹(η₂)")
            log(f"{'case':<8} {'n':>4} {'M':>4} | {'measured':>16} | {'pred (MC)':>9} {'z':>5}" + (f" | {'theory':>8} {'z':>5}" if theory is True else ""))
            for r in sel:
                line = f"{r['case']:<8} {r['n']:>4} {r['M']:>4} | {r['meas']:+8.4f} ± {r['meas_se']:.4f} | {r['pred']:+9.4f} {r['z_paired']:+5.1f}"
                if theory is True:
                    line += f" | {r['th']:+8.4f} {(r['meas'] - r['th']) / r['meas_se']:+5.1f}"
                log(line)
            continue
        r0 = sel[0]
        log(f"\n{case}: η = {eta:.4f}, T = {T}, test input β = {b}: m^∞ = {r0['minf']:+.5f}, predicted m¹ at T = ∞: {r0['pred_inf']:+.4f}")
        hdr = (f"{'case':<8} {'n':>4} {'M':>4} | {'n·(E z − m^∞)':>16} | {'m¹ pred (MC)':>16} {'z':>5}" + (f" | {'m¹ theory':>8} {'z':>5}" if theory is True else "")
               + f" | {'dyn: measured':>17} | {'pred (MC)':>17} {'z':>5} | {'r (per net)':>10} {'z':>5}" + (f" | {'theory':>8} {'z':>5}" if theory else ""))
        log(hdr)
        for r in sel:
            log(fmt_row(r, theory))
        parts = r0["th_parts"] if theory else sel[-1]["parts"]
        log("  parts of m¹ (" + ("theory" if theory is True else ("theory, dNTK + ddNTK only" if theory else f"MC statistics, n = {sel[-1]['n']}")) + "): "
            + ", ".join(f"{k} {v:+.4f}" for k, v in parts.items()))


def main():
    algebra_checks()
    swift_mirror_checks()
    reference_values()
    if "--theory-only" in sys.argv:
        return
    quick = "--quick" in sys.argv
    if "--scaling" in sys.argv:
        scaling_checks()
        return
    if "--relu-kinks" in sys.argv:
        relu_kink_diagnostic()
        return
    only = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--case=")]
    t0 = time.time()
    widths_list = [32, 64, 128, 256] if not quick else [64, 128]
    Ms5 = {32: 600, 64: 600, 128: 500, 256: 300} if not quick else {64: 160, 128: 128}
    Ms2 = {32: 1600, 64: 1600, 128: 1600, 256: 1200} if not quick else {64: 320, 128: 320}
    for label, act, (cb, cw) in (("tanh-2in", "tanh", (0.0, 1.0)), ("tanh-5in", "tanh", (0.0, 1.0)),
                                 ("gelu-2in", "gelu", (0.0, 1.7)), ("relu-2in", "relu", (0.0, 2.0)),
                                 ("relu-5in", "relu", (0.0, 2.0))):
        if (only and label not in only) or (not only and label == "relu-5in"):
            continue
        if label.endswith("2in"):
            # (3) one training input, one test input: every statistic from the two-input theory (GELU: the
            # dNTK/ddNTK statistics only — there is no Θ¹/covariance theory for it in the check scripts)
            print(f"\n=== {label}: x_train = {INPUTS2[0].tolist()}, x_test = {INPUTS2[1].tolist()}, y = 1, depth 3, C_b = {cb}, "
                  f"C_W = {cw}, λ = 1; statistics from the two-input theory ===")
            rows = []
            ws = widths_list if act != "gelu" else [w for w in widths_list if w >= 64]
            for n in ws:
                widths = [4, n, n, 1]
                if act == "gelu":
                    import check_dntk_two_inputs as d2
                    th = d2.theory(act, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, gram_of(INPUTS2))[-1]
                    Z = np.zeros((2,) * 4)
                    st = Stats(1, th["K"], th["Th"], 0 * th["Th"], Z, Z, th["P"], th["Q"], th["R"], th["S"], th["T"], th["U"])
                    M, seed = (800 if n < 256 else 600), 3000 + n
                else:
                    st = theory_stats_two_inputs(act, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, INPUTS2)
                    M, seed = Ms2[n], 2000 + n
                lam = st.Th[0, 0]
                rows += run_case(label, act, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, INPUTS2, 1, [1.0],
                                 [1.0 / lam, 0.4 / lam], [1, 3, 60], M, 64, seed, theory_stats=st)
            print_tables(rows, "dyn" if act == "gelu" else True)
        else:
            # (1, 2) three training inputs, two test inputs: statistics by Monte Carlo on the same networks
            X = inputs5()
            print(f"\n=== {label}: 3 training + 2 test inputs (gram {np.round(gram_of(X), 3).tolist()}), y = (1, −1, 1), depth 3, "
                  f"C_b = {cb}, C_W = {cw}, λ = 1; statistics by Monte Carlo on the same networks ===")
            rows = []
            for n in widths_list:
                widths = [4, n, n, 1]
                K, Th = infinite_kernels(act, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, X)
                lmax = np.linalg.eigvalsh(Th[:3, :3])[-1]
                rows += run_case(label, act, widths, [cb] * 3, [cw] * 3, [1.0] * 3, [1.0] * 3, X, 3, [1.0, -1.0, 1.0],
                                 [1.0 * 3 / lmax, 0.4 * 3 / lmax], [10, 250], Ms5[n], 32, 1000 + n)
            print_tables(rows, False)
        sys.stdout.flush()
        print(f"[{time.time() - t0:.0f} s]")


if __name__ == "__main__":
    main()
