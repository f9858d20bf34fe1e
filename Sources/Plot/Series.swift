import Foundation

/// How a line is stroked.
public enum DashStyle: Sendable, Hashable {
    /// A continuous line.
    case solid
    /// Long dashes.
    case dashed
    /// Round dots.
    case dotted
    /// Alternating dash and dot.
    case dashDot
    /// An explicit `stroke-dasharray` pattern in pixels (dash, gap, dash, gap, …).
    case custom([Double])
}

/// The shape drawn at each point of a point series.
public enum MarkerShape: Sendable, Hashable {
    /// A filled circle.
    case circle
    /// A filled square.
    case square
    /// A filled upward triangle.
    case triangle
}

/// Where the legend box goes.
public enum LegendPosition: Sendable, Hashable {
    /// The default: the first inside spot clear of data, trying the corners (top-right
    /// first, so it is top-right whenever that corner is clear) and then the edge centers;
    /// if none is clear, beside the plot as for ``outsideRight`` (unless the plot would keep
    /// less than 60 % of its width, then the least-covered inside spot).
    case automatic
    /// Inside the plot area, top-right corner.
    case topRight
    /// Inside the plot area, top-left corner.
    case topLeft
    /// Inside the plot area, bottom-right corner.
    case bottomRight
    /// Inside the plot area, bottom-left corner.
    case bottomLeft
    /// To the right of the plot area (the plot shrinks to make room); never overlaps data.
    case outsideRight
    /// No legend.
    case hidden
}

/// A polyline through (x[i], y[i]); non-finite points (and non-positive ones on log
/// axes) break the line into separate pieces.
public struct LineSeries: Sendable, Hashable {
    /// x coordinates in data units.
    public var x: [Double]
    /// y coordinates in data units (paired with `x`; extra values are ignored).
    public var y: [Double]
    /// Legend text (`^{…}`/`_{…}` give super/subscripts); `nil` keeps it out of the legend.
    public var label: String?
    /// Stroke color; `nil` takes the next color of the figure's cycle.
    public var color: Color?
    /// Dash pattern.
    public var dash: DashStyle
    /// Stroke width in pixels.
    public var width: Double
    /// Optional marker drawn at every valid point.
    public var marker: MarkerShape?

    /// A line series; see the properties for the meaning of each argument.
    public init(x: [Double], y: [Double], label: String? = nil, color: Color? = nil,
                dash: DashStyle = .solid, width: Double = 2, marker: MarkerShape? = nil) {
        self.x = x
        self.y = y
        self.label = label
        self.color = color
        self.dash = dash
        self.width = width
        self.marker = marker
    }
}

/// Markers at (x[i], y[i]) with optional symmetric vertical error bars y ± yError[i].
public struct PointSeries: Sendable, Hashable {
    /// x coordinates in data units.
    public var x: [Double]
    /// y coordinates in data units.
    public var y: [Double]
    /// Half-lengths of the error bars (non-finite or missing entries draw no bar).
    public var yError: [Double]?
    /// Legend text; `nil` keeps it out of the legend.
    public var label: String?
    /// Fill color; `nil` takes the next color of the figure's cycle.
    public var color: Color?
    /// Marker shape.
    public var marker: MarkerShape
    /// Marker size (diameter / side) in pixels.
    public var size: Double
    /// Filled markers (`true`) or hollow ones with a colored outline.
    public var filled: Bool

    /// A point series; see the properties for the meaning of each argument.
    public init(x: [Double], y: [Double], yError: [Double]? = nil, label: String? = nil,
                color: Color? = nil, marker: MarkerShape = .circle, size: Double = 7, filled: Bool = true) {
        self.x = x
        self.y = y
        self.yError = yError
        self.label = label
        self.color = color
        self.marker = marker
        self.size = size
        self.filled = filled
    }
}

/// A line across the whole plot area at a fixed data value.
public struct ReferenceLine: Sendable, Hashable {
    /// Orientation of a reference line.
    public enum Orientation: Sendable, Hashable {
        /// y = value.
        case horizontal
        /// x = value.
        case vertical
    }
    /// Whether this is y = value or x = value.
    public var orientation: Orientation
    /// Position in data units.
    public var value: Double
    /// Stroke color.
    public var color: Color
    /// Dash pattern.
    public var dash: DashStyle
    /// Stroke width in pixels.
    public var width: Double
    /// Legend text; `nil` keeps it out of the legend.
    public var label: String?

    /// A reference line; see the properties for the meaning of each argument.
    public init(_ orientation: Orientation, at value: Double, color: Color = .gray,
                dash: DashStyle = .dashed, width: Double = 1.5, label: String? = nil) {
        self.orientation = orientation
        self.value = value
        self.color = color
        self.dash = dash
        self.width = width
        self.label = label
    }
}

/// Text placed at a data coordinate, drawn on top with a contrasting halo (white behind
/// dark text, dark behind light text) so it stays legible over data or heat-map cells.
public struct Annotation: Sendable, Hashable {
    /// Horizontal alignment of the text relative to its anchor point.
    public enum Alignment: String, Sendable, Hashable {
        /// Text starts at the point.
        case start
        /// Text is centered on the point.
        case middle
        /// Text ends at the point.
        case end
    }
    /// The text (`^{…}`/`_{…}` give super/subscripts).
    public var text: String
    /// Anchor x in data units.
    public var x: Double
    /// Anchor y (baseline) in data units.
    public var y: Double
    /// Extra horizontal offset in pixels (positive = right).
    public var dx: Double
    /// Extra vertical offset in pixels (positive = down).
    public var dy: Double
    /// Text color.
    public var color: Color
    /// Font size in pixels; `nil` uses the figure's base size.
    public var fontSize: Double?
    /// Horizontal alignment.
    public var alignment: Alignment

    /// An annotation; see the properties for the meaning of each argument.
    public init(_ text: String, x: Double, y: Double, dx: Double = 0, dy: Double = 0,
                color: Color = .black, fontSize: Double? = nil, alignment: Alignment = .start) {
        self.text = text
        self.x = x
        self.y = y
        self.dx = dx
        self.dy = dy
        self.color = color
        self.fontSize = fontSize
        self.alignment = alignment
    }
}

/// Anything drawn in a plot's data area, in drawing order.
public enum PlotElement: Sendable, Hashable {
    /// A line series.
    case line(LineSeries)
    /// A point series with optional error bars.
    case points(PointSeries)
    /// A horizontal or vertical reference line.
    case reference(ReferenceLine)
    /// A text annotation.
    case annotation(Annotation)
}

/// A plot that holds ``PlotElement``s; supplies the `add…` conveniences.
public protocol SeriesContainer {
    /// Elements in drawing order (later ones on top).
    var elements: [PlotElement] { get set }
}

extension SeriesContainer {
    /// Adds a line series through (x[i], y[i]).
    public mutating func addLine(x: [Double], y: [Double], label: String? = nil, color: Color? = nil,
                                 dash: DashStyle = .solid, width: Double = 2, marker: MarkerShape? = nil) {
        elements.append(.line(LineSeries(x: x, y: y, label: label, color: color, dash: dash, width: width, marker: marker)))
    }

    /// Adds markers at (x[i], y[i]) with optional error bars y ± yError[i].
    public mutating func addPoints(x: [Double], y: [Double], yError: [Double]? = nil, label: String? = nil,
                                   color: Color? = nil, marker: MarkerShape = .circle, size: Double = 7,
                                   filled: Bool = true) {
        elements.append(.points(PointSeries(x: x, y: y, yError: yError, label: label, color: color,
                                            marker: marker, size: size, filled: filled)))
    }

    /// Adds a horizontal reference line y = `y`.
    public mutating func addHorizontalLine(y: Double, color: Color = .gray, dash: DashStyle = .dashed,
                                           width: Double = 1.5, label: String? = nil) {
        elements.append(.reference(ReferenceLine(.horizontal, at: y, color: color, dash: dash, width: width, label: label)))
    }

    /// Adds a vertical reference line x = `x`.
    public mutating func addVerticalLine(x: Double, color: Color = .gray, dash: DashStyle = .dashed,
                                         width: Double = 1.5, label: String? = nil) {
        elements.append(.reference(ReferenceLine(.vertical, at: x, color: color, dash: dash, width: width, label: label)))
    }

    /// Adds a text annotation anchored at data coordinates (x, y).
    public mutating func addText(_ text: String, x: Double, y: Double, dx: Double = 0, dy: Double = 0,
                                 color: Color = .black, fontSize: Double? = nil,
                                 alignment: Annotation.Alignment = .start) {
        elements.append(.annotation(Annotation(text, x: x, y: y, dx: dx, dy: dy, color: color,
                                               fontSize: fontSize, alignment: alignment)))
    }
}
