import Foundation

/// An sRGB color with opacity; components are in 0…1.
public struct Color: Sendable, Hashable {
    /// Red component, 0…1.
    public var red: Double
    /// Green component, 0…1.
    public var green: Double
    /// Blue component, 0…1.
    public var blue: Double
    /// Opacity, 0 (transparent) … 1 (opaque).
    public var opacity: Double

    /// A color from components in 0…1 (values outside are clamped when rendered).
    public init(red: Double, green: Double, blue: Double, opacity: Double = 1) {
        self.red = red
        self.green = green
        self.blue = blue
        self.opacity = opacity
    }

    /// A color from 8-bit components.
    public init(_ red: Int, _ green: Int, _ blue: Int, opacity: Double = 1) {
        self.init(red: Double(red) / 255, green: Double(green) / 255, blue: Double(blue) / 255, opacity: opacity)
    }

    /// A color from `#RRGGBB` or `RRGGBB`; anything unparsable gives black.
    public init(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let v = UInt32(digits, radix: 16) else {
            self.init(red: 0, green: 0, blue: 0)
            return
        }
        self.init(Int((v >> 16) & 0xFF), Int((v >> 8) & 0xFF), Int(v & 0xFF))
    }

    /// `#rrggbb` (opacity is not included; see ``opacity``).
    public var hex: String {
        func byte(_ c: Double) -> String {
            let v = Int(((c.isFinite ? min(max(c, 0), 1) : 0) * 255).rounded())
            return v < 16 ? "0" + String(v, radix: 16) : String(v, radix: 16)
        }
        return "#" + byte(red) + byte(green) + byte(blue)
    }

    /// Approximate relative luminance (0 = black, 1 = white).
    public var luminance: Double { 0.2126 * red + 0.7152 * green + 0.0722 * blue }

    /// The same color with a different opacity.
    public func withOpacity(_ opacity: Double) -> Color {
        Color(red: red, green: green, blue: blue, opacity: opacity)
    }

    /// Linear interpolation in sRGB between `self` (t = 0) and `other` (t = 1).
    public func mixed(with other: Color, _ t: Double) -> Color {
        Color(red: red + (other.red - red) * t, green: green + (other.green - green) * t,
              blue: blue + (other.blue - blue) * t, opacity: opacity + (other.opacity - opacity) * t)
    }

    /// Black.
    public static let black = Color(0, 0, 0)
    /// White.
    public static let white = Color(255, 255, 255)
    /// Mid gray, for reference lines.
    public static let gray = Color(110, 110, 110)
    /// Light gray.
    public static let lightGray = Color(200, 200, 200)
    /// Okabe–Ito blue.
    public static let blue = Color(hex: "#0072B2")
    /// Okabe–Ito vermillion (a red-orange).
    public static let vermillion = Color(hex: "#D55E00")
    /// Okabe–Ito bluish green.
    public static let green = Color(hex: "#009E73")
    /// Okabe–Ito orange.
    public static let orange = Color(hex: "#E69F00")
    /// Okabe–Ito reddish purple.
    public static let purple = Color(hex: "#CC79A7")
    /// Okabe–Ito sky blue.
    public static let skyBlue = Color(hex: "#56B4E9")
    /// Okabe–Ito yellow (low contrast on white; last in the cycle).
    public static let yellow = Color(hex: "#F0E442")

    /// The default series color cycle: the colorblind-safe Okabe–Ito palette,
    /// ordered so that the first colors contrast best on white.
    public static let okabeIto: [Color] = [.blue, .vermillion, .green, .orange, .purple, .skyBlue, .black, .yellow]

    /// The Tableau 10 palette, an alternative color cycle.
    public static let tableau10: [Color] = [
        "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
        "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
    ].map { Color(hex: $0) }
}

/// A continuous color scale: evenly spaced control colors, linearly interpolated.
public struct Colormap: Sendable, Hashable {
    /// A short name, e.g. `"viridis"`.
    public var name: String
    /// Control colors at t = 0, 1/(n-1), …, 1 (at least one).
    public var stops: [Color]
    /// Whether the map diverges from a neutral center (heat maps then default to a
    /// color range symmetric about zero).
    public var isDiverging: Bool

    /// A colormap from evenly spaced control colors.
    public init(name: String, stops: [Color], isDiverging: Bool = false) {
        self.name = name
        self.stops = stops.isEmpty ? [.black] : stops
        self.isDiverging = isDiverging
    }

    /// The color at `t` in 0…1 (clamped; NaN gives the t = 0 color).
    public func color(at t: Double) -> Color {
        guard stops.count > 1 else { return stops[0] }
        let clamped = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = clamped * Double(stops.count - 1)
        let i = min(Int(position), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], position - Double(i))
    }

    /// The same map run backwards.
    public func reversed() -> Colormap {
        Colormap(name: name + "_r", stops: stops.reversed(), isDiverging: isDiverging)
    }

    /// Perceptually uniform sequential map (matplotlib's viridis, 16 control points):
    /// dark purple (low) → teal → yellow (high).
    public static let viridis = Colormap(name: "viridis", stops: [
        "#440154", "#481A6C", "#472F7D", "#414487", "#39568C", "#31688E", "#2A788E", "#23888E",
        "#1F988B", "#22A884", "#35B779", "#54C568", "#7AD151", "#A5DB36", "#D2E21B", "#FDE725",
    ].map { Color(hex: $0) })

    /// Diverging blue → light gray → red map (Moreland's "cool to warm", 17 control points).
    public static let coolwarm = Colormap(name: "coolwarm", stops: [
        (59, 76, 192), (77, 104, 215), (98, 130, 234), (119, 154, 247), (141, 176, 254),
        (163, 194, 255), (184, 208, 249), (204, 217, 238), (221, 221, 221), (236, 211, 197),
        (245, 196, 173), (247, 177, 148), (244, 154, 123), (236, 127, 99), (222, 96, 77),
        (203, 62, 56), (180, 4, 38),
    ].map { Color($0.0, $0.1, $0.2) }, isDiverging: true)

    /// The default diverging map (``coolwarm``).
    public static let diverging = coolwarm
}
