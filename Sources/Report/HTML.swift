import Foundation

/// A self-contained HTML page (inline CSS and SVG, nothing fetched from the network).
public struct HTMLPage {
    public var title: String
    public var sections: [String] = []

    public init(title: String) { self.title = title }

    public mutating func section(_ heading: String, id: String, intro: String, _ body: String) {
        sections.append("<section id=\"\(id)\"><h2>\(escape(heading))</h2><p class=\"intro\">\(intro)</p>\(body)</section>")
    }

    public func render(header: String, footer: String) -> String {
        let toc = sections.compactMap { s -> String? in
            guard let idStart = s.range(of: "id=\""), let idEnd = s[idStart.upperBound...].firstIndex(of: "\""),
                  let h = s.range(of: "<h2>"), let hEnd = s.range(of: "</h2>") else { return nil }
            return "<li><a href=\"#\(s[idStart.upperBound..<idEnd])\">\(s[h.upperBound..<hEnd.lowerBound])</a></li>"
        }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto;
                   max-width: 1340px; padding: 24px 32px; color: #1d1d1f; line-height: 1.5; background: #fff; }
            h1 { font-size: 30px; margin-bottom: 4px; }
            h2 { font-size: 23px; border-bottom: 2px solid #e3e3e3; padding-bottom: 4px; margin-top: 40px; }
            p.intro { max-width: 1000px; font-size: 16px; }
            .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(640px, 1fr)); gap: 16px 24px; }
            figure { margin: 0; }
            figcaption { font-size: 14px; color: #444; max-width: 640px; }
            table { border-collapse: collapse; font-size: 14px; margin: 8px 0 16px; }
            th, td { border: 1px solid #d0d0d0; padding: 4px 8px; text-align: right; vertical-align: top; }
            th { background: #f3f3f3; }
            td.text, th.text { text-align: left; max-width: 420px; }
            .meta { color: #555; font-size: 14px; }
            code { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
            nav ul { columns: 2; font-size: 15px; }
            </style></head><body>
            <h1>\(escape(title))</h1>
            \(header)
            <nav><ul>\(toc)</ul></nav>
            \(sections.joined(separator: "\n"))
            <footer class="meta"><hr>\(footer)</footer>
            </body></html>
            """
    }
}

/// A figure with a caption.
func figure(_ svg: String, caption: String) -> String {
    "<figure>\(svg)<figcaption>\(caption)</figcaption></figure>"
}

/// A table; `textColumns` are left-aligned.
func table(_ header: [String], _ rows: [[String]], textColumns: Set<Int> = []) -> String {
    var s = "<table><thead><tr>"
    for (i, h) in header.enumerated() { s += "<th\(textColumns.contains(i) ? " class=\"text\"" : "")>\(h)</th>" }
    s += "</tr></thead><tbody>"
    for r in rows {
        s += "<tr>"
        for (i, c) in r.enumerated() { s += "<td\(textColumns.contains(i) ? " class=\"text\"" : "")>\(c)</td>" }
        s += "</tr>"
    }
    return s + "</tbody></table>"
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// A number for a table: 6 significant digits, "—" for nil, "∞"/"NaN" spelled out.
func num(_ x: Double?, digits: Int = 6) -> String {
    guard let x else { return "—" }
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "∞" : "−∞" }
    if Swift.abs(x) < 1e-12 { return "0" }  // e.g. fitted exponents of exactly flat profiles (~1e-29)
    let s = String(format: "%.\(digits)g", x)
    return s.replacingOccurrences(of: "-", with: "−")
}
