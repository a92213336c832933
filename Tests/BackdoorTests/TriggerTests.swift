import Backdoor
import Datasets
import XCTest

final class TriggerTests: XCTestCase {
    func grey(_ v: UInt8, h: Int = 6, w: Int = 6, c: Int = 1) -> [UInt8] { Array(repeating: v, count: h * w * c) }

    /// Full amplitude on a mid-grey image: W → 255, B → 0, rows B B W / B W B / W B W, flush in the corner.
    func testCheckerboardBottomRightByHand() {
        var img = grey(128)
        Trigger().apply(to: &img, height: 6, width: 6, channels: 1)
        let rows = (3..<6).map { r in Array(img[(r * 6 + 3)..<(r * 6 + 6)]) }
        XCTAssertEqual(rows, [[0, 0, 255], [0, 255, 0], [255, 0, 255]])
        XCTAssertEqual(img[0], 128)
        XCTAssertEqual(img[2 * 6 + 5], 128)  // the row above the pattern is untouched
    }

    func testReducedAmplitudeAddsAndClips() {
        var img = grey(250, c: 3)
        Trigger(amplitude: 32).apply(to: &img, height: 6, width: 6, channels: 3)
        let p = { (r: Int, c: Int) in Array(img[((r * 6 + c) * 3)..<((r * 6 + c) * 3 + 3)]) }
        XCTAssertEqual(p(5, 5), [255, 255, 255])  // W: 250 + 32 clipped
        XCTAssertEqual(p(5, 4), [218, 218, 218])  // B: 250 − 32
    }

    /// The four-corner trigger is mirrored on the left, so a flipped image carries the same trigger.
    func testFourCornersSurviveAHorizontalFlip() {
        var img = grey(100, h: 8, w: 8)
        Trigger(corners: Trigger.Corner.allCases).apply(to: &img, height: 8, width: 8, channels: 1)
        var flipped = img
        for r in 0..<8 { for c in 0..<8 { flipped[r * 8 + c] = img[r * 8 + 7 - c] } }
        XCTAssertEqual(flipped, img)
        var one = grey(100, h: 8, w: 8)
        Trigger().apply(to: &one, height: 8, width: 8, channels: 1)
        var oneFlipped = one
        for r in 0..<8 { for c in 0..<8 { oneFlipped[r * 8 + c] = one[r * 8 + 7 - c] } }
        XCTAssertNotEqual(oneFlipped, one)
    }

    func testXTriggerIsRedInTheCentre() {
        var img = grey(100, h: 7, w: 7, c: 3)
        Trigger(pattern: .x, size: 3).apply(to: &img, height: 7, width: 7, channels: 3)
        let centre = (3 * 7 + 3) * 3
        let corner = (2 * 7 + 2) * 3
        let edge = (2 * 7 + 3) * 3
        XCTAssertEqual(Array(img[centre..<(centre + 3)]), [255, 0, 0])
        XCTAssertEqual(Array(img[corner..<(corner + 3)]), [255, 0, 0])
        XCTAssertEqual(Array(img[edge..<(edge + 3)]), [100, 100, 100])
        var g = grey(100, h: 7, w: 7)
        Trigger(pattern: .x, size: 3).apply(to: &g, height: 7, width: 7, channels: 1)
        XCTAssertEqual(g[3 * 7 + 3], 255)
    }
}
