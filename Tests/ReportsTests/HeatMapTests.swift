import XCTest

@testable import Reports

final class HeatMapTests: XCTestCase {
    /// White at the good end, #b2182b at the bad end, grey where nothing was measured; `highIsGood` flips it.
    func testColoursRunFromWhiteToRedAlongTheBadDirection() {
        let asr = HeatMap(title: "t", rows: ["a"], columns: ["x"], values: [[0.5]])
        XCTAssertEqual(asr.fill(0), "#ffffff")
        XCTAssertEqual(asr.fill(1), "#b2182b")
        XCTAssertEqual(asr.fill(2), "#b2182b")  // clamped
        XCTAssertEqual(asr.fill(nil), "#d9d9d9")
        XCTAssertEqual(asr.fill(0.5), "#d98c95")  // halfway: (255 + 178) / 2 = 216.5, (255 + 24) / 2 = 139.5, 149
        let der = HeatMap(title: "t", rows: ["a"], columns: ["x"], values: [[0.5]], highIsGood: true)
        XCTAssertEqual(der.fill(1), "#ffffff")
        XCTAssertEqual(der.fill(0), "#b2182b")
    }

    /// Every row and column is named, a long column name is split into words, and each cell says its value.
    func testCellsAndNamesAreDrawn() {
        let m = HeatMap(
            title: "ASR", rows: ["badnets", "wanet"], columns: ["none", "neural_cleanse"],
            values: [[0.91, 0.032], [0.95, nil]], format: { String(format: "%.1f %%", 100 * $0) })
        let svg = m.svg
        for text in [
            ">badnets<", ">wanet<", ">none<", ">neural<", ">cleanse<", ">91.0 %<", ">3.2 %<", ">95.0 %<", ">not run<",
        ] {
            XCTAssert(svg.contains(text), text)
        }
        XCTAssertEqual(svg.components(separatedBy: "<rect ").count - 1, 1 + 4)  // the background and 4 cells
        XCTAssert(svg.contains("fill=\"white\">91.0 %<"))  // dark cell, white ink
    }
}
