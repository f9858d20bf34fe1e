import Foundation

/// An x–y plot (lines, points with error bars, reference lines, annotations) rendered
/// as one self-contained SVG.
///
/// ```swift
/// var fig = Figure(title: "Loss", xLabel: "step", yLabel: "loss", yScale: .log10)
/// fig.addLine(x: steps, y: loss, label: "train")
/// fig.addPoints(x: evalSteps, y: evalLoss, yError: evalStd, label: "eval", marker: .square)
/// fig.addHorizontalLine(y: 0.1, label: "target")
/// let svg = fig.svg()
/// ```
///
/// Text fields accept `^{…}` and `_{…}` for super- and subscripts (`"σ_{w}^{2}"`).
/// Non-finite values, and non-positive values on log axes, are skipped.
public struct Figure: SVGRenderable, SeriesContainer, Sendable {
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
    /// Visible x range in data units; `nil` fits the data (with a 4 % margin).
    public var xRange: ClosedRange<Double>?
    /// Visible y range in data units; `nil` fits the data (with a 4 % margin).
    public var yRange: ClosedRange<Double>?
    /// Where the legend goes (shown only if some element has a label).
    public var legendPosition: LegendPosition
    /// Light gridlines at the major ticks.
    public var showGrid: Bool
    /// Base font size in pixels (tick labels and legend; axis labels +2, title +3).
    public var fontSize: Double
    /// Colors given, in order, to series without an explicit color.
    public var colorCycle: [Color]
    /// Everything drawn in the data area, in drawing order.
    public var elements: [PlotElement]

    /// An empty figure; add data with ``SeriesContainer/addLine(x:y:label:color:dash:width:marker:)`` etc.
    public init(width: Double = 640, height: Double = 420, title: String? = nil,
                xLabel: String? = nil, yLabel: String? = nil,
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                legendPosition: LegendPosition = .automatic) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.xRange = xRange
        self.yRange = yRange
        self.legendPosition = legendPosition
        showGrid = true
        fontSize = 13
        colorCycle = Color.okabeIto
        elements = []
    }

    /// Appends an element (series, reference line or annotation).
    public mutating func add(_ element: PlotElement) {
        elements.append(element)
    }

    /// The figure as a standalone `<svg>` element.
    public func svg() -> String {
        let w = width.isFinite && width >= 120 ? width : 640
        let h = height.isFinite && height >= 100 ? height : 420
        let fonts = Fonts(base: fontSize)
        let extent = ElementRenderer.extent(of: elements, xScale: xScale, yScale: yScale)
        let xAxis = AxisModel.resolve(scale: xScale, explicit: xRange, data: extent.xs)
        let yAxis = AxisModel.resolve(scale: yScale, explicit: yRange, data: extent.ys)

        // The legend's size is known before layout; only its position depends on it.
        let colors = ElementRenderer.colors(for: elements, cycle: colorCycle)
        let entries = legendPosition == .hidden ? [] : ElementRenderer.legendEntries(elements, colors: colors)
        let legendSize = Legend.size(entries, fontSize: fonts.legend)
        func makeLayout(outside: Bool) -> PlotLayout {
            PlotLayout(width: w, height: h, fonts: fonts, title: title, xLabel: xLabel, yLabel: yLabel,
                       x: xAxis, y: yAxis, rightReserve: outside ? legendSize.w + 6 : 0)
        }
        var layout = makeLayout(outside: legendPosition == .outsideRight && !entries.isEmpty)
        var renderer = ElementRenderer(layout: layout, elements: elements, cycle: colorCycle, baseFontSize: fonts.tick)
        var legendOrigin: (Double, Double)?
        if !entries.isEmpty {
            if legendPosition == .automatic {
                // Inside if some spot is clear of data, otherwise beside the plot, unless that
                // would squeeze the plot too much: then the least-covered inside spot.
                let inside = Legend.bestInside(size: legendSize, layout: layout, covered: renderer.coveredPixels())
                legendOrigin = inside.origin
                let beside = makeLayout(outside: true)
                if !inside.clear && beside.fw >= 0.6 * layout.fw {
                    layout = beside
                    renderer = ElementRenderer(layout: layout, elements: elements, cycle: colorCycle, baseFontSize: fonts.tick)
                    legendOrigin = (layout.maxX + 12, layout.fy)
                }
            } else {
                legendOrigin = Legend.origin(legendPosition, size: legendSize, layout: layout, covered: [],
                                             outsideX: layout.maxX + 12)
            }
        }

        var body = layout.clipDefinition
        if showGrid { body += layout.grid() }
        body += renderer.data()
        body += layout.axes()
        body += renderer.annotations()
        if let legendOrigin { body += Legend.draw(entries, at: legendOrigin, fontSize: fonts.legend) }
        return SVG.document(width: w, height: h, title: title, body: body)
    }
}
