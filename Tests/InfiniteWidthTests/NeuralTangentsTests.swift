import Foundation
import Testing
@testable import Architecture
@testable import Gaussian
@testable import InfiniteWidth
@testable import Linalg

/// Reference kernels from neural-tangents 0.6.5 (bench/nt/make_fixtures.py; conventions in the
/// fixture): every activation both packages support in closed form, depths 1, 3, 10 (and 30, 50),
/// cross-kernels, nearly identical and antiparallel inputs.
struct NTFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let activation: String
        let depth: Int
        let cw: Double
        let cb: Double
        let x1: [[Double]]
        let x2: [[Double]]?
        let nngp: [[Double]]
        let ntk: [[Double]]
        let reference_stable: Pair?
    }
    struct Pair: Decodable { let nngp: [[Double]]; let ntk: [[Double]] }
    struct Numerical: Decodable {
        let q: Double
        let depth: Int
        let cw: Double
        let cb: Double
        let x1: [[Double]]
        let nngp: [[Double]]
        let ntk: [[Double]]
        let reference_quadrature: Pair
    }
    let cases: [Case]
    let nt_numerical_tanh: [Numerical]

    static let shared: NTFixture = {
        let url = Bundle.module.url(forResource: "Fixtures/nt_kernels", withExtension: "json")!
        return try! JSONDecoder().decode(NTFixture.self, from: Data(contentsOf: url))
    }()
}

@Suite struct NeuralTangentsAgreement {
    /// |ours − NT| ≤ 1e-10 × max|NT| on every entry — or, on the entries where neural-tangents' own
    /// angle is rounding noise (diagonal, nearly identical and antiparallel pairs; see the fixture's
    /// notes), within the same tolerance of the cancellation-free reference recursion.
    @Test(arguments: NTFixture.shared.cases.map(\.name))
    func kernelMatches(_ name: String) throws {
        let c = NTFixture.shared.cases.first { $0.name == name }!
        let act = try Activation.parse(c.activation)
        let spec = try NetworkSpec(depth: c.depth, activation: act, cb: c.cb, cw: c.cw)
        let x1 = try Matrix(c.x1)
        let got = try InfiniteWidth.kernels(spec: spec, x1: x1, x2: try c.x2.map { try Matrix($0) }).output
        for (ours, theirs, stable, what) in [(got.nngp, c.nngp, c.reference_stable?.nngp, "NNGP"), (got.ntk, c.ntk, c.reference_stable?.ntk, "NTK")] {
            let nt = try Matrix(theirs)
            let ref = try stable.map { try Matrix($0) }
            let scale = max(nt.maxAbs, ref?.maxAbs ?? 0)
            var worst = 0.0
            for k in 0..<nt.storage.count {
                var err = abs(ours.storage[k] - nt.storage[k])
                if let ref { err = min(err, abs(ours.storage[k] - ref.storage[k])) }
                worst = max(worst, err / scale)
            }
            #expect(worst <= 1e-10, "\(name) \(what): worst relative error \(worst)")
        }
    }

    /// tanh has no closed form: our quadrature against an independent high-accuracy quadrature, and
    /// neural-tangents' Gauss–Hermite (degree 60) shown to be off at ‖x‖²/n₀ ≈ 10 (its documented limit).
    @Test func tanhQuadratureIsAccurateWhereGaussHermiteIsNot() throws {
        for c in NTFixture.shared.nt_numerical_tanh {
            let spec = try NetworkSpec(depth: c.depth, activation: .tanh, cb: c.cb, cw: c.cw)
            let got = try InfiniteWidth.kernels(spec: spec, x1: try Matrix(c.x1)).output
            let refK = try Matrix(c.reference_quadrature.nngp), refT = try Matrix(c.reference_quadrature.ntk)
            #expect(got.nngp.relativeDistance(to: refK) < 1e-10, "q = \(c.q)")
            #expect(got.ntk.relativeDistance(to: refT) < 1e-10, "q = \(c.q)")
            if c.q >= 10 {
                #expect(try Matrix(c.nngp).relativeDistance(to: refK) > 1e-4)
                #expect(try Matrix(c.ntk).relativeDistance(to: refT) > 1e-2)
            }
        }
    }
}

/// parameterization='standard' (bench/nt/make_standard_fixture.py): the default learning rates
/// reproduce neural-tangents' NTK, which grows with the width.
@Test func standardParameterizationMatchesNeuralTangents() throws {
    struct Fixture: Decodable {
        struct Case: Decodable { let width: Int; let w_std: Double; let b_std: Double; let depth: Int; let x: [[Double]]; let nngp: [[Double]]; let ntk: [[Double]] }
        let cases: [Case]
    }
    let url = Bundle.module.url(forResource: "Fixtures/nt_standard", withExtension: "json")!
    for c in try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases {
        let spec = try NetworkSpec(depth: c.depth, width: c.width, activation: .relu, cb: c.b_std * c.b_std,
                                   cw: c.w_std * c.w_std, parameterization: .standard)
        let got = try InfiniteWidth.kernels(spec: spec, x1: try Matrix(c.x)).output
        #expect(got.nngp.relativeDistance(to: try Matrix(c.nngp)) < 1e-12)
        #expect(got.ntk.relativeDistance(to: try Matrix(c.ntk)) < 1e-12, "width \(c.width)")
    }
}
