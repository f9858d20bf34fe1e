import Foundation

/// A row of the legend.
struct LegendEntry {
    var label: RichText
    var color: Color
    /// Line style of the swatch, or nil for marker-only entries.
    var dash: DashStyle?
    var lineWidth: Double
    var marker: MarkerShape?
    var markerSize: Double
    var filled: Bool
    var errorBar: Bool
}

/// Draws ``PlotElement``s into a ``PlotLayout``.
struct ElementRenderer {
    let layout: PlotLayout
    let elements: [PlotElement]
    /// Resolved color per element (cycle colors filled in for series without one).
    let colors: [Color]
    let baseFontSize: Double

    init(layout: PlotLayout, elements: [PlotElement], cycle: [Color], baseFontSize: Double) {
        self.layout = layout
        self.elements = elements
        self.baseFontSize = baseFontSize
        colors = ElementRenderer.colors(for: elements, cycle: cycle)
    }

    /// Each element's color, with cycle colors given in order to series without one.
    static func colors(for elements: [PlotElement], cycle: [Color]) -> [Color] {
        let palette = cycle.isEmpty ? Color.okabeIto : cycle
        var next = 0
        return elements.map { element in
            func take(_ explicit: Color?) -> Color {
                if let explicit { return explicit }
                defer { next += 1 }
                return palette[next % palette.count]
            }
            switch element {
            case .line(let s): return take(s.color)
            case .points(let s): return take(s.color)
            case .reference(let r): return r.color
            case .annotation(let a): return a.color
            }
        }
    }

    /// Data values that should be visible, per axis, for automatic ranges.
    static func extent(of elements: [PlotElement], xScale: AxisScale, yScale: AxisScale) -> (xs: [Double], ys: [Double]) {
        var xs: [Double] = [], ys: [Double] = []
        for element in elements {
            switch element {
            case .line(let s):
                for i in 0..<min(s.x.count, s.y.count) where xScale.transform(s.x[i]) != nil && yScale.transform(s.y[i]) != nil {
                    xs.append(s.x[i]); ys.append(s.y[i])
                }
            case .points(let s):
                for i in 0..<min(s.x.count, s.y.count) where xScale.transform(s.x[i]) != nil && yScale.transform(s.y[i]) != nil {
                    xs.append(s.x[i]); ys.append(s.y[i])
                    if let err = s.yError, i < err.count, err[i].isFinite {
                        ys.append(s.y[i] + abs(err[i]))
                        ys.append(s.y[i] - abs(err[i])) // skipped by the scale if ≤ 0 on a log axis
                    }
                }
            case .reference(let r):
                if r.orientation == .horizontal { ys.append(r.value) } else { xs.append(r.value) }
            case .annotation:
                break
            }
        }
        return (xs, ys)
    }

    /// Path data through the valid points, broken at invalid ones. Points closer than
    /// 0.4 px to the previous vertex are dropped (the last of each run is kept).
    func pathData(x: [Double], y: [Double]) -> String {
        var d = ""
        var last: (Double, Double)?
        var skipped: (Double, Double)?
        func flush() {
            if let p = skipped { d += "L" + SVG.num(p.0) + "," + SVG.num(p.1) }
            skipped = nil
        }
        for i in 0..<min(x.count, y.count) {
            guard let px = layout.px(x[i]), let py = layout.py(y[i]) else {
                flush()
                last = nil
                continue
            }
            if let l = last {
                if abs(px - l.0) < 0.4 && abs(py - l.1) < 0.4 { skipped = (px, py); continue }
                skipped = nil
                d += "L" + SVG.num(px) + "," + SVG.num(py)
            } else {
                d += "M" + SVG.num(px) + "," + SVG.num(py)
            }
            last = (px, py)
        }
        flush()
        return d
    }

    /// One marker element (fill and stroke inherited from the enclosing group).
    static func marker(_ shape: MarkerShape, x: Double, y: Double, size: Double) -> String {
        let r = max(size, 1) / 2
        switch shape {
        case .circle:
            return "<circle cx=\"\(SVG.num(x))\" cy=\"\(SVG.num(y))\" r=\"\(SVG.num(r))\"/>"
        case .square:
            let s = r * 0.9
            return "<rect x=\"\(SVG.num(x - s))\" y=\"\(SVG.num(y - s))\" width=\"\(SVG.num(2 * s))\" height=\"\(SVG.num(2 * s))\"/>"
        case .triangle:
            let R = r * 1.25
            return "<path d=\"M\(SVG.num(x)),\(SVG.num(y - R))L\(SVG.num(x + R * 0.866)),\(SVG.num(y + R * 0.5))L\(SVG.num(x - R * 0.866)),\(SVG.num(y + R * 0.5))Z\"/>"
        }
    }

    static func markerGroupOpen(color: Color, filled: Bool) -> String {
        let opacity = color.opacity < 1 ? " fill-opacity=\"\(SVG.num(color.opacity))\"" : ""
        return filled ? "<g fill=\"\(color.hex)\"\(opacity) stroke=\"#ffffff\" stroke-width=\"0.6\">"
                      : "<g fill=\"#ffffff\" stroke=\"\(color.hex)\" stroke-width=\"1.5\">"
    }

    static func strokeAttributes(color: Color, width: Double, dash: DashStyle) -> String {
        var s = "fill=\"none\" stroke=\"\(color.hex)\" stroke-width=\"\(SVG.num(width))\" stroke-linejoin=\"round\""
        if color.opacity < 1 { s += " stroke-opacity=\"\(SVG.num(color.opacity))\"" }
        return s + SVG.dashAttributes(dash, width: width)
    }

    /// Markers at the valid points whose centers lie inside the data area.
    func markers(x: [Double], y: [Double], shape: MarkerShape, size: Double, color: Color, filled: Bool) -> String {
        var body = ""
        for i in 0..<min(x.count, y.count) {
            guard let px = layout.px(x[i]), let py = layout.py(y[i]), layout.contains(px, py) else { continue }
            body += ElementRenderer.marker(shape, x: px, y: py, size: size)
        }
        return body.isEmpty ? "" : ElementRenderer.markerGroupOpen(color: color, filled: filled) + body + "</g>\n"
    }

    /// SVG for all non-annotation elements, in order.
    func data() -> String {
        var out = ""
        for (element, color) in zip(elements, colors) {
            switch element {
            case .line(let s):
                let d = pathData(x: s.x, y: s.y)
                if !d.isEmpty {
                    out += layout.clipGroupOpen + "<path d=\"\(d)\" \(ElementRenderer.strokeAttributes(color: color, width: s.width, dash: s.dash))/>\n</g>\n"
                }
                if let m = s.marker {
                    out += markers(x: s.x, y: s.y, shape: m, size: max(5, s.width * 3), color: color, filled: true)
                }
            case .points(let s):
                if let err = s.yError {
                    var d = ""
                    let cap = max(3, s.size * 0.5)
                    for i in 0..<min(s.x.count, s.y.count, err.count) where err[i].isFinite && err[i] != 0 {
                        guard let px = layout.px(s.x[i]), layout.py(s.y[i]) != nil else { continue }
                        let e = abs(err[i])
                        guard let top = layout.py(s.y[i] + e) else { continue }
                        let lower = layout.py(s.y[i] - e)
                        let bottom = lower ?? (layout.maxY + 10) // below a log axis: run off the bottom
                        d += "M\(SVG.num(px)),\(SVG.num(bottom))V\(SVG.num(top))"
                        d += "M\(SVG.num(px - cap)),\(SVG.num(top))h\(SVG.num(2 * cap))"
                        if lower != nil { d += "M\(SVG.num(px - cap)),\(SVG.num(bottom))h\(SVG.num(2 * cap))" }
                    }
                    if !d.isEmpty {
                        out += layout.clipGroupOpen + "<path d=\"\(d)\" \(ElementRenderer.strokeAttributes(color: color, width: 1.4, dash: .solid))/>\n</g>\n"
                    }
                }
                out += markers(x: s.x, y: s.y, shape: s.marker, size: s.size, color: color, filled: s.filled)
            case .reference(let r):
                let d: String
                switch r.orientation {
                case .horizontal:
                    guard let y = layout.py(r.value) else { continue }
                    d = "M\(SVG.num(layout.fx)),\(SVG.num(y))H\(SVG.num(layout.maxX))"
                case .vertical:
                    guard let x = layout.px(r.value) else { continue }
                    d = "M\(SVG.num(x)),\(SVG.num(layout.fy))V\(SVG.num(layout.maxY))"
                }
                out += layout.clipGroupOpen + "<path d=\"\(d)\" \(ElementRenderer.strokeAttributes(color: r.color, width: r.width, dash: r.dash))/>\n</g>\n"
            case .annotation:
                break
            }
        }
        return out
    }

    /// Text annotations, drawn above everything but the legend.
    func annotations() -> String {
        var out = ""
        for case .annotation(let a) in elements {
            guard let x = layout.px(a.x), let y = layout.py(a.y) else { continue }
            out += RichText(a.text).element(x: x + (a.dx.isFinite ? a.dx : 0), y: y + (a.dy.isFinite ? a.dy : 0),
                                            fontSize: a.fontSize.map { $0.isFinite ? $0 : baseFontSize } ?? baseFontSize,
                                            anchor: a.alignment.rawValue, color: a.color.hex,
                                            halo: a.color.luminance > 0.6 ? "#000000" : "#ffffff")
        }
        return out
    }

    /// Legend rows for labelled elements.
    static func legendEntries(_ elements: [PlotElement], colors: [Color]) -> [LegendEntry] {
        var entries: [LegendEntry] = []
        for (element, color) in zip(elements, colors) {
            switch element {
            case .line(let s):
                guard let l = s.label, !l.isEmpty else { continue }
                entries.append(LegendEntry(label: RichText(l), color: color, dash: s.dash, lineWidth: s.width,
                                           marker: s.marker, markerSize: max(5, s.width * 3), filled: true, errorBar: false))
            case .points(let s):
                guard let l = s.label, !l.isEmpty else { continue }
                entries.append(LegendEntry(label: RichText(l), color: color, dash: nil, lineWidth: 0, marker: s.marker,
                                           markerSize: s.size, filled: s.filled, errorBar: s.yError != nil))
            case .reference(let r):
                guard let l = r.label, !l.isEmpty else { continue }
                entries.append(LegendEntry(label: RichText(l), color: r.color, dash: r.dash, lineWidth: r.width,
                                           marker: nil, markerSize: 0, filled: true, errorBar: false))
            case .annotation:
                continue
            }
        }
        return entries
    }

    /// Pixel positions covered by the data, sampled every few pixels (for legend placement).
    func coveredPixels() -> [(Double, Double)] {
        var pts: [(Double, Double)] = []
        let limit = 50_000
        func segment(_ a: (Double, Double), _ b: (Double, Double)) {
            let n = min(200, Int((hypot(b.0 - a.0, b.1 - a.1) / 6).rounded(.up)))
            for k in 0...max(n, 0) where pts.count < limit {
                let t = n == 0 ? 0 : Double(k) / Double(n)
                pts.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
            }
        }
        for element in elements where pts.count < limit {
            switch element {
            case .line(let s):
                var prev: (Double, Double)?
                for i in 0..<min(s.x.count, s.y.count) {
                    guard let px = layout.px(s.x[i]), let py = layout.py(s.y[i]) else { prev = nil; continue }
                    if let p = prev { segment(p, (px, py)) } else if s.marker != nil { pts.append((px, py)) }
                    prev = (px, py)
                }
            case .points(let s):
                for i in 0..<min(s.x.count, s.y.count) {
                    guard let px = layout.px(s.x[i]), let py = layout.py(s.y[i]) else { continue }
                    pts.append((px, py))
                    if let e = s.yError, i < e.count, e[i].isFinite {
                        if let t = layout.py(s.y[i] + abs(e[i])) { segment((px, py), (px, t)) }
                        if let b = layout.py(s.y[i] - abs(e[i])) { segment((px, py), (px, b)) }
                    }
                }
            case .reference, .annotation:
                break // thin and expected to run under the legend
            }
        }
        return pts
    }
}

/// Legend box measurement and drawing.
enum Legend {
    static let swatch = 28.0, pad = 8.0, gap = 7.0

    static func size(_ entries: [LegendEntry], fontSize: Double) -> (w: Double, h: Double) {
        guard !entries.isEmpty else { return (0, 0) }
        let textWidth = entries.map { $0.label.width(fontSize: fontSize) }.max() ?? 0
        return (2 * pad + swatch + gap + textWidth, 2 * pad + Double(entries.count) * fontSize * 1.5 - fontSize * 0.2)
    }

    /// The legend's top-left corner for a position inside the data area.
    static func origin(_ position: LegendPosition, size: (w: Double, h: Double), layout: PlotLayout,
                       covered: [(Double, Double)], outsideX: Double) -> (Double, Double) {
        let inset = 8.0
        let left = layout.fx + inset, right = layout.maxX - inset - size.w
        let top = layout.fy + inset, bottom = layout.maxY - inset - size.h
        switch position {
        case .topRight, .hidden: return (right, top)
        case .topLeft: return (left, top)
        case .bottomRight: return (right, bottom)
        case .bottomLeft: return (left, bottom)
        case .outsideRight: return (outsideX, layout.fy)
        case .automatic:
            return bestInside(size: size, layout: layout, covered: covered).origin
        }
    }

    /// The first spot clear of data among the corners (top-right first) and then the edge
    /// centers; if none is clear, the one covering the fewest data samples, with `clear == false`.
    static func bestInside(size: (w: Double, h: Double), layout: PlotLayout,
                           covered: [(Double, Double)]) -> (origin: (Double, Double), clear: Bool) {
        let inset = 8.0
        let left = layout.fx + inset, right = max(left, layout.maxX - inset - size.w)
        let top = layout.fy + inset, bottom = max(top, layout.maxY - inset - size.h)
        let midX = max(left, layout.fx + (layout.fw - size.w) / 2), midY = max(top, layout.fy + (layout.fh - size.h) / 2)
        let candidates = [(right, top), (left, top), (right, bottom), (left, bottom),
                          (midX, top), (right, midY), (left, midY), (midX, bottom)]
        var best = candidates[0], bestCount = Int.max
        for c in candidates {
            let count = covered.reduce(0) { n, p in
                n + ((p.0 >= c.0 - 4 && p.0 <= c.0 + size.w + 4 && p.1 >= c.1 - 4 && p.1 <= c.1 + size.h + 4) ? 1 : 0)
            }
            if count == 0 { return (c, true) }
            if count < bestCount { best = c; bestCount = count }
        }
        return (best, false)
    }

    static func draw(_ entries: [LegendEntry], at origin: (Double, Double), fontSize: Double) -> String {
        guard !entries.isEmpty else { return "" }
        let s = size(entries, fontSize: fontSize)
        var out = "<g>\n<rect x=\"\(SVG.num(origin.0))\" y=\"\(SVG.num(origin.1))\" width=\"\(SVG.num(s.w))\" height=\"\(SVG.num(s.h))\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#b5b5b5\" stroke-width=\"1\"/>\n"
        let row = fontSize * 1.5
        for (i, e) in entries.enumerated() {
            let cy = origin.1 + pad + row * Double(i) + fontSize * 0.65
            let x0 = origin.0 + pad
            if let dash = e.dash {
                if e.color.luminance > 0.75 { // keep white/yellow swatches visible on the white box
                    out += "<path d=\"M\(SVG.num(x0)),\(SVG.num(cy))h\(SVG.num(swatch))\" \(ElementRenderer.strokeAttributes(color: Color(90, 90, 90), width: e.lineWidth + 2, dash: .solid))/>\n"
                }
                out += "<path d=\"M\(SVG.num(x0)),\(SVG.num(cy))h\(SVG.num(swatch))\" \(ElementRenderer.strokeAttributes(color: e.color, width: e.lineWidth, dash: dash))/>\n"
            }
            if e.errorBar {
                let h = fontSize * 0.6
                out += "<path d=\"M\(SVG.num(x0 + swatch / 2)),\(SVG.num(cy - h))v\(SVG.num(2 * h))M\(SVG.num(x0 + swatch / 2 - 3)),\(SVG.num(cy - h))h6M\(SVG.num(x0 + swatch / 2 - 3)),\(SVG.num(cy + h))h6\" \(ElementRenderer.strokeAttributes(color: e.color, width: 1.4, dash: .solid))/>\n"
            }
            if let m = e.marker {
                out += ElementRenderer.markerGroupOpen(color: e.color, filled: e.filled)
                    + ElementRenderer.marker(m, x: x0 + swatch / 2, y: cy, size: min(e.markerSize, fontSize)) + "</g>\n"
            }
            out += e.label.element(x: x0 + swatch + gap, y: cy + fontSize * 0.35, fontSize: fontSize)
        }
        return out + "</g>\n"
    }
}
