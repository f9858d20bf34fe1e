import Architecture
import Linalg

/// Full-batch gradient descent of one sampled network on the MSE loss, in the conventions of
/// neural-tangents' `predict` so that T steps at learning rate η sit on the clock of gradient flow at
/// time T (PDLT §7.2, §10.2; ch. ∞): L = (1/(2Nk)) Σ_{δ,i} (z_{i;δ} − y_{δi})², and every step
/// θ_μ ← θ_μ − η λ_μ ∂L/∂θ_μ with the learning-rate tensor λ (λ_b, λ_W/n_{ℓ−1}), so that at first order
/// z ← z − (η/(Nk)) Ĥ (z − y).
///
/// `model` picks what is trained (the Taylor truncations of the lecture slides, PDLT §∞.2):
/// - `.network`: the network itself;
/// - `.linearized`: z₀ + J₀Δθ (the kernel model; its NTK never moves);
/// - `.quadratic`: z₀ + J₀Δθ + ½ Δθᵀ H₀ Δθ (the dNTK's order), gradient J₀ᵀr + (Σ r·H₀)Δθ.
/// Derivatives at θ₀ come from `BackpropState` and `taylorCoefficients` (exact, batched DGEMMs).
public enum TrainedModel: String, Sendable, CaseIterable { case network, linearized, quadratic }

public struct TrainingRun: Sendable {
    /// Train loss before every step and after the last (steps + 1 values).
    public var trainLoss: [Double]
    /// Outputs on the test inputs after training, N_test × k.
    public var testOutputs: Matrix
    /// ‖Ĥ_T − Ĥ_0‖_F/‖Ĥ_0‖_F on the training inputs (output component 0; 0 for the linearized model).
    public var ntkChange: Double

    public init(trainLoss: [Double], testOutputs: Matrix, ntkChange: Double) {
        self.trainLoss = trainLoss
        self.testOutputs = testOutputs
        self.ntkChange = ntkChange
    }
}

extension SampledNetwork {
    /// Train this network (or its truncation) for `steps` steps of full-batch gradient descent.
    /// `measureNTK: false` skips the NTK before and after (two N × N empirical NTKs; ntkChange is then NaN).
    public func train(x: Matrix, y: Matrix, test: Matrix, steps: Int, learningRate eta: Double,
                      model: TrainedModel = .network, measureNTK: Bool = true) throws -> TrainingRun {
        precondition(y.rows == x.rows && y.cols == spec.outputWidth, "targets must be N × n_L")
        let scale = 1 / Double(x.rows * y.cols)
        var theta = self
        var delta = ParameterVector(zeroLike: self)
        var losses: [Double] = []
        let h0 = measureNTK ? try empiricalNTK(x) : Matrix(rows: 0, cols: 0)
        /// Outputs of the trained model on `inputs`.
        func outputs(_ inputs: Matrix) throws -> Matrix {
            switch model {
            case .network: return try theta.forward(inputs).last!
            case .linearized, .quadratic:
                let c = try taylorCoefficients(inputs, direction: delta)
                return model == .linearized ? c[0] + c[1] : c[0] + c[1] + c[2]
            }
        }
        for step in 0...steps {
            if model == .network {
                // One forward pass gives the loss and, unless this is the end, the gradient.
                var loss = 0.0
                let state = try BackpropState(network: theta, x: x, secondOrder: false) { z in
                    let r = z - y
                    loss = 0.5 * scale * r.storage.reduce(0) { $0 + $1 * $1 }
                    return scale * r
                }
                losses.append(loss)
                guard step < steps else { break }
                guard loss.isFinite else { throw TrainingDivergence(step: step, loss: loss) }
                var p = ParameterVector(layers: theta.layers)
                p.add(state.gradient.weighted(by: spec), scaledBy: -eta)
                theta.layers = p.layers
                continue
            }
            let z = try outputs(x)
            var r = z - y
            losses.append(0.5 * scale * r.storage.reduce(0) { $0 + $1 * $1 })
            guard step < steps else { break }
            guard losses.last!.isFinite else { throw TrainingDivergence(step: step, loss: losses.last!) }
            r = scale * r
            let g: ParameterVector
            switch model {
            case .network:
                g = try theta.gradient(x, cotangent: r)
            case .linearized:
                g = try gradient(x, cotangent: r)
            case .quadratic:
                var (first, curvature) = try hessianVectorProduct(x, cotangent: r, direction: delta)
                first.add(curvature)
                g = first
            }
            let update = g.weighted(by: spec).scaled(by: -eta)
            if model == .network {
                var p = ParameterVector(layers: theta.layers)
                p.add(update)
                theta.layers = p.layers
            } else {
                delta.add(update)
            }
        }
        var change = measureNTK ? 0.0 : .nan
        if model != .linearized && measureNTK {
            let hT: Matrix
            if model == .network {
                hT = try theta.empiricalNTK(x)
            } else {
                // The quadratic model's own NTK: its Jacobian row on input δ is ∇z₀(x_δ) + H₀(x_δ)Δθ.
                let rows = try (0..<x.rows).map { d -> ParameterVector in
                    let st = try BackpropState(network: self, x: x, cotangent: cotangent(inputs: x.rows, input: d, component: 0))
                    var v = st.gradient
                    v.add(try st.hessianVectorProduct(delta))
                    return v
                }
                var h = Matrix(rows: x.rows, cols: x.rows)
                for a in 0..<x.rows { for b in a..<x.rows { h[a, b] = rows[a].dot(rows[b].weighted(by: spec)); h[b, a] = h[a, b] } }
                hT = h
            }
            let diff = hT - h0
            change = (diff.storage.reduce(0) { $0 + $1 * $1 } / h0.storage.reduce(0) { $0 + $1 * $1 }).squareRoot()
        }
        return TrainingRun(trainLoss: losses, testOutputs: try outputs(test), ntkChange: change)
    }
}

/// A training run whose loss became NaN or infinite (learning rate too large for the kernel).
public struct TrainingDivergence: Error, CustomStringConvertible {
    public let step: Int
    public let loss: Double
    public var description: String {
        "training diverged at step \(step) (loss \(loss)): lower --learning-rate (gradient descent is stable below 2·N·k/λ_max of the NTK)"
    }
}
