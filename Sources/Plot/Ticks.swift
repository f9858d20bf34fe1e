import Foundation

/// How data values map onto an axis.
public enum AxisScale: Sendable, Hashable {
    /// Evenly spaced values.
    case linear
    /// Evenly spaced decades; non-positive values cannot be shown and are skipped.
    case log10

    /// The axis coordinate of `value` (itself, or its base-10 logarithm), or `nil`
    /// when the value cannot be placed (NaN, ±∞, or ≤ 0 on a log axis).
    public func transform(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        switch self {
        case .linear: return value
        case .log10: return value > 0 ? Foundation.log10(value) : nil
        }
    }

    /// The data value at axis coordinate `t` (inverse of ``transform(_:)``).
    public func inverse(_ t: Double) -> Double {
        switch self {
        case .linear: return t
        case .log10: return Foundation.pow(10, t)
        }
    }
}

/// A tick label, possibly with a power-of-ten exponent (`10^-3`, `2×10^5`).
public struct TickLabel: Sendable, Hashable {
    /// The part on the baseline, e.g. `"0.25"`, `"10"` or `"2×10"`.
    public var base: String
    /// The superscript exponent (e.g. `"-3"`), if any.
    public var exponent: String?

    /// A label from its baseline part and optional exponent.
    public init(_ base: String, exponent: String? = nil) {
        self.base = base
        self.exponent = exponent
    }

    /// Plain-text form: `"0.25"`, `"10^-3"`, `"2×10^5"`.
    public var text: String { exponent.map { base + "^" + $0 } ?? base }

    var rich: RichText {
        var runs = [RichText.Run(text: base, shift: 0)]
        if let exponent { runs.append(RichText.Run(text: exponent, shift: 1)) }
        return RichText(runs: runs)
    }
}

/// One tick mark; minor ticks carry no label.
public struct Tick: Sendable, Hashable {
    /// Position in data units.
    public var value: Double
    /// The label, `nil` for minor ticks.
    public var label: TickLabel?
    /// Whether this is a major (labelled, gridline) tick.
    public var isMajor: Bool { label != nil }

    /// A tick at `value` with an optional label.
    public init(value: Double, label: TickLabel?) {
        self.value = value
        self.label = label
    }
}

/// Tick placement and compact label formatting.
public enum Ticks {
    /// `n × 10^e` computed so that e.g. 3 × 0.2 gives exactly 0.6.
    static func scaled(_ n: Int, _ e: Int) -> Double {
        e >= 0 ? Double(n) * Foundation.pow(10, Double(e)) : Double(n) / Foundation.pow(10, Double(-e))
    }

    /// The 1/2/5 × 10^k step that divides `span` into about `targetCount` intervals,
    /// as (mantissa, exponent).
    public static func niceStep(span: Double, targetCount: Int) -> (mantissa: Int, exponent: Int) {
        guard span.isFinite, span > 0 else { return (1, 0) }
        let raw = span / Double(max(1, targetCount))
        var e = Int(Foundation.floor(Foundation.log10(raw)))
        let residual = raw / Foundation.pow(10, Double(e))
        let m: Int
        if residual < 1.5 { m = 1 } else if residual < 3 { m = 2 } else if residual < 7 { m = 5 } else { m = 1; e += 1 }
        return (m, e)
    }

    /// Major ticks at multiples of a 1/2/5 × 10^k step inside `[lower, upper]`,
    /// aiming for about `targetCount` intervals. `[0, 1]` gives 0, 0.2, …, 1.
    /// A degenerate range gives a single tick; non-finite bounds give none.
    public static func linear(from lower: Double, to upper: Double, targetCount: Int = 5) -> [Tick] {
        guard lower.isFinite, upper.isFinite else { return [] }
        let lo = min(lower, upper), hi = max(lower, upper)
        guard hi > lo else { return [Tick(value: lo, label: format(lo))] }
        let (m, e) = niceStep(span: hi - lo, targetCount: targetCount)
        let step = scaled(m, e)
        let first = Foundation.ceil(lo / step - 1e-9), last = Foundation.floor(hi / step + 1e-9)
        guard abs(first) < 1e15, abs(last) < 1e15, last - first < 10_000 else {
            return [Tick(value: lo, label: format(lo)), Tick(value: hi, label: format(hi))]
        }
        let ks = first <= last ? Array(Int(first)...Int(last)) : []
        let values = ks.map { scaled($0 * m, e) }
        let maxAbs = values.map(abs).max() ?? 0
        let scientific = e >= 5 || e <= -5 || maxAbs >= 1e9
        let common = scientific && maxAbs > 0 ? Int(Foundation.floor(Foundation.log10(maxAbs))) : nil
        return values.map { Tick(value: $0, label: formatLinear($0, stepExponent: e, commonExponent: common)) }
    }

    /// Label for a tick on a linear axis whose step is m × 10^`stepExponent`: fixed
    /// notation, or `m×10^p` with the shared exponent `p` when `commonExponent` is given
    /// (so all labels of an axis read 0.5×10^7, 1×10^7, 1.5×10^7, …).
    static func formatLinear(_ value: Double, stepExponent e: Int, commonExponent p: Int?) -> TickLabel {
        if value == 0 { return TickLabel("0") }
        guard let p else { return TickLabel(fixed(value, decimals: max(0, -e))) }
        let mantissa = fixed(value / Foundation.pow(10, Double(p)), decimals: max(0, p - e))
        return TickLabel(mantissa + "\u{00D7}10", exponent: String(p))
    }

    /// Major (and minor) ticks for a log axis over `[lower, upper]` (both > 0).
    /// Ranges of about two decades or more get decade ticks labelled `10^k` (every
    /// second or third decade if more than `maxMajorCount`) with minor ticks at 2…9×10^k;
    /// shorter ranges get labelled 1, 2, 5 × 10^k ticks, and very short ones linear ticks.
    public static func log(from lower: Double, to upper: Double, maxMajorCount: Int = 8) -> [Tick] {
        guard lower.isFinite, upper.isFinite, lower > 0, upper > 0 else { return [] }
        let a = min(lower, upper), b = max(lower, upper)
        let lo = Foundation.log10(a), hi = Foundation.log10(b)
        guard hi - lo > 1e-12 else { return [Tick(value: a, label: format(a))] }
        let inside = { (v: Double) in v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9) }
        let kmin = Int(Foundation.ceil(lo - 1e-9)), kmax = Int(Foundation.floor(hi + 1e-9))
        let decades = kmax - kmin + 1
        var ticks: [Tick] = []
        if decades >= 3 || (decades == 2 && hi - lo >= 1.5) {
            let limit = max(2, maxMajorCount)
            var stride = 1
            while (decades + stride - 1) / stride > limit { stride += 1 }
            for k in kmin...kmax {
                let v = scaled(1, k)
                if ((k % stride) + stride) % stride == 0 {
                    ticks.append(Tick(value: v, label: TickLabel("10", exponent: String(k))))
                } else if stride <= 3 {
                    ticks.append(Tick(value: v, label: nil))
                }
            }
            if stride == 1 {
                for k in (kmin - 1)...kmax {
                    for j in 2...9 where inside(scaled(j, k)) { ticks.append(Tick(value: scaled(j, k), label: nil)) }
                }
            }
        } else {
            var majors: [Double] = []
            for k in (kmin - 1)...kmax {
                for j in [1, 2, 5] where inside(scaled(j, k)) { majors.append(scaled(j, k)) }
            }
            if majors.count < 2 {
                ticks = linear(from: a, to: b, targetCount: 4).filter { $0.value > 0 }
                majors = ticks.map(\.value)
            } else {
                ticks = majors.map { Tick(value: $0, label: format($0)) }
            }
            for k in (kmin - 1)...kmax {
                for j in 1...9 {
                    let v = scaled(j, k)
                    if inside(v), !majors.contains(where: { abs($0 - v) <= 1e-9 * v }) {
                        ticks.append(Tick(value: v, label: nil))
                    }
                }
            }
        }
        return ticks.sorted { $0.value < $1.value }
    }

    /// Compact general-purpose label: plain decimals with at most 3 significant digits
    /// for 1e-3 ≤ |v| < 1e5 (`0.3`, `250`, `0.00125`), otherwise `m×10^k`
    /// (`10^-6`, `2.5×10^7`). Never returns `nan`: non-finite values give `""`.
    public static func format(_ value: Double) -> TickLabel {
        guard value.isFinite else { return TickLabel("") }
        if value == 0 { return TickLabel("0") }
        let p = Int(Foundation.floor(Foundation.log10(abs(value))))
        if p >= -3 && p <= 4 {
            return TickLabel(fixed(value, decimals: max(0, 2 - p)))
        }
        return powerForm(value, significantDecimals: { _ in 2 })
    }

    /// `value` in fixed notation with trailing zeros (and a trailing point) removed.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var s = String(format: "%.\(min(decimals, 17))f", value)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        if s == "-0" { s = "0" }
        return s
    }

    /// `m×10^p` (or `10^p` when the mantissa is 1) with mantissa decimals chosen from p.
    static func powerForm(_ value: Double, significantDecimals: (Int) -> Int) -> TickLabel {
        var p = Int(Foundation.floor(Foundation.log10(abs(value))))
        var mantissa = fixed(value / Foundation.pow(10, Double(p)), decimals: significantDecimals(p))
        if mantissa == "10" || mantissa == "-10" {
            p += 1
            mantissa = value < 0 ? "-1" : "1"
        }
        switch mantissa {
        case "1": return TickLabel("10", exponent: String(p))
        case "-1": return TickLabel("-10", exponent: String(p))
        default: return TickLabel(mantissa + "\u{00D7}10", exponent: String(p))
        }
    }
}
