import Foundation
import Testing
@testable import Architecture
@testable import Lazy
@testable import Linalg
@testable import SampledNetworks

@Suite struct LazyCriterionTests {
    /// Bias-free ReLU MLPs with λ_b = 0 are homogeneous of degree q = L in their trained weights: κ(sw₀) = s^{−q} κ(w₀).
    /// The log–log slope over s ∈ [0.5, 4] is −L to 1e-6 (Lanczos converged to 1e-12).
    @Test(arguments: [2, 3, 4])
    func homogeneousScaling(_ depth: Int) throws {
        let spec = try NetworkSpec(inputDimension: 3, depth: depth, width: 24, outputWidth: 1, activation: .relu, cb: 0, cw: 2,
                                   lambdaB: 0, lambdaW: 1)
        let net = SampledNetwork(spec: spec, seed: 5, index: depth)
        let x = try Matrix([[1, 0.5, -0.3], [0.2, -1, 0.8], [-0.6, 0.4, 1.1], [0.9, 0.9, 0.1]])
        let y = try Matrix([[1.0], [-0.5], [0.25], [0.7]])
        let scales = [0.5, 1, 2, 4]
        let kappas = try scales.map { try LazyCriterion.kappa(LazyCriterion.scaled(net, by: $0), x: x, targets: y).kappa }
        for (s, k) in zip(scales, kappas).dropFirst() {
            let slope = log(k / kappas[0]) / log(s / scales[0])
            #expect(abs(slope + Double(depth)) < 1e-6, "depth \(depth), s \(s): slope \(slope)")
        }
    }
}
