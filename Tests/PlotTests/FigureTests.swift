import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Plot

@Suite("Figure")
struct FigureTests {
    func sample() -> Figure {
        var fig = Figure(title: "Loss & <gain>", xLabel: "step \"t\"", yLabel: "loss 'L'")
        fig.addLine(x: [0, 1, 2, 3], y: [3, 2, 1.5, 1.2], label: "train")
        fig.addPoints(x: [0, 1, 2], y: [3.1, 2.2, 1.4], yError: [0.1, 0.2, 0.1], label: "eval", marker: .triangle)
        fig.addHorizontalLine(y: 1, label: "target")
        fig.addVerticalLine(x: 2)
        fig.addText("a < b", x: 1, y: 2.5)
        return fig
    }

    @Test func escapeFunction() {
        #expect(xmlEscape("a<b & c>d \"q\" 'x'") == "a&lt;b &amp; c&gt;d &quot;q&quot; &apos;x&apos;")
        #expect(xmlEscape("bell\u{07}") == "bell")
        #expect(xmlEscape("σ²") == "σ²")
    }

    @Test func outputIsWellFormedAndEscaped() throws {
        let svg = sample().svg()
        let doc = try parseSVG(svg)
        #expect(doc.rootElement()?.name == "svg")
        #expect(svg.contains("Loss &amp; &lt;gain&gt;"))
        #expect(svg.contains("step &quot;t&quot;"))
        #expect(svg.contains("a &lt; b"))
        #expect(!svg.contains("<gain>"))
        let texts = try elements(doc, named: "text").map { $0.stringValue ?? "" }
        #expect(texts.contains("Loss & <gain>"))
        #expect(texts.contains("train") && texts.contains("eval") && texts.contains("target"))
    }

    @Test func selfContained() {
        let svg = sample().svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        for banned in ["<script", "@import", "http://www.w3.org/1999/xlink", "https:", "<image", "<foreignObject"] {
            #expect(!svg.contains(banned), "\(banned)")
        }
        #expect(svg.contains("sans-serif"))
    }

    @Test func fontSizesAreLegible() throws {
        let doc = try parseSVG(sample().svg())
        let sizes = try elements(doc, named: "text").compactMap { Double(attr($0, "font-size") ?? "") }
        #expect(!sizes.isEmpty)
        #expect(sizes.allSatisfy { $0 >= 12 })
        #expect(sizes.contains { $0 >= 14 }) // axis labels
    }

    @Test func nanAndInfinityAreSkipped() throws {
        var fig = Figure(title: "x", xLabel: "x", yLabel: "y")
        fig.addLine(x: [0, 1, 2, 3, .nan, 5], y: [1, .nan, 2, .infinity, 4, -.infinity], label: "l")
        fig.addPoints(x: [.nan, 1, 2], y: [1, 2, .nan], yError: [.nan, .infinity, 1], label: "p")
        fig.addHorizontalLine(y: .nan)
        fig.addText("t", x: .nan, y: 1)
        let svg = fig.svg()
        #expect(!containsNonFinite(svg))
        _ = try parseSVG(svg)
        // Only one valid point (1, 2) of the point series is drawn.
        let doc = try parseSVG(svg)
        let circles = try elements(doc, named: "circle")
        #expect(circles.count == 2) // one data marker + one legend marker
    }

    @Test func allNaNDataStillRenders() throws {
        var fig = Figure()
        fig.addLine(x: [.nan, .nan], y: [.nan, 1])
        let svg = fig.svg()
        #expect(!containsNonFinite(svg))
        _ = try parseSVG(svg)
    }

    @Test func logAxesSkipNonPositive() throws {
        var fig = Figure(xScale: .log10, yScale: .log10)
        fig.addLine(x: [-1, 0, 1, 10, 100], y: [1, 2, 0, 10, 1000])
        fig.addPoints(x: [0, 10, 100], y: [5, -3, 50], yError: [1, 1, 60])
        fig.addVerticalLine(x: 0)
        let svg = fig.svg()
        #expect(!containsNonFinite(svg))
        let doc = try parseSVG(svg)
        #expect(try elements(doc, named: "circle").count == 1) // only (100, 50)
        let texts = try elements(doc, named: "text").map { $0.stringValue ?? "" }
        #expect(texts.contains("101") || texts.contains("102"), "decade labels: \(texts)")
    }

    @Test func degenerateRanges() throws {
        var single = Figure()
        single.addPoints(x: [3], y: [3])
        var flat = Figure(yScale: .log10)
        flat.addLine(x: [1, 2, 3], y: [5, 5, 5])
        var zeros = Figure()
        zeros.addLine(x: [0, 0], y: [0, 0])
        var explicit = Figure(xRange: 2...2, yRange: 1...5)
        explicit.addLine(x: [1, 2, 3], y: [1, 2, 3])
        for fig in [single, flat, zeros, explicit, Figure()] {
            let svg = fig.svg()
            #expect(!containsNonFinite(svg))
            let doc = try parseSVG(svg)
            #expect(try elements(doc, named: "text").count >= 2, "some tick labels")
        }
    }

    @Test func explicitRangesAreUsed() throws {
        var fig = Figure(xRange: 0...10, yRange: -1...1)
        fig.addLine(x: [0, 100], y: [0, 50])
        let texts = try elements(try parseSVG(fig.svg()), named: "text").map { $0.stringValue ?? "" }
        #expect(texts.contains("10") && texts.contains("-1".replacingOccurrences(of: "-", with: "\u{2212}")))
        #expect(!texts.contains("100"))
    }

    @Test func legendPositions() throws {
        // Data in the top-right: the automatic legend avoids that corner.
        var fig = Figure()
        fig.addPoints(x: [9, 9.5, 10], y: [9, 9.5, 10], label: "corner")
        fig.addPoints(x: [0, 1], y: [0, 0.5])
        let legendRect = { (svg: String) throws -> (Double, Double) in
            let rects = try elements(try parseSVG(svg), named: "rect").filter { attr($0, "rx") != nil }
            let r = try #require(rects.first)
            return (Double(attr(r, "x")!)!, Double(attr(r, "y")!)!)
        }
        let auto = try legendRect(fig.svg())
        #expect(auto.0 < 320, "legend moved away from the data in the top-right: \(auto)")
        fig.legendPosition = .bottomRight
        let br = try legendRect(fig.svg())
        #expect(br.0 > 320 && br.1 > 210)
        fig.legendPosition = .outsideRight
        #expect(try legendRect(fig.svg()).0 > 480)
        fig.legendPosition = .hidden
        #expect(try elements(try parseSVG(fig.svg()), named: "rect").filter { attr($0, "rx") != nil }.isEmpty)
    }

    @Test func defaultColorCycleIsOkabeIto() {
        var fig = Figure()
        fig.addLine(x: [0, 1], y: [0, 1])
        fig.addLine(x: [0, 1], y: [1, 0])
        fig.addPoints(x: [0.5], y: [0.5], color: .black)
        let svg = fig.svg()
        #expect(svg.contains(Color.okabeIto[0].hex) && svg.contains(Color.okabeIto[1].hex))
        #expect(Color(hex: "#0072B2").hex == "#0072b2")
        #expect(Color(hex: "bogus") == .black)
    }

    @Test func idsAreDeterministicAndDistinct() {
        let a = sample().svg()
        #expect(a == sample().svg())
        var other = sample()
        other.title = "Other"
        let idA = a.components(separatedBy: "clipPath id=\"")[1].prefix(while: { $0 != "\"" })
        let idB = other.svg().components(separatedBy: "clipPath id=\"")[1].prefix(while: { $0 != "\"" })
        #expect(idA != idB)
    }

    @Test func richTextSuperAndSubscripts() throws {
        let fig = Figure(title: "σ_{w}^{2} and x^2", xLabel: "x", yLabel: "y")
        let svg = fig.svg()
        _ = try parseSVG(svg)
        #expect(svg.contains("<tspan"))
        #expect(svg.contains("x^2")) // no braces: literal
        #expect(RichText("a_{i}^{2}b").plain == "a_i^2b")
    }

    @Test func denseLinesAreDecimated() throws {
        var fig = Figure()
        let xs = (0..<20_000).map { Double($0) }
        fig.addLine(x: xs, y: xs.map { $0.truncatingRemainder(dividingBy: 7) == 0 ? Double.nan : 1 })
        fig.addLine(x: xs, y: xs.map { sin($0 / 3000) })
        let svg = fig.svg()
        _ = try parseSVG(svg)
        #expect(svg.utf8.count < 400_000, "\(svg.utf8.count) bytes")
    }

    @Test func automaticLegendGoesOutsideWhenNoCornerIsClear() throws {
        var fig = Figure()
        let xs = (0...100).map { Double($0) / 100 }
        for k in 0..<8 { fig.addLine(x: xs, y: xs.map { _ in Double(k) }, label: "level \(k)") }
        let rects = try elements(try parseSVG(fig.svg()), named: "rect")
        let frameRight = rects.compactMap { r -> Double? in
            guard attr(r, "stroke") == "#333333", let x = Double(attr(r, "x") ?? ""), let w = Double(attr(r, "width") ?? "") else { return nil }
            return x + w
        }.first!
        let legendX = Double(attr(rects.first { attr($0, "rx") != nil }!, "x")!)!
        #expect(legendX > frameRight)
    }

    @Test func numberFormatting() {
        #expect(SVG.num(1.005) == "1" || SVG.num(1.005) == "1.01")
        #expect(SVG.num(-0.001) == "0")
        #expect(SVG.num(12.5) == "12.5")
        #expect(SVG.num(-3.04) == "-3.04")
        #expect(SVG.num(.nan) == "0")
        #expect(SVG.num(1e300) == "10000000")
    }
}
