import Foundation

/// A contour line drawn on a ``HeatMap`` where the field equals `level`.
public struct ContourLevel: Sendable, Hashable {
    /// The field value traced.
    public var level: Double
    /// Stroke color.
    public var color: Color
    /// Dash pattern.
    public var dash: DashStyle
    /// Stroke width in pixels.
    public var width: Double
    /// Legend text; `nil` keeps it out of the legend.
    public var label: String?

    /// A contour specification; see the properties for the meaning of each argument.
    public init(level: Double, color: Color = .white, dash: DashStyle = .solid, width: Double = 2, label: String? = nil) {
        self.level = level
        self.color = color
        self.dash = dash
        self.width = width
        self.label = label
    }
}

/// A colored grid of values with a color bar, optional contour lines and overlaid
/// series, rendered as one self-contained SVG.
///
/// `values[i][j]` is the field at (`x[j]`, `y[i]`): rows run along y, columns along x.
/// Cells are centered on the sample coordinates (edges halfway between neighbors, in
/// axis coordinates, so log axes get log-centered cells). Non-finite values are drawn in
/// ``missingColor``; coordinates that are non-finite (or ≤ 0 on log axes) drop their row
/// or column. Overlays added with the ``SeriesContainer`` methods use data coordinates.
public struct HeatMap: SVGRenderable, SeriesContainer, Sendable {
    /// Field values, `rows × cols` (`values[i][j]` at `x[j]`, `y[i]`).
    public var values: [[Double]]
    /// Column sample coordinates (monotone).
    public var x: [Double]
    /// Row sample coordinates (monotone).
    public var y: [Double]
    /// Width in pixels (default 640).
    public var width: Double
    /// Height in pixels (default 420).
    public var height: Double
    /// Title above the plot.
    public var title: String?
    /// x-axis label.
    public var xLabel: String?
    /// y-axis label.
    public var yLabel: String?
    /// x-axis scale.
    public var xScale: AxisScale
    /// y-axis scale.
    public var yScale: AxisScale
    /// The colormap (default ``Colormap/viridis``).
    public var colormap: Colormap
    /// Values mapped to the ends of the colormap (clamped beyond). `nil` uses the finite
    /// data range, symmetric about zero for diverging colormaps.
    public var colorRange: ClosedRange<Double>?
    /// Linear or logarithmic color scale (log skips non-positive values).
    public var colorScale: AxisScale
    /// Label beside the color bar.
    public var colorbarLabel: String?
    /// Color of cells whose value is missing (non-finite, or ≤ 0 with a log color scale).
    public var missingColor: Color
    /// Contour lines drawn above the cells.
    public var contours: [ContourLevel]
    /// Overlaid series, reference lines and annotations.
    public var elements: [PlotElement]
    /// Legend placement (shown if an overlay or contour has a label). `.automatic` puts it
    /// to the right of the color bar (the cells cover the whole data area), or inside at
    /// the top-right if that would shrink the plot below 60 % of its width.
    public var legendPosition: LegendPosition
    /// Base font size in pixels (tick labels and legend; axis labels +2, title +3).
    public var fontSize: Double
    /// Colors for overlays without an explicit color.
    public var colorCycle: [Color]

    /// A heat map over explicit sample coordinates (`x.count` columns, `y.count` rows).
    public init(values: [[Double]], x: [Double], y: [Double], title: String? = nil,
                xLabel: String? = nil, yLabel: String? = nil,
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                colormap: Colormap = .viridis, colorbarLabel: String? = nil,
                width: Double = 640, height: Double = 420) {
        self.values = values
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.colormap = colormap
        colorRange = nil
        colorScale = .linear
        self.colorbarLabel = colorbarLabel
        missingColor = Color(215, 215, 215)
        contours = []
        elements = []
        legendPosition = .automatic
        fontSize = 13
        colorCycle = [.white, .black, .vermillion, .skyBlue, .orange]
    }

    /// A heat map whose samples are evenly spaced on each axis's scale from the lower to
    /// the upper bound inclusive (geometrically spaced on log axes).
    public init(values: [[Double]], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                colormap: Colormap = .viridis, colorbarLabel: String? = nil,
                width: Double = 640, height: Double = 420) {
        let cols = values.map(\.count).max() ?? 0
        self.init(values: values, x: HeatMap.samples(xRange, count: cols, scale: xScale),
                  y: HeatMap.samples(yRange, count: values.count, scale: yScale), title: title,
                  xLabel: xLabel, yLabel: yLabel, xScale: xScale, yScale: yScale, colormap: colormap,
                  colorbarLabel: colorbarLabel, width: width, height: height)
    }

    /// `count` points evenly spaced in `scale` coordinates across `range`, endpoints included.
    public static func samples(_ range: ClosedRange<Double>, count: Int, scale: AxisScale) -> [Double] {
        guard count > 0 else { return [] }
        let a = scale.transform(range.lowerBound) ?? 0, b = scale.transform(range.upperBound) ?? 1
        if count == 1 { return [scale.inverse((a + b) / 2)] }
        return (0..<count).map { scale.inverse(a + (b - a) * Double($0) / Double(count - 1)) }
    }

    /// Adds a contour line at `level`.
    public mutating func addContour(level: Double, color: Color = .white, dash: DashStyle = .solid,
                                    width: Double = 2, label: String? = nil) {
        contours.append(ContourLevel(level: level, color: color, dash: dash, width: width, label: label))
    }

    /// Valid sample indices sorted by axis coordinate, their coordinates, and cell edges.
    static func axisGrid(_ coords: [Double], count: Int, scale: AxisScale) -> (index: [Int], t: [Double], edges: [Double]) {
        var pairs: [(Int, Double)] = []
        for k in 0..<min(count, coords.count) { if let t = scale.transform(coords[k]) { pairs.append((k, t)) } }
        pairs.sort { $0.1 < $1.1 }
        let t = pairs.map(\.1)
        guard !t.isEmpty else { return ([], [], []) }
        if t.count == 1 { return ([pairs[0].0], t, [t[0] - 0.5, t[0] + 0.5]) }
        var edges = [t[0] - (t[1] - t[0]) / 2]
        for k in 1..<t.count { edges.append((t[k - 1] + t[k]) / 2) }
        edges.append(t[t.count - 1] + (t[t.count - 1] - t[t.count - 2]) / 2)
        return (pairs.map(\.0), t, edges)
    }

    /// The color range in color-scale coordinates.
    func resolvedColorRange() -> (lo: Double, hi: Double) {
        var mn = Double.infinity, mx = -Double.infinity
        for row in values { for v in row { if let t = colorScale.transform(v) { mn = min(mn, t); mx = max(mx, t) } } }
        if let r = colorRange, let a = colorScale.transform(r.lowerBound), let b = colorScale.transform(r.upperBound), b > a {
            return (a, b)
        }
        guard mn <= mx else { return (0, 1) }
        if colormap.isDiverging && colorScale == .linear {
            let m = max(abs(mn), abs(mx))
            return m > 0 ? (-m, m) : (-1, 1)
        }
        if mx - mn <= 1e-12 * max(1, abs(mn)) {
            let axis = AxisModel.widened(scale: colorScale, center: mn)
            return (axis.lo, axis.hi)
        }
        return (mn, mx)
    }

    /// The heat map as a standalone `<svg>` element.
    public func svg() -> String {
        let w = width.isFinite && width >= 160 ? width : 640
        let h = height.isFinite && height >= 100 ? height : 420
        let fonts = Fonts(base: fontSize)
        let cols = values.map(\.count).max() ?? 0
        let gx = HeatMap.axisGrid(x, count: cols, scale: xScale)
        let gy = HeatMap.axisGrid(y, count: values.count, scale: yScale)
        let xAxis = gx.edges.isEmpty ? AxisModel.resolve(scale: xScale, explicit: nil, data: [])
                                     : AxisModel(scale: xScale, lo: gx.edges.first!, hi: gx.edges.last!)
        let yAxis = gy.edges.isEmpty ? AxisModel.resolve(scale: yScale, explicit: nil, data: [])
                                     : AxisModel(scale: yScale, lo: gy.edges.first!, hi: gy.edges.last!)

        // Color bar ticks and the room they need.
        let crange = resolvedColorRange()
        let barAxis = AxisModel(scale: colorScale, lo: crange.lo, hi: crange.hi)
        let barTicks = barAxis.makeTicks(target: max(3, min(8, Int((h - 90) / 50))))
        let barLabelWidth = barTicks.compactMap { $0.label?.rich.width(fontSize: fonts.tick) }.max() ?? 0
        let barLabel = colorbarLabel.map(RichText.init).flatMap { $0.isEmpty ? nil : $0 }
        let barGap = 16.0, barWidth = 18.0
        let barReserve = barGap + barWidth + 5 + 4 + barLabelWidth + (barLabel != nil ? 8 + fonts.label * 1.25 : 0)

        let colors = ElementRenderer.colors(for: elements, cycle: colorCycle)
        var entries = legendPosition == .hidden ? [] : ElementRenderer.legendEntries(elements, colors: colors)
        if legendPosition != .hidden {
            for c in contours { if let l = c.label, !l.isEmpty {
                entries.append(LegendEntry(label: RichText(l), color: c.color, dash: c.dash, lineWidth: c.width,
                                           marker: nil, markerSize: 0, filled: true, errorBar: false))
            } }
        }
        let legendSize = Legend.size(entries, fontSize: fonts.legend)
        func makeLayout(outside: Bool) -> PlotLayout {
            PlotLayout(width: w, height: h, fonts: fonts, title: title, xLabel: xLabel, yLabel: yLabel,
                       x: xAxis, y: yAxis, rightReserve: barReserve + (outside ? legendSize.w + 12 : 0))
        }
        // Cells fill the whole data area, so an automatic legend goes beside the plot
        // unless that squeezes the plot below 60 % of its width (then: top-right inside).
        var outside = legendPosition == .outsideRight && !entries.isEmpty
        var layout = makeLayout(outside: outside)
        if legendPosition == .automatic && !entries.isEmpty {
            let beside = makeLayout(outside: true)
            if beside.fw >= 0.6 * layout.fw { layout = beside; outside = true }
        }
        let renderer = ElementRenderer(layout: layout, elements: elements, cycle: colorCycle, baseFontSize: fonts.tick)

        var body = layout.clipDefinition
        body += cells(layout: layout, gx: gx, gy: gy, crange: crange)
        body += contourLines(layout: layout, gx: gx, gy: gy)
        body += renderer.data()
        body += layout.axes()
        body += renderer.annotations()
        let barX = layout.maxX + barGap
        body += colorbar(x: barX, y: layout.fy, width: barWidth, height: layout.fh, ticks: barTicks,
                         axis: barAxis, fonts: fonts, label: barLabel, labelWidth: barLabelWidth)
        if !entries.isEmpty {
            let origin = Legend.origin(outside ? .outsideRight : legendPosition, size: legendSize, layout: layout,
                                       covered: [], outsideX: layout.maxX + barReserve + 12)
            body += Legend.draw(entries, at: origin, fontSize: fonts.legend)
        }
        return SVG.document(width: w, height: h, title: title, body: body)
    }

    /// One `<path>` per color level (256 levels), merging runs of equal color along rows.
    func cells(layout: PlotLayout, gx: (index: [Int], t: [Double], edges: [Double]),
               gy: (index: [Int], t: [Double], edges: [Double]), crange: (lo: Double, hi: Double)) -> String {
        var paths: [Int: String] = [:]
        let span = crange.hi - crange.lo
        for (r, i) in gy.index.enumerated() {
            let row = values[i]
            let top = layout.pyT(gy.edges[r + 1]), bottom = layout.pyT(gy.edges[r])
            var runStart = 0, runLevel = Int.min
            func flush(_ end: Int) {
                guard runLevel != Int.min, end > runStart else { return }
                let x0 = layout.pxT(gx.edges[runStart]), x1 = layout.pxT(gx.edges[end])
                paths[runLevel, default: ""] += "M\(SVG.num(x0)),\(SVG.num(top))H\(SVG.num(x1))V\(SVG.num(bottom))H\(SVG.num(x0))z"
            }
            for (c, j) in gx.index.enumerated() {
                var level = -1
                if j < row.count, let t = colorScale.transform(row[j]) {
                    level = min(255, max(0, Int(((t - crange.lo) / span * 256).rounded(.down))))
                }
                if level != runLevel { flush(c); runStart = c; runLevel = level }
            }
            flush(gx.index.count)
        }
        var out = layout.clipGroupOpen.replacingOccurrences(of: ">", with: " shape-rendering=\"crispEdges\">")
        for (level, d) in paths.sorted(by: { $0.key < $1.key }) {
            let color = level < 0 ? missingColor : colormap.color(at: (Double(level) + 0.5) / 256)
            out += "<path fill=\"\(color.hex)\" d=\"\(d)\"/>\n"
        }
        return out + "</g>\n"
    }

    /// Contour polylines, traced in axis coordinates so they follow log axes correctly.
    func contourLines(layout: PlotLayout, gx: (index: [Int], t: [Double], edges: [Double]),
                      gy: (index: [Int], t: [Double], edges: [Double])) -> String {
        guard !contours.isEmpty, gx.t.count >= 2, gy.t.count >= 2 else { return "" }
        let grid = gy.index.map { i in gx.index.map { j in j < values[i].count ? values[i][j] : .nan } }
        var out = ""
        for spec in contours {
            let lines = MarchingSquares.contour(values: grid, x: gx.t, y: gy.t, level: spec.level)
            var d = ""
            for line in lines {
                for (k, p) in line.enumerated() {
                    d += (k == 0 ? "M" : "L") + SVG.num(layout.pxT(p.x)) + "," + SVG.num(layout.pyT(p.y))
                }
            }
            if !d.isEmpty {
                // A faint contrasting casing keeps the line visible over any cell color.
                let casing = (spec.color.luminance > 0.5 ? Color.black : Color.white).withOpacity(0.45)
                out += layout.clipGroupOpen
                out += "<path d=\"\(d)\" \(ElementRenderer.strokeAttributes(color: casing, width: spec.width + 1.5, dash: .solid))/>\n"
                out += "<path d=\"\(d)\" \(ElementRenderer.strokeAttributes(color: spec.color, width: spec.width, dash: spec.dash))/>\n</g>\n"
            }
        }
        return out
    }

    /// The color bar: a gradient strip with a frame, ticks, tick labels and label.
    func colorbar(x: Double, y: Double, width bw: Double, height bh: Double, ticks: [Tick], axis: AxisModel,
                  fonts: Fonts, label: RichText?, labelWidth: Double) -> String {
        var out = "<defs><linearGradient id=\"\(SVG.idToken)g\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        let n = colormap.stops.count
        for (k, stop) in colormap.stops.enumerated() {
            out += "<stop offset=\"\(SVG.num(n > 1 ? Double(k) / Double(n - 1) : 0))\" stop-color=\"\(stop.hex)\"/>"
        }
        out += "</linearGradient></defs>\n"
        let frame = "x=\"\(SVG.num(x))\" y=\"\(SVG.num(y))\" width=\"\(SVG.num(bw))\" height=\"\(SVG.num(bh))\""
        out += "<rect \(frame) fill=\"url(#\(SVG.idToken)g)\"/>\n<rect \(frame) fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        var marks = ""
        for tick in ticks {
            guard let f = axis.fraction(tick.value) else { continue }
            let ty = y + bh - f * bh
            marks += "M\(SVG.num(x + bw)),\(SVG.num(ty))h\(tick.isMajor ? 5 : 3)"
            if let l = tick.label {
                out += l.rich.element(x: x + bw + 9, y: ty + fonts.tick * 0.35, fontSize: fonts.tick, minusSign: true)
            }
        }
        if !marks.isEmpty { out += "<path d=\"\(marks)\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n" }
        if let label {
            let lx = x + bw + 9 + labelWidth + 8 + fonts.label * 0.85
            out += label.element(x: lx, y: y + bh / 2, fontSize: fonts.label, anchor: "middle", rotate: -90)
        }
        return out
    }
}
