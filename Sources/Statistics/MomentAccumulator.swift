/// Mergeable moment accumulators for Monte-Carlo ensembles.
///
/// For each of `channels` scalar quantities it keeps the power sums Σ xᵖ, p = 0 … `order`, in
/// `batches` groups; sample k (e.g. network k) goes to group k mod `batches`, so the state of an
/// ensemble does not depend on how its samples were split across threads, shards or ranks, and two
/// states merge by adding them. The state is one flat array of numbers (a cluster reduce is a sum).
///
/// Estimators: moments and cumulants from the pooled power sums (the plug-in estimators; their
/// O(1/M) bias is far below the statistical error at the ensemble sizes used); standard errors by
/// the delete-one-group jackknife over the `batches` groups.
public struct MomentAccumulator: Sendable, Equatable {
    public let channels: Int
    public let order: Int
    public let batches: Int
    /// batches × channels × (order + 1) power sums, group-major.
    public private(set) var state: [Double]

    public init(channels: Int, order: Int, batches: Int = 32) {
        precondition(channels > 0 && order >= 1 && order <= 8 && batches >= 2, "bad accumulator shape")
        self.channels = channels
        self.order = order
        self.batches = batches
        state = [Double](repeating: 0, count: batches * channels * (order + 1))
    }

    /// An accumulator over an existing flat state (e.g. read from a shard file).
    public init(channels: Int, order: Int, batches: Int, state: [Double]) throws(StatisticsError) {
        guard channels > 0, order >= 1, order <= 8, batches >= 2 else { throw .incompatible("bad accumulator shape") }
        guard state.count == batches * channels * (order + 1), state.allSatisfy(\.isFinite) else {
            throw .incompatible("state has \(state.count) numbers, expected \(batches * channels * (order + 1)) finite ones")
        }
        self.channels = channels
        self.order = order
        self.batches = batches
        self.state = state
    }

    @inline(__always) func offset(_ b: Int, _ c: Int) -> Int { (b * channels + c) * (order + 1) }

    /// Add sample number `index` with one value per channel.
    public mutating func add(index: Int, values: [Double]) {
        precondition(values.count == channels, "expected \(channels) values")
        let b = index % batches
        for c in 0..<channels {
            let o = offset(b, c)
            var p = 1.0
            let x = values[c]
            for k in 0...order {
                state[o + k] += p
                p *= x
            }
        }
    }

    /// Add another accumulator's samples (shards of one ensemble merge to exactly one run's state,
    /// up to the rounding of the sums).
    public mutating func merge(_ other: MomentAccumulator) throws(StatisticsError) {
        guard other.channels == channels, other.order == order, other.batches == batches else {
            throw .incompatible("accumulators of different shapes: \(channels)×\(order)×\(batches) and \(other.channels)×\(other.order)×\(other.batches)")
        }
        for k in 0..<state.count { state[k] += other.state[k] }
    }

    /// Number of samples in channel c.
    public func count(_ c: Int = 0) -> Double { (0..<batches).reduce(0) { $0 + state[offset($1, c)] } }

    /// Pooled power sums of channel c, leaving out group `excluded`.
    func sums(_ c: Int, excluding excluded: Int? = nil) -> [Double] {
        var s = [Double](repeating: 0, count: order + 1)
        for b in 0..<batches where b != excluded {
            let o = offset(b, c)
            for k in 0...order { s[k] += state[o + k] }
        }
        return s
    }

    /// An estimate with its jackknife standard error.
    public struct Estimate: Sendable, Equatable {
        public var value: Double
        public var standardError: Double
        public init(value: Double, standardError: Double) { self.value = value; self.standardError = standardError }

        /// The estimate of c·X.
        public func scaled(by c: Double) -> Estimate { Estimate(value: c * value, standardError: Swift.abs(c) * standardError) }
    }

    /// Jackknife over the groups of a statistic of the raw moments μ′₀ = 1, μ′₁, …, μ′_order.
    public func estimate(_ c: Int, _ statistic: ([Double]) -> Double) -> Estimate {
        estimate(channels: [c]) { statistic($0[0]) }
    }

    public func mean(_ c: Int) -> Estimate { estimate(c) { $0[1] } }

    /// Jackknife of a statistic of several channels' raw moments (`moments[i]` for `channels[i]`),
    /// e.g. E[AB] − E[A]E[B] from channels AB, A and B of the same samples.
    public func estimate(channels cs: [Int], _ statistic: ([[Double]]) -> Double) -> Estimate {
        func moments(_ c: Int, _ excluded: Int?) -> [Double] { let s = sums(c, excluding: excluded); return s.map { $0 / max(s[0], 1) } }
        let full = statistic(cs.map { moments($0, nil) })
        var leave: [Double] = []
        for b in 0..<batches where state[offset(b, cs[0])] > 0 { leave.append(statistic(cs.map { moments($0, b) })) }
        let g = Double(leave.count)
        guard g >= 2 else { return Estimate(value: full, standardError: .nan) }
        let mean = leave.reduce(0, +) / g
        let v = leave.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } * (g - 1) / g
        return Estimate(value: full, standardError: v.squareRoot())
    }

    /// The p-th cumulant κ_p of channel c (p ≤ order).
    public func cumulant(_ c: Int, _ p: Int) -> Estimate {
        precondition(p >= 1 && p <= order)
        return estimate(c) { Cumulants.fromMoments($0)[p] }
    }

    /// κ_p/κ₂^{p/2}, the normalized cumulant (κ₄/κ₂² is the excess kurtosis).
    public func normalizedCumulant(_ c: Int, _ p: Int) -> Estimate {
        precondition(p >= 2 && p <= order)
        return estimate(c) { m in
            let k = Cumulants.fromMoments(m)
            return k[p] / Foundation.pow(k[2], Double(p) / 2)
        }
    }
}

/// Cumulants from raw moments: κ_n = μ′_n − Σ_{m=1}^{n−1} C(n−1, m−1) κ_m μ′_{n−m}.
public enum Cumulants {
    public static func fromMoments(_ mu: [Double]) -> [Double] {
        let n = mu.count - 1
        var kappa = [Double](repeating: 0, count: n + 1)
        if n < 1 { return kappa }
        for order in 1...n {
            var k = mu[order]
            var binom = 1.0  // C(order−1, m−1)
            for m in 1..<order {
                k -= binom * kappa[m] * mu[order - m]
                binom = binom * Double(order - m) / Double(m)
            }
            kappa[order] = k
        }
        return kappa
    }
}

public enum StatisticsError: Error, Equatable, CustomStringConvertible {
    case incompatible(String)
    public var description: String {
        switch self { case .incompatible(let s): return "cannot merge: \(s)" }
    }
}

import Foundation
