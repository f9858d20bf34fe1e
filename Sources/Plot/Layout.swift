import Foundation

/// Font sizes derived from a figure's base size.
struct Fonts {
    let tick: Double, label: Double, title: Double, legend: Double

    init(base: Double) {
        let b = base.isFinite ? max(base, 6) : 13
        tick = b
        label = b + 2
        title = b + 3
        legend = b
    }
}

/// One axis: its scale, visible range in transformed coordinates, and ticks.
struct AxisModel {
    let scale: AxisScale
    /// Visible range in transformed coordinates (log10 of data for log axes); hi > lo.
    let lo: Double, hi: Double
    var ticks: [Tick] = []

    init(scale: AxisScale, lo: Double, hi: Double) {
        self.scale = scale
        self.lo = lo
        self.hi = hi
    }

    /// The visible range: the explicit one if valid for the scale, else the data's extent
    /// padded by `pad` of its span (degenerate extents widened, no data → a unit range).
    static func resolve(scale: AxisScale, explicit: ClosedRange<Double>?, data: [Double], pad: Double = 0.04) -> AxisModel {
        if let r = explicit, let a = scale.transform(r.lowerBound), let b = scale.transform(r.upperBound) {
            if b > a { return AxisModel(scale: scale, lo: a, hi: b) }
            return widened(scale: scale, center: a)
        }
        var mn = Double.infinity, mx = -Double.infinity
        for v in data { if let t = scale.transform(v) { mn = min(mn, t); mx = max(mx, t) } }
        guard mn <= mx else { return AxisModel(scale: scale, lo: 0, hi: 1) }
        if mx - mn <= 1e-12 * max(1, abs(mn)) { return widened(scale: scale, center: mn) }
        let p = (mx - mn) * pad
        return AxisModel(scale: scale, lo: mn - p, hi: mx + p)
    }

    /// A sensible range around a single value (±10 %, ±1 around zero, ±½ decade on log axes).
    static func widened(scale: AxisScale, center t: Double) -> AxisModel {
        let half: Double
        switch scale {
        case .linear: half = t == 0 ? 1 : abs(t) * 0.1
        case .log10: half = 0.5
        }
        return AxisModel(scale: scale, lo: t - half, hi: t + half)
    }

    /// Ticks (about `target` majors) that fall inside the visible range.
    func makeTicks(target: Int) -> [Tick] {
        let a = scale.inverse(lo), b = scale.inverse(hi)
        let raw = scale == .linear ? Ticks.linear(from: a, to: b, targetCount: target)
                                   : Ticks.log(from: a, to: b, maxMajorCount: target)
        let eps = 1e-9 * (hi - lo)
        return raw.filter { tick in
            guard let t = scale.transform(tick.value) else { return false }
            return t >= lo - eps && t <= hi + eps
        }
    }

    /// Position of data value `v` as a fraction of the axis (0 = lo, 1 = hi), or nil.
    func fraction(_ v: Double) -> Double? {
        scale.transform(v).map { ($0 - lo) / (hi - lo) }
    }
}

/// The pixel layout of one plot: margins, data-area frame and the two axes.
struct PlotLayout {
    let width: Double, height: Double
    let fonts: Fonts
    let title: RichText?, xLabel: RichText?, yLabel: RichText?
    var xAxis: AxisModel, yAxis: AxisModel
    /// Data-area rectangle in pixels.
    var fx = 0.0, fy = 0.0, fw = 0.0, fh = 0.0
    let tickLength = 5.0

    var maxX: Double { fx + fw }
    var maxY: Double { fy + fh }

    init(width: Double, height: Double, fonts: Fonts, title: String?, xLabel: String?, yLabel: String?,
         x: AxisModel, y: AxisModel, rightReserve: Double) {
        self.width = width
        self.height = height
        self.fonts = fonts
        self.title = title.map(RichText.init).flatMap { $0.isEmpty ? nil : $0 }
        self.xLabel = xLabel.map(RichText.init).flatMap { $0.isEmpty ? nil : $0 }
        self.yLabel = yLabel.map(RichText.init).flatMap { $0.isEmpty ? nil : $0 }
        xAxis = x
        yAxis = y

        let top = self.title != nil ? 16 + fonts.title * 1.3 : 16
        var bottom = tickLength + 6 + fonts.tick * 1.25 + 10
        if self.xLabel != nil { bottom += fonts.label * 1.3 + 2 }
        fy = top
        fh = max(40, height - top - bottom)

        // y ticks: thin out until labels have room vertically.
        var target = min(8, max(2, Int(fh / 55)))
        var yt = y.makeTicks(target: target)
        while target > 2 && !PlotLayout.fits(yt, axis: y, length: fh, need: { _, _ in fonts.tick * 1.7 }) {
            target -= 1
            yt = y.makeTicks(target: target)
        }
        yAxis.ticks = yt
        let yLabelWidth = yt.compactMap { $0.label?.rich.width(fontSize: fonts.tick) }.max() ?? 0
        fx = 10 + tickLength + 5 + yLabelWidth + (self.yLabel != nil ? fonts.label * 1.3 + 6 : 0)

        // x ticks: thin out until labels do not collide; widen the right margin if the
        // last label would be cut off.
        var right = 18 + max(0, rightReserve)
        for _ in 0..<2 {
            fw = max(40, width - fx - right)
            target = min(10, max(2, Int(fw / 80)))
            var xt = x.makeTicks(target: target)
            let widthOf = { (t: Tick) in t.label?.rich.width(fontSize: fonts.tick) ?? 0 }
            while target > 2 && !PlotLayout.fits(xt, axis: x, length: fw, need: { (widthOf($0) + widthOf($1)) / 2 + 14 }) {
                target -= 1
                xt = x.makeTicks(target: target)
            }
            xAxis.ticks = xt
            guard let last = xt.last(where: { $0.isMajor }), let f = x.fraction(last.value) else { break }
            let overflow = fx + f * fw + widthOf(last) / 2 + 4 - width
            if overflow <= 0 { break }
            right += overflow
        }
    }

    /// Whether adjacent major ticks are at least `need(a, b)` pixels apart.
    static func fits(_ ticks: [Tick], axis: AxisModel, length: Double, need: (Tick, Tick) -> Double) -> Bool {
        let majors = ticks.filter(\.isMajor)
        guard majors.count > 1 else { return true }
        for i in 1..<majors.count {
            guard let a = axis.fraction(majors[i - 1].value), let b = axis.fraction(majors[i].value) else { continue }
            if abs(b - a) * length < need(majors[i - 1], majors[i]) { return false }
        }
        return true
    }

    /// Pixel x of a transformed coordinate / data value.
    func pxT(_ t: Double) -> Double { fx + (t - xAxis.lo) / (xAxis.hi - xAxis.lo) * fw }
    func pyT(_ t: Double) -> Double { fy + fh - (t - yAxis.lo) / (yAxis.hi - yAxis.lo) * fh }
    func px(_ v: Double) -> Double? { xAxis.scale.transform(v).map(pxT) }
    func py(_ v: Double) -> Double? { yAxis.scale.transform(v).map(pyT) }

    /// Whether a pixel lies inside the data area (with a small tolerance).
    func contains(_ x: Double, _ y: Double, tolerance: Double = 0.5) -> Bool {
        x >= fx - tolerance && x <= maxX + tolerance && y >= fy - tolerance && y <= maxY + tolerance
    }

    /// `<defs>` with the clip path of the data area.
    var clipDefinition: String {
        "<defs><clipPath id=\"\(SVG.idToken)c\"><rect x=\"\(SVG.num(fx))\" y=\"\(SVG.num(fy))\" width=\"\(SVG.num(fw))\" height=\"\(SVG.num(fh))\"/></clipPath></defs>\n"
    }

    /// Opening tag of a group clipped to the data area.
    var clipGroupOpen: String { "<g clip-path=\"url(#\(SVG.idToken)c)\">\n" }

    /// Light gridlines at the major ticks, drawn beneath the data.
    func grid() -> String {
        var d = ""
        for t in xAxis.ticks where t.isMajor {
            if let x = px(t.value), x > fx + 0.5, x < maxX - 0.5 { d += "M\(SVG.num(x)),\(SVG.num(fy))V\(SVG.num(maxY))" }
        }
        for t in yAxis.ticks where t.isMajor {
            if let y = py(t.value), y > fy + 0.5, y < maxY - 0.5 { d += "M\(SVG.num(fx)),\(SVG.num(y))H\(SVG.num(maxX))" }
        }
        return d.isEmpty ? "" : "<path d=\"\(d)\" fill=\"none\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>\n"
    }

    /// Frame, tick marks, tick labels, axis labels and title, drawn above the data.
    func axes() -> String {
        var out = "<rect x=\"\(SVG.num(fx))\" y=\"\(SVG.num(fy))\" width=\"\(SVG.num(fw))\" height=\"\(SVG.num(fh))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        var marks = ""
        var labels = ""
        let fs = fonts.tick
        let xHasExponent = xAxis.ticks.contains { $0.label?.exponent != nil }
        let xBaseline = maxY + tickLength + 5 + fs * (xHasExponent ? 1.15 : 0.85)
        for t in xAxis.ticks {
            guard let x = px(t.value) else { continue }
            marks += "M\(SVG.num(x)),\(SVG.num(maxY))v\(SVG.num(t.isMajor ? tickLength : tickLength * 0.6))"
            if let label = t.label {
                labels += label.rich.element(x: x, y: xBaseline, fontSize: fs, anchor: "middle", minusSign: true)
            }
        }
        for t in yAxis.ticks {
            guard let y = py(t.value) else { continue }
            marks += "M\(SVG.num(fx)),\(SVG.num(y))h\(SVG.num(-(t.isMajor ? tickLength : tickLength * 0.6)))"
            if let label = t.label {
                labels += label.rich.element(x: fx - tickLength - 4, y: y + fs * 0.35, fontSize: fs, anchor: "end", minusSign: true)
            }
        }
        if !marks.isEmpty { out += "<path d=\"\(marks)\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n" }
        out += labels
        if let xLabel {
            out += xLabel.element(x: fx + fw / 2, y: height - 10 - fonts.label * 0.2, fontSize: fonts.label, anchor: "middle")
        }
        if let yLabel {
            let x = 8 + fonts.label * 0.85
            out += yLabel.element(x: x, y: fy + fh / 2, fontSize: fonts.label, anchor: "middle", rotate: -90)
        }
        if let title {
            let w = title.width(fontSize: fonts.title)
            let cx = min(max(fx + fw / 2, 6 + w / 2), width - 6 - w / 2)
            out += title.element(x: cx, y: 10 + fonts.title * 0.9, fontSize: fonts.title, anchor: "middle", weight: "600")
        }
        return out
    }
}
