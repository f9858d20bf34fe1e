import Architecture
import Criticality
import DataIO
import Foundation
import Gaussian
import InfiniteWidth
import Linalg

/// The default study of `dlt report` / `make run` (issue: foundation): tanh and ReLU networks at
/// criticality and off it, on a few digits, through the infinite-width recursions.
public struct FoundationStudy: Sendable {
    /// One network configuration followed with depth.
    public struct Configuration: Sendable {
        public var label: String
        public var activation: Activation
        public var cb: Double
        public var cw: Double
    }

    /// Kernel statistics of one configuration per layer ℓ = 1 … L on the study's inputs.
    public struct DepthProfile: Sendable {
        public var configuration: Configuration
        public var layers: [Int]
        /// Mean of K^(ℓ)_δδ over inputs.
        public var kernelDiagonal: [Double]
        /// Mean correlation K_δ₁δ₂/√(K_δ₁δ₁K_δ₂δ₂) over distinct pairs.
        public var meanCorrelation: [Double]
        /// Mean of Θ^(ℓ)_δδ.
        public var ntkDiagonal: [Double]
        /// Mean NTK correlation over distinct pairs.
        public var ntkCorrelation: [Double]
        public var phase: PhaseAnalysis
    }

    public struct Flow: Sendable {
        public var configuration: Configuration
        public var rho0: Double
        public var correlations: [Double]
    }

    public var inputs: Matrix
    public var inputLabels: [Int]
    public var depth: Int
    public var profiles: [DepthProfile]
    public var flows: [Flow]
    public var tanhPhaseDiagram: PhaseDiagram
    public var criticalTable: [(Activation, CriticalPoint, DepthBehaviour?)]
    /// tanh at criticality over 1000 layers, against K ≈ 1/(2ℓ) and Θ → 1/2.
    public var tanhLongRun: DepthBehaviour
    public var seconds: Double

    public static let configurations: [Configuration] = [
        Configuration(label: "tanh, critical (C_b=0, C_W=1)", activation: .tanh, cb: 0, cw: 1),
        Configuration(label: "tanh, ordered (C_b=0.05, C_W=0.8)", activation: .tanh, cb: 0.05, cw: 0.8),
        Configuration(label: "tanh, chaotic (C_b=0.05, C_W=2)", activation: .tanh, cb: 0.05, cw: 2),
        Configuration(label: "ReLU, critical (C_b=0, C_W=2)", activation: .relu, cb: 0, cw: 2),
        Configuration(label: "ReLU, C_W=1.8 (vanishing)", activation: .relu, cb: 0, cw: 1.8),
        Configuration(label: "ReLU, C_W=2.2 (exploding)", activation: .relu, cb: 0, cw: 2.2),
    ]

    /// Run the study: `digitsPerClass` digits of classes 0–4 (standardized pixels, |x|²/n₀ = 1),
    /// `depth` layers, a `grid`×`grid` tanh phase diagram.
    public static func run(depth: Int = 30, digitsPerClass: Int = 2, grid: Int = 21, flowDepth: Int = 60,
                           longDepth: Int = 1000) throws -> FoundationStudy {
        let start = Date()
        let digits = try Datasets.digits()
        let standardized = Datasets.standardizeColumns(digits.inputs)
        let (picked, labels) = Datasets.firstExamples(
            Datasets.Labeled(inputs: standardized, labels: digits.labels, featureNames: []), classes: [0, 1, 2, 3, 4],
            perClass: digitsPerClass)
        let x = Datasets.normalizeRows(picked)
        var profiles: [DepthProfile] = []
        for c in configurations {
            let spec = try NetworkSpec(depth: depth, activation: c.activation, cb: c.cb, cw: c.cw)
            let k = try InfiniteWidth.kernels(spec: spec, x1: x, keepLayers: Set(1...depth))
            func stats(_ m: Matrix) -> (Double, Double) {
                let n = m.rows
                var diag = 0.0, corr = 0.0, pairs = 0
                for i in 0..<n {
                    diag += m[i, i]
                    for j in (i + 1)..<n { corr += m[i, j] / (m[i, i] * m[j, j]).squareRoot(); pairs += 1 }
                }
                return (diag / Double(n), corr / Double(max(pairs, 1)))
            }
            let ks = k.layers.map { stats($0.nngp) }, ts = k.layers.map { stats($0.ntk) }
            profiles.append(DepthProfile(
                configuration: c, layers: k.layerIndices, kernelDiagonal: ks.map(\.0), meanCorrelation: ks.map(\.1),
                ntkDiagonal: ts.map(\.0), ntkCorrelation: ts.map(\.1),
                phase: SingleInputMap(activation: c.activation, cb: c.cb, cw: c.cw).analyze()))
        }
        var flows: [Flow] = []
        for c in [configurations[0], configurations[1], configurations[2], configurations[3]] {
            for rho0 in [0.0, 0.5, 0.9, 0.99] {
                let map = SingleInputMap(activation: c.activation, cb: c.cb, cw: c.cw)
                flows.append(Flow(configuration: c, rho0: rho0, correlations: map.correlationFlow(q0: 1, rho0: rho0, depth: flowDepth)))
            }
        }
        let cwValues = (0..<grid).map { 0.5 + 3.0 * Double($0) / Double(grid - 1) }
        let cbValues = (0..<grid).map { 0.3 * Double($0) / Double(grid - 1) }
        let pd = PhaseDiagram.compute(activation: .tanh, cbValues: cbValues, cwValues: cwValues)
        var table: [(Activation, CriticalPoint, DepthBehaviour?)] = []
        for a in Activation.builtins {
            let cp = CriticalitySolver.solve(a)
            var d: DepthBehaviour?
            if let cb = cp.cb, let cw = cp.cw {
                let q0 = cp.universalityClass == .kStarNonzero ? (cp.kstar! - cb) / cw : 1
                d = DepthBehaviour.compute(activation: a, cb: cb, cw: cw, lambdaB: cb, lambdaW: cw, q0: q0, depth: longDepth, critical: cp)
            }
            table.append((a, cp, d))
        }
        let tanhCP = CriticalitySolver.solve(.tanh)
        let long = DepthBehaviour.compute(activation: .tanh, cb: 0, cw: 1, lambdaB: 0, lambdaW: 1, depth: longDepth, critical: tanhCP)
        return FoundationStudy(inputs: x, inputLabels: labels, depth: depth, profiles: profiles, flows: flows,
                               tanhPhaseDiagram: pd, criticalTable: table, tanhLongRun: long,
                               seconds: Date().timeIntervalSince(start))
    }
}
