import Foundation

extension Gaussian {
    /// ⟨h₁(z₁) h₂(z₂) ⋯ h_m(z_m)⟩ for a centred Gaussian vector with covariance `covariance` (m ≤ 4,
    /// positive semidefinite), by nested quadrature along the Cholesky factor: z_k = Σ_{j≤k} L_kj g_j with
    /// g standard normal, so the level-k integrand has one kink location per kink of h_k in g_k (the
    /// inner levels are Gaussian-smoothed, hence smooth). Each level is a composite 6-point
    /// Gauss–Legendre rule on the panels [−9, −6.5, −4.5, −3, −2, −1, 0, 1, 2, 3, 4.5, 6.5, 9] split at the
    /// kinks (≈ 75 nodes a level). A direction with no conditional variance (L_kk ≈ 0: parallel inputs)
    /// is evaluated at its conditional mean. Used for the four-point functions ⟨σ_aσ_bσ_cσ_d⟩ of three
    /// and four distinct inputs in the vertex recursion (PDLT §4.3); accuracy ≈ 1e-9 relative for
    /// smooth h and ≈ 1e-7 with kinks (tested against the adaptive two-dimensional rule).
    public static func productExpectation(_ h: [(Double) -> Double], covariance: [[Double]], kinks: [[Double]]) -> Double {
        let m = h.count
        precondition(m >= 1 && m <= 4 && covariance.count == m && kinks.count == m)
        // Semidefinite Cholesky: a pivot below 1e-13 of its diagonal is a deterministic direction.
        var l = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        for i in 0..<m {
            for j in 0...i {
                var s = covariance[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                if i == j {
                    l[i][i] = s > 1e-13 * max(covariance[i][i], 1e-300) ? s.squareRoot() : 0
                } else {
                    l[i][j] = l[j][j] > 0 ? s / l[j][j] : 0
                }
            }
        }
        var g = [Double](repeating: 0, count: m)
        func level(_ k: Int) -> Double {
            if k == m { return 1 }
            var mean = 0.0
            for j in 0..<k { mean += l[k][j] * g[j] }
            let s = l[k][k]
            if s == 0 {
                g[k] = 0
                return h[k](mean) * level(k + 1)
            }
            var edges = productBreaks
            for t in kinks[k] {
                let x = (t - mean) / s
                if x > -9 && x < 9 { edges.append(x) }
            }
            edges.sort()
            var total = 0.0
            for p in 0..<(edges.count - 1) {
                let a = edges[p], b = edges[p + 1]
                guard b > a else { continue }
                let half = 0.5 * (b - a), mid = 0.5 * (a + b)
                for (node, weight) in zip(legendre6Nodes, legendre6Weights) {
                    let x = mid + half * node
                    g[k] = x
                    total += half * weight * standardNormalDensity(x) * h[k](mean + s * x) * level(k + 1)
                }
            }
            return total
        }
        return level(0)
    }

    static let productBreaks: [Double] = [-9, -6.5, -4.5, -3, -2, -1, 0, 1, 2, 3, 4.5, 6.5, 9]
    static let legendre6Nodes: [Double] = [-0.932469514203152, -0.6612093864662645, -0.2386191860831969,
                                           0.2386191860831969, 0.6612093864662645, 0.932469514203152]
    static let legendre6Weights: [Double] = [0.1713244923791704, 0.3607615730481386, 0.467913934572691,
                                             0.467913934572691, 0.3607615730481386, 0.1713244923791704]
}
