import Foundation
import Gaussian
import Linalg

/// JSON round-trip of `NetworkSpec`. Uniform per-layer values are written as one number.
extension NetworkSpec: Codable {
    enum Keys: String, CodingKey {
        case inputDim = "input_dim", depth, width, widths, outputWidth = "output_width", activation
        case cb, cw, lambdaB = "lambda_b", lambdaW = "lambda_w", parameterization
    }

    /// A number or a list of numbers.
    struct Values: Codable {
        var values: [Double]
        init(_ v: [Double]) { values = v }
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let x = try? c.decode(Double.self) { values = [x] } else { values = try c.decode([Double].self) }
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if let first = values.first, values.allSatisfy({ $0 == first }) { try c.encode(first) } else { try c.encode(values) }
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let depth = try c.decode(Int.self, forKey: .depth)
        try NetworkSpec.checkDepth(depth)
        var widths: [Int]
        if let w = try c.decodeIfPresent([Int].self, forKey: .widths) {
            widths = w
        } else {
            let w = try c.decodeIfPresent(Int.self, forKey: .width) ?? NetworkSpec.defaultWidth
            widths = [Int](repeating: w, count: max(depth - 1, 0))
        }
        if depth == 1 { widths = [] }
        let activation = try c.decode(Activation.self, forKey: .activation)
        guard let cb = try c.decodeIfPresent(Values.self, forKey: .cb)?.values,
              let cw = try c.decodeIfPresent(Values.self, forKey: .cw)?.values else {
            throw SpecError.invalid("cb and cw are required")
        }
        try self.init(
            inputDimension: try c.decodeIfPresent(Int.self, forKey: .inputDim), depth: depth, hiddenWidths: widths,
            outputWidth: try c.decodeIfPresent(Int.self, forKey: .outputWidth) ?? 1, activation: activation,
            cb: cb, cw: cw, lambdaB: try c.decodeIfPresent(Values.self, forKey: .lambdaB)?.values,
            lambdaW: try c.decodeIfPresent(Values.self, forKey: .lambdaW)?.values,
            parameterization: try c.decodeIfPresent(Parameterization.self, forKey: .parameterization) ?? .ntk)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(inputDimension, forKey: .inputDim)
        try c.encode(depth, forKey: .depth)
        if let first = hiddenWidths.first, hiddenWidths.allSatisfy({ $0 == first }) {
            try c.encode(first, forKey: .width)
        } else if !hiddenWidths.isEmpty {
            try c.encode(hiddenWidths, forKey: .widths)
        }
        try c.encode(outputWidth, forKey: .outputWidth)
        try c.encode(activation, forKey: .activation)
        try c.encode(Values(cb), forKey: .cb)
        try c.encode(Values(cw), forKey: .cw)
        try c.encode(Values(lambdaB), forKey: .lambdaB)
        try c.encode(Values(lambdaW), forKey: .lambdaW)
        try c.encode(parameterization, forKey: .parameterization)
    }

    /// Decode from JSON text, with errors that name the problem.
    public static func fromJSON(_ data: Data) throws -> NetworkSpec {
        do {
            return try JSONDecoder().decode(NetworkSpec.self, from: data)
        } catch let e as SpecError {
            throw e
        } catch let e as ActivationError {
            throw SpecError.invalid(e.description)
        } catch let DecodingError.keyNotFound(key, _) {
            throw SpecError.invalid("missing key '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw SpecError.invalid("wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw SpecError.invalid("malformed JSON: \(ctx.debugDescription) \(ctx.underlyingError.map { "\($0)" } ?? "")")
        } catch {
            throw SpecError.invalid("\(error)")
        }
    }

    public func toJSON() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}

extension NetworkSpec {
    /// A 64-bit FNV-1a hash (hex) of this spec's JSON, then `text`, then the bits of `data` (little-endian float64, in
    /// order): the run id or fingerprint by which shard files and checkpoints of another run are refused.
    public func fingerprint(_ text: String, data: [Matrix]) throws -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence<UInt8>>(_ bytes: S) { for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 } }
        mix(try toJSON())
        mix(text.utf8)
        for m in data {
            for v in m.storage { withUnsafeBytes(of: v.bitPattern.littleEndian) { mix($0) } }
        }
        return String(h, radix: 16)
    }
}
