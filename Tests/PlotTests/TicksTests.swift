import Foundation
import Testing
@testable import Plot

@Suite("Ticks")
struct TicksTests {
    @Test func linearUnitInterval() {
        let ticks = Ticks.linear(from: 0, to: 1, targetCount: 5)
        #expect(ticks.map(\.value) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(ticks.map { $0.label?.text } == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    }

    @Test func linearStepsAreOneTwoFive() {
        for (lo, hi) in [(0.0, 7.3), (-3.2, 11.0), (0.001, 0.0173), (120.0, 4930.0), (-1e-4, 3e-4)] {
            let ticks = Ticks.linear(from: lo, to: hi, targetCount: 6)
            #expect(ticks.count >= 3 && ticks.count <= 12, "\(lo)…\(hi): \(ticks.count) ticks")
            let step = ticks[1].value - ticks[0].value
            let mantissa = step / pow(10, floor(log10(step)))
            #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-6 }, "step \(step)")
            #expect(ticks.allSatisfy { $0.value >= lo - 1e-12 && $0.value <= hi + 1e-12 })
        }
    }

    @Test func linearLabelsAreCompact() {
        let labels = Ticks.linear(from: 0, to: 0.35, targetCount: 7).compactMap { $0.label?.text }
        #expect(labels == ["0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.35"])
        let negative = Ticks.linear(from: -1, to: 1, targetCount: 4).compactMap { $0.label?.text }
        #expect(negative == ["-1", "-0.5", "0", "0.5", "1"])
        #expect(!negative.contains("-0"))
    }

    @Test func linearScientificUsesCommonExponent() {
        let labels = Ticks.linear(from: 0, to: 3e7, targetCount: 6).compactMap { $0.label?.text }
        #expect(labels.first == "0")
        #expect(labels.dropFirst().allSatisfy { $0.hasSuffix("\u{00D7}10^7") }, "\(labels)")
        #expect(labels.contains("1.5\u{00D7}10^7"))
        let small = Ticks.linear(from: 0, to: 1e-5, targetCount: 5).compactMap { $0.label?.text }
        #expect(small.last == "1\u{00D7}10^-5", "\(small)")
    }

    @Test func degenerateLinearRange() {
        let ticks = Ticks.linear(from: 2.5, to: 2.5)
        #expect(ticks.count == 1)
        #expect(ticks[0].label?.text == "2.5")
        #expect(Ticks.linear(from: .nan, to: 1).isEmpty)
        #expect(Ticks.linear(from: 0, to: .infinity).isEmpty)
    }

    @Test func logDecades() {
        let ticks = Ticks.log(from: 1e-3, to: 10)
        let majors = ticks.filter(\.isMajor)
        #expect(majors.count == 5)
        for (tick, k) in zip(majors, -3...1) {
            #expect(abs(tick.value / pow(10, Double(k)) - 1) < 1e-12)
            #expect(tick.label == TickLabel("10", exponent: String(k)))
        }
        #expect(majors.map { $0.label!.text } == ["10^-3", "10^-2", "10^-1", "10^0", "10^1"])
        // Minor ticks at 2…9 × 10^k inside the range: 8 per full decade.
        #expect(ticks.filter { !$0.isMajor }.count == 4 * 8)
        #expect(ticks.contains { !$0.isMajor && abs($0.value - 0.02) < 1e-15 })
    }

    @Test func logManyDecadesThinsLabels() {
        let majors = Ticks.log(from: 1e-12, to: 1e12, maxMajorCount: 8).filter(\.isMajor)
        #expect(majors.count <= 8 && majors.count >= 4)
        #expect(majors.allSatisfy { $0.label?.base == "10" })
    }

    @Test func logShortRangeUsesOneTwoFive() {
        let majors = Ticks.log(from: 1.5, to: 30).filter(\.isMajor).compactMap { $0.label?.text }
        #expect(majors == ["2", "5", "10", "20"])
        let tiny = Ticks.log(from: 2.1, to: 2.9).filter(\.isMajor)
        #expect(tiny.count >= 2)
        #expect(tiny.allSatisfy { $0.value >= 2.1 && $0.value <= 2.9 })
    }

    @Test func logRejectsNonPositive() {
        #expect(Ticks.log(from: 0, to: 10).isEmpty)
        #expect(Ticks.log(from: -1, to: 10).isEmpty)
        #expect(Ticks.log(from: 3, to: 3).count == 1)
    }

    @Test func generalFormatting() {
        #expect(Ticks.format(0.1 + 0.2).text == "0.3")
        #expect(Ticks.format(0.30000000000000004).text == "0.3")
        #expect(Ticks.format(250).text == "250")
        #expect(Ticks.format(0.00125).text == "0.00125")
        #expect(Ticks.format(1e-6).text == "10^-6")
        #expect(Ticks.format(2.5e7).text == "2.5\u{00D7}10^7")
        #expect(Ticks.format(-4e-9).text == "-4\u{00D7}10^-9")
        #expect(Ticks.format(0).text == "0")
        #expect(Ticks.format(.nan).text == "")
        #expect(Ticks.format(9.9999e7).text == "10^8")
    }

    @Test func axisScaleTransform() {
        #expect(AxisScale.log10.transform(100) == 2)
        #expect(AxisScale.log10.transform(0) == nil)
        #expect(AxisScale.log10.transform(-5) == nil)
        #expect(AxisScale.linear.transform(.nan) == nil)
        #expect(AxisScale.linear.transform(-.infinity) == nil)
        #expect(abs(AxisScale.log10.inverse(-3) - 1e-3) < 1e-18)
    }
}
