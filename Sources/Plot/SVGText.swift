import Foundation

/// Anything that renders to one self-contained SVG document.
public protocol SVGRenderable: Sendable {
    /// The complete `<svg>…</svg>` element: no external fonts, scripts or links,
    /// suitable for writing to a `.svg` file or inlining into an HTML page.
    func svg() -> String
}

/// Escapes `&`, `<`, `>`, `"` and `'` for use in XML/HTML text or attribute values,
/// and drops control characters that XML 1.0 forbids.
public func xmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            let v = scalar.value
            if v < 0x20 || v == 0xFFFE || v == 0xFFFF { continue }
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// Internal helpers for writing SVG markup.
enum SVG {
    /// The font stack used for all text: common sans-serif faces, then the generic family.
    static let fontFamily = "Helvetica, Arial, 'DejaVu Sans', 'Liberation Sans', sans-serif"

    /// Formats a pixel coordinate with at most two decimals; never emits `nan`/`inf`.
    static func num(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let clamped = min(max(value, -1e7), 1e7)
        let scaled = (clamped * 100).rounded()
        let magnitude = Int(abs(scaled))
        let whole = magnitude / 100, frac = magnitude % 100
        var s = (scaled < 0 && magnitude != 0) ? "-" : ""
        s += String(whole)
        if frac != 0 {
            if frac % 10 == 0 { s += "." + String(frac / 10) }
            else { s += (frac < 10 ? ".0" : ".") + String(frac) }
        }
        return s
    }

    /// Approximate advance width of `text` in a sans-serif font, in pixels.
    /// Deliberately a little generous so layout errs on the side of space.
    static func textWidth(_ text: String, fontSize: Double) -> Double {
        var em = 0.0
        for ch in text.unicodeScalars {
            switch ch {
            case "i", "l", "j", "I", ".", ",", ":", ";", "!", "|", "'", "`": em += 0.30
            case " ", "f", "t", "r", "(", ")", "[", "]", "{", "}", "/", "\\": em += 0.36
            case "0"..."9", "-", "+", "=", "<", ">", "~", "$", "_", "*", "^": em += 0.60
            case "m", "w", "M", "W", "@", "%", "\u{2212}", "\u{00D7}": em += 0.88
            case "A"..."Z": em += 0.68
            default: em += 0.57
            }
        }
        return em * fontSize
    }

    /// A `stroke-dasharray` attribute (with leading space) for a dash style, or "".
    static func dashAttributes(_ dash: DashStyle, width: Double) -> String {
        let w = max(width, 1)
        let pattern: [Double]
        var cap = "round"
        switch dash {
        case .solid: return " stroke-linecap=\"round\""
        case .dashed: pattern = [3.5 * w, 2 * w]; cap = "butt"
        case .dotted: pattern = [0.01, 2 * w]
        case .dashDot: pattern = [3 * w, 2 * w, 0.01, 2 * w]
        case .custom(let p):
            pattern = p.filter { $0.isFinite && $0 >= 0 }
            cap = "butt"
            if pattern.isEmpty || pattern.allSatisfy({ $0 == 0 }) { return "" }
        }
        return " stroke-linecap=\"\(cap)\" stroke-dasharray=\"" + pattern.map(num).joined(separator: ",") + "\""
    }

    /// A 64-bit FNV-1a hash, used to derive document-unique element ids deterministically.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 36)
    }

    /// Placeholder substituted by a content hash so that ids stay unique when several
    /// figures are inlined into one HTML page.
    static let idToken = "@@PLOTID@@"

    /// Wraps a body in the `<svg>` root and replaces the id placeholder.
    static func document(width: Double, height: Double, title: String?, body: String) -> String {
        let id = "p" + fnv1a(body)
        var head = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(width))\" height=\"\(num(height))\""
        head += " viewBox=\"0 0 \(num(width)) \(num(height))\" font-family=\"\(fontFamily)\" role=\"img\">\n"
        if let title, !title.isEmpty {
            head += "<title>" + xmlEscape(RichText(title).plain) + "</title>\n"
        }
        head += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        return head + body.replacingOccurrences(of: idToken, with: id) + "</svg>\n"
    }
}

/// Text with optional super- and subscripts, written `x^{2}` and `σ_{w}`.
/// Any other use of `^` or `_` is kept literally.
struct RichText: Sendable, Hashable {
    /// A run of characters; `shift` is +1 for superscript, -1 for subscript, 0 for normal.
    struct Run: Sendable, Hashable {
        var text: String
        var shift: Int
    }
    var runs: [Run]

    init(_ source: String) {
        var runs: [Run] = []
        var current = ""
        var chars = Array(source)[...]
        while let c = chars.first {
            if (c == "^" || c == "_"), chars.dropFirst().first == "{",
               let close = chars.firstIndex(of: "}") {
                let inner = String(chars[(chars.startIndex + 2)..<close])
                if !current.isEmpty { runs.append(Run(text: current, shift: 0)); current = "" }
                runs.append(Run(text: inner, shift: c == "^" ? 1 : -1))
                chars = chars[(close + 1)...]
            } else {
                current.append(c)
                chars = chars.dropFirst()
            }
        }
        if !current.isEmpty { runs.append(Run(text: current, shift: 0)) }
        self.runs = runs
    }

    init(runs: [Run]) { self.runs = runs }

    /// Plain-text rendering (`x^2`, `w_i`) for titles and tooltips.
    var plain: String {
        runs.map { $0.shift == 0 ? $0.text : ($0.shift > 0 ? "^" : "_") + $0.text }.joined()
    }

    var isEmpty: Bool { runs.allSatisfy { $0.text.isEmpty } }

    /// Estimated width in pixels at `fontSize`.
    func width(fontSize: Double) -> Double {
        runs.reduce(0) { $0 + SVG.textWidth($1.text, fontSize: $1.shift == 0 ? fontSize : fontSize * 0.72) }
    }

    /// Escaped SVG content (text and `<tspan>`s) for a `<text>` element of `fontSize`.
    func markup(fontSize: Double, minusSign: Bool = false) -> String {
        var out = ""
        var offset = 0.0 // current baseline shift in px (negative = up)
        for run in runs {
            var text = xmlEscape(run.text)
            if minusSign { text = text.replacingOccurrences(of: "-", with: "\u{2212}") }
            let target = run.shift > 0 ? -0.42 * fontSize : (run.shift < 0 ? 0.25 * fontSize : 0)
            let dy = target - offset
            offset = target
            if run.shift == 0 && dy == 0 {
                out += text
            } else {
                let size = run.shift == 0 ? "" : " font-size=\"\(SVG.num(fontSize * 0.72))\""
                out += "<tspan dy=\"\(SVG.num(dy))\"\(size)>\(text)</tspan>"
            }
        }
        return out
    }

    /// A complete `<text>` element. `anchor` is `start`, `middle` or `end`; `y` is the baseline;
    /// `halo` is an outline color drawn behind the glyphs for contrast.
    func element(x: Double, y: Double, fontSize: Double, anchor: String = "start",
                 color: String = "#222222", weight: String? = nil, rotate: Double? = nil,
                 halo: String? = nil, minusSign: Bool = false) -> String {
        var s = "<text x=\"\(SVG.num(x))\" y=\"\(SVG.num(y))\" font-size=\"\(SVG.num(fontSize))\""
        if anchor != "start" { s += " text-anchor=\"\(anchor)\"" }
        if color != "#000000" { s += " fill=\"\(color)\"" }
        if let weight { s += " font-weight=\"\(weight)\"" }
        if let rotate { s += " transform=\"rotate(\(SVG.num(rotate)) \(SVG.num(x)) \(SVG.num(y)))\"" }
        if let halo { s += " stroke=\"\(halo)\" stroke-width=\"3\" stroke-linejoin=\"round\" stroke-opacity=\"0.75\" paint-order=\"stroke\"" }
        return s + ">" + markup(fontSize: fontSize, minusSign: minusSign) + "</text>\n"
    }
}
