import XCTest

@testable import Reports

final class AxisTests: XCTestCase {
    /// ASRs of 0.49–31 %: from 0 to 40 in steps of 10, not 0.49, 8.14, 16, … as before.
    func testLinearAxisWidensToRoundNumbers() {
        let a = Axis(covering: [0.49, 31], fromZero: true)
        XCTAssertEqual(a.lower, 0)
        XCTAssertEqual(a.upper, 40)
        XCTAssertEqual(a.ticks, [0, 10, 20, 30, 40])
        XCTAssertEqual(a.fraction(20), 0.5)
        let f = Axis(covering: [0.015, 0.25])
        XCTAssertEqual(f.ticks, [0, 0.05, 0.1, 0.15, 0.2, 0.25])
        XCTAssertEqual(f.ticks.map(f.label), ["0", "0.05", "0.10", "0.15", "0.20", "0.25"])
        XCTAssertEqual(Axis(covering: [0, 9.6]).ticks, [0, 2, 4, 6, 8, 10])
        let negative = Axis(covering: [-3, 7])
        XCTAssertEqual(negative.ticks, [-4, -2, 0, 2, 4, 6, 8])
    }

    func testLogAxisTicksAtPowersOfTen() {
        let a = Axis(covering: [0.0001, 2.3], log: true)
        XCTAssertEqual(a.lower, -4)
        XCTAssertEqual(a.upper, 1)
        XCTAssertEqual(a.ticks, [-4, -3, -2, -1, 0, 1])
        XCTAssertEqual(a.fraction(0.01), 0.4, accuracy: 1e-12)
        XCTAssertEqual(a.ticks.map(a.label), ["10⁻⁴", "0.001", "0.01", "0.1", "1", "10"])
        XCTAssertEqual(Axis(covering: [1e-7, 10], log: true).label(-7), "10⁻⁷")
        XCTAssertEqual(Axis(covering: [1, 1e12], log: true).label(12), "10¹²")
        let narrow = Axis(covering: [1.3, 4.1], log: true)
        XCTAssertEqual(narrow.ticks.map(narrow.label), ["1", "2", "5", "10"])
    }

    func testSingleValueStillGivesARange() {
        let a = Axis(covering: [5, 5])
        XCTAssertLessThan(a.lower, 5)
        XCTAssertGreaterThan(a.upper, 5)
        XCTAssertGreaterThanOrEqual(a.ticks.count, 2)
    }

    /// A fraction sweep over decades is drawn on a log axis: points evenly spread, ticks at powers of ten.
    func testLogXPlotPlacesDecadesEvenly() {
        let p = LinePlot(
            title: "t", xLabel: "fraction", yLabel: "ASR", logX: true,
            series: [.init(name: "a", x: [0.001, 0.01, 0.1, 1], y: [1, 2, 3, 4])])
        let cx = p.svg.components(separatedBy: "<circle cx=\"").dropFirst().compactMap {
            Double($0.prefix { $0 != "\"" })
        }
        XCTAssertEqual(cx.count, 4)
        XCTAssertEqual(cx[1] - cx[0], cx[3] - cx[2], accuracy: 0.11)
        XCTAssert(p.svg.contains(">0.001</text>") && p.svg.contains(">1</text>"), p.svg)
    }

    /// A band edge at 0 on a log axis is drawn on the x axis, not below the chart.
    func testZeroOnALogAxisStaysInsideTheChart() {
        let p = LinePlot(
            title: "t", xLabel: "step", yLabel: "loss", logY: true,
            series: [.init(name: "a", x: [0, 1, 2], y: [1, 0.1, 0.01], band: ([0.5, 0.01, 0], [2, 0.5, 0.1]))])
        let polygon = p.svg.components(separatedBy: "<polygon points=\"")[1].prefix { $0 != "\"" }
        let ys = polygon.split(separator: " ").compactMap { Double($0.split(separator: ",")[1]) }
        let frame = ChartFrame()
        XCTAssertEqual(ys.count, 6)
        XCTAssertEqual(ys.max()!, frame.h - frame.bottom, accuracy: 0.01)
    }

    /// A long finding and long legend names wrap onto more lines instead of running off the page.
    func testLongTitleAndLegendNamesWrapInsideThePage() {
        let title =
            "Noise 1 cuts the ASR by at least 50 points against the SGD baseline at a count where the baseline's is at least 90 %"
        let b = BarChart(
            title: title, xLabel: "attack.count", yLabel: "ASR (%)", categories: ["300"],
            series: [
                .init(name: "fig5-1_dp_sgd [defence.noise_multiplier=1.0]", values: [12]),
                .init(name: "sec5-3_sgd_baseline", values: [99]),
            ])
        let texts = b.svg.components(separatedBy: "<text ").dropFirst().map {
            $0.components(separatedBy: ">")[1].components(separatedBy: "<")[0]
        }
        XCTAssert(texts.allSatisfy { $0.count <= ChartFrame.titleWidth }, "\(texts)")
        XCTAssert(
            texts.contains("Noise 1 cuts the ASR by at least 50 points against the SGD baseline at a count where the"),
            "\(texts)")
        XCTAssert(texts.contains("baseline's is at least 90 %"), "\(texts)")
        XCTAssert(texts.contains("fig5-1_dp_sgd"), "\(texts)")
        XCTAssert(texts.contains("[defence.noise_multiplier=") && texts.contains("1.0]"), "\(texts)")
        // The plot area starts below the second title line, and the second legend entry below the first's three lines.
        let frame = ChartFrame(title: title)
        XCTAssertEqual(frame.titleLines.count, 2)
        XCTAssertEqual(frame.top, 56)
        XCTAssert(b.svg.contains("y=\"\(frame.f(frame.top + 10 + 3 * 14 + 4 + 4))\">sec5-3_sgd_baseline</text>"), b.svg)
        XCTAssertEqual(ChartFrame.wrap("abcdefghij", width: 4), ["abcd", "efgh", "ij"])
        XCTAssertEqual(ChartFrame.wrap("a b.cdefgh", width: 4), ["a", "b.", "cdef", "gh"])
        XCTAssertEqual(ChartFrame.wrap("", width: 4), [])
    }
}
