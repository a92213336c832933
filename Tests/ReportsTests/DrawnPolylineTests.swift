import XCTest

@testable import Reports

final class DrawnPolylineTests: XCTestCase {
    /// A staircase keeps its corners; straight runs and repeats go.
    func testStaircaseKeepsOnlyItsCorners() {
        var pts: [(Double, Double)] = []
        for i in 0...100 { pts.append((0, Double(i))) }  // up the y axis
        pts.append((0, 100))  // a repeat
        for i in 1...50 { pts.append((Double(i), 100)) }  // along the top
        let d = DrawnPolyline(pts)
        XCTAssertEqual(d.vertices.map { [$0.x, $0.y] }, [[0, 0], [0, 1000], [500, 1000]])
        XCTAssertEqual(d.points, "0.0,0.0 0.0,100.0 50.0,100.0")
    }

    /// A point where the line turns back, or bends, stays: dropping it would change the drawing.
    func testTurnsAndBendsStay() {
        let back = DrawnPolyline([(0, 0), (2, 0), (1, 0)])
        XCTAssertEqual(back.vertices.count, 3)
        let zigzag = DrawnPolyline([(0, 0), (1, 1), (2, 0), (3, 1)])
        XCTAssertEqual(zigzag.vertices.count, 4)
        // Points closer than the SVG's tenth of a pixel are one point.
        XCTAssertEqual(DrawnPolyline([(1.01, 2.0), (1.04, 2.02)]).points, "1.0,2.0")
        XCTAssertEqual(DrawnPolyline([(-0.26, 3.0)]).points, "-0.3,3.0")
    }

    /// Non-finite and huge points do not trap: the former are left out, the latter kept far off the page.
    func testNonFinitePointsAreLeftOut() {
        let d = DrawnPolyline([(0, 0), (.nan, 1), (1, .infinity), (2, 2), (1e300, 3)])
        XCTAssertEqual(d.vertices.map { [$0.x, $0.y] }, [[0, 0], [20, 20], [1_000_000_000, 30]])
        let svg = LinePlot(
            title: "loss", xLabel: "step", yLabel: "loss", logY: true,
            series: [.init(name: "l", x: [0, 1, 2, 3], y: [1, .nan, 0.5, .infinity])]
        ).svg
        XCTAssert(svg.contains("<polyline points=\""), svg)
    }

    /// A ROC-like curve of 20 000 points draws as the same corners at a fraction of the size.
    func testDenseCurveIsSmallInTheSVG() {
        let n = 20_000
        let x = (0...n).map { Double(max(0, $0 - n / 2)) / Double(n / 2) }
        let y = (0...n).map { Double(min($0, n / 2)) / Double(n / 2) }
        let svg = LinePlot(title: "ROC", xLabel: "fpr", yLabel: "tpr", series: [.init(name: "r", x: x, y: y)]).svg
        let points = svg.components(separatedBy: "<polyline points=\"")[1].prefix { $0 != "\"" }
        XCTAssertEqual(points.split(separator: " ").count, 3, String(points))
        XCTAssertLessThan(svg.utf8.count, 5_000)
    }
}
