import Backdoor
import XCTest

final class DetectionRatesTests: XCTestCase {
    /// 4 flagged of 20 images, 2 of them among the 5 poisons: 2/5 of the poisons, 2/15 of the clean images,
    /// precision 2/4; a repeated index counts once.
    func testDetectionRatesAgainstTheKnownPoisons() {
        let r = DetectionRates(flagged: [0, 3, 7, 12, 7], poisons: [3, 4, 5, 12, 19], total: 20)
        XCTAssertEqual(r.flagged, 4)
        XCTAssertEqual(r.flaggedPoisons, 2)
        XCTAssertEqual(r.truePositiveRate, 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.falsePositiveRate, 2.0 / 15, accuracy: 1e-12)
        XCTAssertEqual(r.precision, 0.5, accuracy: 1e-12)
        let none = DetectionRates(flagged: [], poisons: [], total: 3)
        XCTAssertEqual([none.truePositiveRate, none.falsePositiveRate, none.precision], [0, 0, 0])
    }
}
