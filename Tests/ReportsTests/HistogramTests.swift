import XCTest

@testable import Reports

final class HistogramTests: XCTestCase {
    /// Two samples in two bins: each bar is the sample's share of the bin.
    func testSharesPerBin() throws {
        let svg = try XCTUnwrap(
            Histogram.svg(title: "t", xLabel: "x", samples: [("a", [0, 0, 1]), ("b", [1, 1])], bins: 2))
        XCTAssert(svg.hasPrefix("<svg"), svg)
        XCTAssertEqual(svg.components(separatedBy: "<rect x=").count - 1, 2 * 2 + 2, svg)
        XCTAssertNil(Histogram.svg(title: "t", xLabel: "x", samples: [("a", [])]))
    }
}
