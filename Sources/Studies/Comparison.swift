import DataIO
import Foundation

/// Theory vs Monte Carlo, row by row (`dlt compare`).
public enum Comparison {
    public struct Row: Sendable {
        public var quantity: String
        public var index: String
        public var infinite: Double?
        public var firstOrder: Double
        public var measured: Double
        public var standardError: Double
        /// For the NTK covariance and the (n-scaled) dNTK/ddNTK statistics: the relative O(L/n) remainder
        /// bounded by 3r × the largest magnitude in the quantity's family (P, Q; R … U; the covariance
        /// entries): the small members get corrections from the large ones, and the verification tables of
        /// docs/derivations (dntk.md §8.2, ntk-covariance-two-inputs.md) show relative remainders up to ≈ 3r.
        public var scaledRemainder: Double? = nil
        public var z: Double { (measured - firstOrder) / standardError }
        /// (1/n correction)² / |∞ value|: the size of an O(1/n²) remainder.
        public var remainder: Double {
            if let scaledRemainder { return scaledRemainder }
            guard let inf = infinite, inf != 0 else { return firstOrder * firstOrder }
            return (firstOrder - inf) * (firstOrder - inf) / abs(inf)
        }
        public var verdict: String {
            if abs(z) <= 4 { return "ok" }
            return abs(measured - firstOrder) <= 4 * standardError + remainder ? "within 1/n² remainder" : "MISMATCH"
        }
        public var json: JSONValue {
            .object([("quantity", .string(quantity)), ("index", .string(index)), ("infinite_width", .optional(infinite)),
                     ("order_1_over_n", .number(firstOrder)), ("monte_carlo", .number(measured)), ("standard_error", .number(standardError)),
                     ("z", .number(z)), ("remainder_estimate", .number(remainder)), ("verdict", .string(verdict))])
        }
    }

    static func value(_ pairs: [(String, JSONValue)], _ key: String) -> JSONValue? { pairs.first { $0.0 == key }?.1 }

    static func flatNumbers(_ v: JSONValue?) -> [Double] {
        switch v {
        case let .number(x)?: return [x]
        case let .array(items)?: return items.flatMap { flatNumbers($0) }
        default: return []
        }
    }

    static func number(_ v: JSONValue?, _ path: [Int]) -> Double? {
        var cur = v
        for i in path {
            guard case let .array(items)? = cur, i < items.count else { return nil }
            cur = items[i]
        }
        if case let .number(x)? = cur { return x }
        return nil
    }

    public static func rows(theory: [(String, JSONValue)], measured: [(String, JSONValue)], inputs n: Int) -> [Row] {
        var rows: [Row] = []
        let aspectRatio = number(value(theory, "aspect_ratio"), [])
        /// The largest magnitude among the family's theory values: per input for vector keys, over the whole
        /// tensor for the covariance.
        func familyScale(_ family: [String], _ path: [Int]) -> Double {
            family.flatMap { key -> [Double] in
                if key == "ntk_covariance" { return flatNumbers(value(theory, key)).map(abs) }
                return number(value(theory, key), path).map { [abs($0)] } ?? []
            }.max() ?? 0
        }
        func add(_ q: String, _ key: String, _ infKey: String?, _ path: [Int], label: String, infiniteDefault: Double? = nil,
                 family: [String] = []) {
            guard let t = number(value(theory, key), path), let m = number(value(measured, key), path),
                  let se = number(value(measured, key + "_se"), path) else { return }
            let inf = infKey.flatMap { number(value(theory, $0), path) } ?? infiniteDefault
            var row = Row(quantity: q, index: label, infinite: inf, firstOrder: t, measured: m, standardError: se)
            if !family.isEmpty, let r = aspectRatio {
                row.scaledRemainder = 3 * r * familyScale(family, path)
            }
            rows.append(row)
        }
        for a in 0..<n { for b in a..<n { add("nngp", "nngp", "nngp_infinite", [a, b], label: "\(a),\(b)") } }
        for a in 0..<n { add("excess_kurtosis", "excess_kurtosis", nil, [a], label: "\(a)", infiniteDefault: 0) }
        if n <= 4 {
            for a in 0..<n { for b in a..<n { for c in 0..<n { for d in c..<n where (a, b) <= (c, d) {
                add("vertex", "vertex", nil, [a, b, c, d], label: "(\(a)\(b))(\(c)\(d))")
            } } } }
        }
        for a in 0..<n { for b in a..<n { add("ntk_mean", "ntk_mean", "ntk_infinite", [a, b], label: "\(a),\(b)") } }
        for a in 0..<n { add("ntk_variance", "ntk_variance", nil, [a], label: "\(a)", infiniteDefault: 0) }
        // dNTK–preactivation cross-correlations and ddNTK means (n·E[…], zero at infinite width), on the
        // inputs where both sides have them.
        if n <= 4 {
            for a in 0..<n { for b in a..<n { for c in 0..<n { for d in c..<n where (a, b) <= (c, d) {
                add("ntk_covariance", "ntk_covariance", nil, [a, b, c, d], label: "(\(a)\(b))(\(c)\(d))", infiniteDefault: 0,
                    family: ["ntk_covariance"])
            } } } }
        }
        // The same tensors with sample indices, on tuples that are not all equal (those are the rows above),
        // one member of each symmetry class: P_{δ₀δ₁δ₂δ₃} = P_{δ₀δ₂δ₁δ₃}, R_{δ₀δ₁δ₂δ₃} = R_{δ₀δ₁δ₃δ₂},
        // X_{δ₁δ₂δ₃δ₄} = X_{δ₂δ₁δ₄δ₃} (X = S, T, U); remainder 3r × the family's largest entry.
        func tensorEntry(_ pairs: [(String, JSONValue)], _ key: String, _ sub: String, _ path: [Int]) -> Double? {
            guard case let .object(items)? = value(pairs, key) else { return nil }
            return number(items.first { $0.0 == sub }?.1, path)
        }
        func tensorFamilyScale(_ family: [String]) -> Double {
            guard case let .object(items)? = value(theory, "dntk_tensors") else { return 0 }
            return items.filter { family.contains($0.0) }.flatMap { flatNumbers($0.1).map(abs) }.max() ?? 0
        }
        for (sub, family) in [("p", ["p", "q"]), ("q", ["p", "q"]), ("r", ["r", "s", "t", "u"]), ("s", ["r", "s", "t", "u"]),
                              ("t", ["r", "s", "t", "u"]), ("u", ["r", "s", "t", "u"])] where n >= 2 && n <= 4 {
            for a in 0..<n { for b in 0..<n { for c in 0..<n { for d in 0..<n where !(a == b && b == c && c == d) {
                switch sub {
                case "p": if b > c { continue }
                case "r": if c > d { continue }
                case "s", "t", "u": if [b, a, d, c].lexicographicallyPrecedes([a, b, c, d]) { continue }
                default: break
                }
                let path = [a, b, c, d]
                guard let t = tensorEntry(theory, "dntk_tensors", sub, path), let m = tensorEntry(measured, "dntk_tensors", sub, path),
                      let se = tensorEntry(measured, "dntk_tensors_se", sub, path) else { continue }
                var row = Row(quantity: "dntk_tensor_" + sub, index: "\(a)\(b)\(c)\(d)", infinite: 0, firstOrder: t, measured: m, standardError: se)
                if let r = aspectRatio { row.scaledRemainder = 3 * r * tensorFamilyScale(family) }
                rows.append(row)
            } } } }
        }
        for family in [["dntk_p", "dntk_q"], ["ddntk_r", "ddntk_s", "ddntk_t", "ddntk_u"]] {
            for key in family {
                for a in 0..<n { add(key, key, nil, [a], label: "\(a)", infiniteDefault: 0, family: family) }
            }
        }
        return rows
    }

    public static func table(_ rows: [Row], networks: Int) -> String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "—" }
        func pad(_ t: String, _ w: Int, left: Bool = false) -> String {
            let n = t.count
            if n >= w { return t }
            let space = String(repeating: " ", count: w - n)
            return left ? t + space : space + t
        }
        let header = [pad("quantity", 16, left: true), pad("index", 12, left: true), pad("n = ∞", 13), pad("order 1/n", 13),
                      pad("Monte Carlo", 13), pad("± SE", 11), pad("z", 8), "  verdict"]
        var s = header.joined(separator: " ") + "\n"
        for r in rows {
            s += [pad(r.quantity, 16, left: true), pad(r.index, 12, left: true), pad(f(r.infinite), 13), pad(f(r.firstOrder), 13),
                  pad(f(r.measured), 13), pad(f(r.standardError), 11), pad(String(format: "%.2f", r.z), 8), "  " + r.verdict]
                .joined(separator: " ") + "\n"
        }
        let bad = rows.filter { $0.verdict == "MISMATCH" }.count
        s += "\(networks) networks; \(rows.count) quantities; \(bad) beyond 4 SE plus the 1/n² remainder estimate"
        return s
    }
}
