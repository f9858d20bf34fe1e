import Foundation
import Linalg
import Optimizers
import Sampling

/// The report's optimizer study (the last lecture: optimizers as steepest descent in different norms):
/// one two-layer ReLU model f = w₂·relu(W₁x) fitted to sin 3x on [−1, 1] by gradient descent (ℓ₂), sign descent
/// (ℓ∞), Adam (a smoothed sign descent) and Muon (spectral norm, Newton–Schulz orthogonalized), each from the
/// two rescaled starting points (5W₁, w₂) and (W₁, 5w₂) that are the same function.
public struct OptimizersStudy: Sendable {
    public struct MethodResult: Sendable {
        public var method: TwoLayerOptimizers.Method
        public var learningRate: Double
        /// Train loss per step from the two starting points.
        public var lossA: [Double], lossB: [Double]
        /// RMS over a grid of f_A − f_B after training, relative to the RMS of f_A.
        public var functionGap: Double
        /// Mean W₁-update size over the steps, in ℓ₂, ℓ∞ and spectral norm (from start A).
        public var meanUpdate: (l2: Double, max: Double, spectral: Double)
        /// The trained functions on the grid.
        public var fA: [Double], fB: [Double]
    }
    public var results: [MethodResult]
    public var grid: [Double], target: [Double]
    public var width: Int, steps: Int, points: Int

    public static let learningRates: [TwoLayerOptimizers.Method: Double] = [.gd: 0.002, .sign: 0.0005, .adam: 0.003, .muon: 0.01]

    public static func run(steps: Int = 3000, width: Int = 64) throws -> OptimizersStudy {
        let points = 32
        let xs = (0..<points).map { -1 + 2 * Double($0) / Double(points - 1) }
        let x = try Matrix(xs.map { [$0, 1] }), y = xs.map { sin(3 * $0) }
        var g = [Double](repeating: 0, count: 3 * width)
        g.withUnsafeMutableBufferPointer { Philox4x32(seed: 12, stream: 0x0B7).fillNormals($0) }
        let w1 = try Matrix(rows: width, cols: 2, storage: Array(g[0..<(2 * width)]).map { $0 / 2.0.squareRoot() })
        let w2 = try Matrix(rows: 1, cols: width, storage: Array(g[(2 * width)...]).map { $0 / Double(width).squareRoot() })
        let grid = (0...200).map { -1 + 2 * Double($0) / 200 }
        let gx = try Matrix(grid.map { [$0, 1] })
        let results = try TwoLayerOptimizers.Method.allCases.map { method -> MethodResult in
            let eta = learningRates[method]!
            let a = try TwoLayerOptimizers.train(x: x, y: y, w1: 5 * w1, w2: w2, inner: 1, outer: 1, method: method, learningRate: eta, steps: steps)
            let b = try TwoLayerOptimizers.train(x: x, y: y, w1: w1, w2: 5 * w2, inner: 1, outer: 1, method: method, learningRate: eta, steps: steps)
            let fa = try TwoLayerOptimizers.outputs(gx, w1: a.w1, w2: a.w2, inner: 1, outer: 1)
            let fb = try TwoLayerOptimizers.outputs(gx, w1: b.w1, w2: b.w2, inner: 1, outer: 1)
            func rms(_ v: [Double]) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(v.count)).squareRoot() }
            let m = Double(a.updateSizes.count)
            return MethodResult(method: method, learningRate: eta, lossA: a.loss, lossB: b.loss,
                                functionGap: rms(zip(fa, fb).map { $0 - $1 }) / rms(fa),
                                meanUpdate: (a.updateSizes.reduce(0) { $0 + $1.l2 } / m, a.updateSizes.reduce(0) { $0 + $1.max } / m,
                                             a.updateSizes.reduce(0) { $0 + $1.spectral } / m), fA: fa, fB: fb)
        }
        return OptimizersStudy(results: results, grid: grid, target: grid.map { sin(3 * $0) }, width: width, steps: steps, points: points)
    }
}
