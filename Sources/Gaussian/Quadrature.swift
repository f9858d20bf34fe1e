/// Globally adaptive Gauss–Kronrod (7/15) quadrature on finite intervals, with an error estimate.
///
/// The estimate |K15 − G7| of each panel is conservative for smooth integrands (the Kronrod value
/// is typically far more accurate than the difference), so a result whose `errorEstimate` is below
/// the tolerance is checked, not assumed.
public struct Quadrature: Sendable {
    public var relativeTolerance: Double
    public var absoluteTolerance: Double
    public var maxPanels: Int

    public init(relativeTolerance: Double = 1e-13, absoluteTolerance: Double = 1e-300, maxPanels: Int = 400) {
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.maxPanels = maxPanels
    }

    public struct Result: Sendable {
        public var value: Double
        public var errorEstimate: Double
        public var evaluations: Int
        public var converged: Bool
    }

    // Kronrod 15-point nodes (non-negative half) and weights; Gauss 7-point weights on the odd nodes.
    @usableFromInline static let xk: [Double] = [
        0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
        0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
        0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
    ]
    @usableFromInline static let wk: [Double] = [
        0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
        0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
        0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    ]
    @usableFromInline static let wg: [Double] = [
        0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
        0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
    ]

    /// One 15-point panel: (Kronrod value, |Kronrod − Gauss|).
    @inlinable
    static func panel(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> (Double, Double) {
        let c = 0.5 * (a + b), h = 0.5 * (b - a)
        let fc = f(c)
        var rk = fc * wk[7]
        var rg = fc * wg[3]
        for j in 0..<7 {
            let dx = h * xk[j]
            let f1 = f(c - dx), f2 = f(c + dx)
            rk += wk[j] * (f1 + f2)
            if j % 2 == 1 { rg += wg[j / 2] * (f1 + f2) }
        }
        return (rk * h, Swift.abs((rk - rg) * h))
    }

    /// ∫ f over [a, b], split first at the sorted `breakpoints` inside (a, b).
    public func integrate(_ f: (Double) -> Double, from a: Double, to b: Double, breakpoints: [Double] = []) -> Result {
        var edges = [a]
        for p in breakpoints.sorted() where p > a && p < b { edges.append(p) }
        edges.append(b)
        var panels: [(a: Double, b: Double, value: Double, error: Double)] = []
        panels.reserveCapacity(64)
        var evaluations = 0
        for k in 0..<(edges.count - 1) {
            let (v, e) = Quadrature.panel(f, edges[k], edges[k + 1])
            panels.append((edges[k], edges[k + 1], v, e))
            evaluations += 15
        }
        var total = panels.reduce(0) { $0 + $1.value }
        var error = panels.reduce(0) { $0 + $1.error }
        while error > max(absoluteTolerance, relativeTolerance * Swift.abs(total)) && panels.count < maxPanels {
            var worst = 0
            for i in 1..<panels.count where panels[i].error > panels[worst].error { worst = i }
            let p = panels[worst]
            let mid = 0.5 * (p.a + p.b)
            if mid <= p.a || mid >= p.b { break }  // cannot split further
            let (v1, e1) = Quadrature.panel(f, p.a, mid)
            let (v2, e2) = Quadrature.panel(f, mid, p.b)
            evaluations += 30
            panels[worst] = (p.a, mid, v1, e1)
            panels.append((mid, p.b, v2, e2))
            // Re-sum rather than update incrementally, to avoid drift in `total`.
            total = 0; error = 0
            for q in panels { total += q.value; error += q.error }
        }
        let converged = error <= max(absoluteTolerance, relativeTolerance * Swift.abs(total))
        return Result(value: total, errorEstimate: error, evaluations: evaluations, converged: converged)
    }
}
