import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Plot

@Suite("HeatMap")
struct HeatMapTests {
    @Test func viridisEndpoints() {
        #expect(Colormap.viridis.color(at: 0).hex == "#440154")
        #expect(Colormap.viridis.color(at: 1).hex == "#fde725")
        #expect(Colormap.viridis.color(at: -3).hex == "#440154")
        #expect(Colormap.viridis.color(at: 7).hex == "#fde725")
        #expect(Colormap.viridis.color(at: .nan).hex == "#440154")
        // Lightness increases monotonically along viridis.
        let lum = stride(from: 0.0, through: 1.0, by: 0.05).map { Colormap.viridis.color(at: $0).luminance }
        #expect(zip(lum, lum.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func divergingEndpointsAndCenter() {
        let map = Colormap.diverging
        #expect(map.isDiverging)
        #expect(map.color(at: 0).hex == "#3b4cc0")
        #expect(map.color(at: 1).hex == "#b40426")
        #expect(map.color(at: 0.5).hex == "#dddddd")
        #expect(map.reversed().color(at: 0).hex == "#b40426")
    }

    @Test func marchingSquaresCircle() {
        let g = HeatMap.samples(-2...2, count: 41, scale: .linear)
        let field = g.map { y in g.map { x in x * x + y * y } }
        let lines = MarchingSquares.contour(values: field, x: g, y: g, level: 1)
        #expect(lines.count == 1)
        let loop = lines[0]
        #expect(loop.count > 30)
        #expect(loop.first == loop.last) // closed
        for p in loop { #expect(abs(hypot(p.x, p.y) - 1) < 0.01) }
        // It goes all the way round.
        let angles = loop.map { atan2($0.y, $0.x) }
        #expect((angles.max()! - angles.min()!) > 6)
    }

    @Test func marchingSquaresOpenCurveAndNaN() {
        let g = HeatMap.samples(0...1, count: 11, scale: .linear)
        var field = g.map { y in g.map { x in x + y } }
        let lines = MarchingSquares.contour(values: field, x: g, y: g, level: 1)
        #expect(lines.count == 1)
        for p in lines[0] { #expect(abs(p.x + p.y - 1) < 1e-9) }
        field[5][5] = .nan // punches a hole: the diagonal splits in two
        #expect(MarchingSquares.contour(values: field, x: g, y: g, level: 1).count == 2)
        #expect(MarchingSquares.contour(values: field, x: g, y: g, level: 5).isEmpty)
        #expect(MarchingSquares.contour(values: [[1]], x: [0], y: [0], level: 1).isEmpty)
    }

    @Test func heatMapRendersWellFormed() throws {
        let g = HeatMap.samples(-1.5...1.5, count: 25, scale: .linear)
        var values = g.map { y in g.map { x in x * x + y * y } }
        values[3][4] = .nan
        var map = HeatMap(values: values, x: g, y: g, title: "f < 2", xLabel: "x", yLabel: "y", colorbarLabel: "f")
        map.addContour(level: 1, label: "f = 1")
        map.addLine(x: [-1, 1], y: [0, 0], label: "overlay")
        let svg = map.svg()
        #expect(!containsNonFinite(svg))
        let doc = try parseSVG(svg)
        #expect(svg.contains("f &lt; 2"))
        #expect(try elements(doc, named: "linearGradient").count == 1)
        #expect(svg.contains("fill=\"#d7d7d7\"")) // the NaN cell
        #expect(svg.contains(Colormap.viridis.color(at: 0.5 / 256).hex)) // the minimum cell
        let texts = try elements(doc, named: "text").map { $0.stringValue ?? "" }
        #expect(texts.contains("f = 1") && texts.contains("overlay"))
        let sizes = try elements(doc, named: "text").compactMap { Double(attr($0, "font-size") ?? "") }
        #expect(sizes.allSatisfy { $0 >= 12 })
    }

    @Test func heatMapLogAxesAndBadCoordinates() throws {
        let xs = [-1.0, 0, 1e-2, 1e-1, 1, 10]
        let ys = HeatMap.samples(1e-3...1, count: 4, scale: .log10)
        let values = ys.map { y in xs.map { x in x * y } }
        var map = HeatMap(values: values, x: xs, y: ys, xScale: .log10, yScale: .log10)
        map.colorScale = .log10
        map.addContour(level: 1e-2)
        let svg = map.svg()
        #expect(!containsNonFinite(svg))
        _ = try parseSVG(svg)
        #expect(HeatMap.samples(1e-3...1, count: 4, scale: .log10).map { log10($0).rounded() } == [-3, -2, -1, 0])
    }

    @Test func degenerateHeatMaps() throws {
        for values in [[[Double]](), [[1.0]], [[2, 2], [2, 2]], [[.nan, .nan]]] {
            var map = HeatMap(values: values, xRange: 0...1, yRange: 0...1, colormap: .diverging)
            map.addContour(level: 2)
            let svg = map.svg()
            #expect(!containsNonFinite(svg))
            _ = try parseSVG(svg)
        }
    }

    @Test func divergingRangeIsSymmetric() {
        let map = HeatMap(values: [[-1, 0.5, 3]], x: [0, 1, 2], y: [0], colormap: .diverging)
        let r = map.resolvedColorRange()
        #expect(r.lo == -3 && r.hi == 3)
        var explicit = map
        explicit.colorRange = 0...1
        #expect(explicit.resolvedColorRange() == (0, 1))
    }
}
