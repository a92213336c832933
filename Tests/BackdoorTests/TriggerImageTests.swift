import Backdoor
import Datasets
import Foundation
import TestSupport
import XCTest

final class TriggerImageTests: XCTestCase {
    let dir = DatasetFiles.temporaryDirectory("backdoorlab-trigger")

    func writePNG(_ name: String, width: Int, height: Int, grey: [UInt8]) -> String {
        let path = dir + "/" + name
        FileManager.default.createFile(
            atPath: path, contents: Data(PNG.encode(width: width, height: height, rgb: grey.flatMap { [$0, $0, $0] })))
        return path
    }

    /// 0 leaves a pixel alone, 1–127 is black (−a), 128–255 white (+a); nearest-neighbour scaling to `size`.
    func testSignsFromAPNGByHand() throws {
        let path = writePNG("t.png", width: 2, height: 2, grey: [0, 50, 200, 255])
        XCTAssertEqual(try TriggerImage.signs(path: path, size: 2), [0, -1, 1, 1])
        XCTAssertEqual(
            try TriggerImage.signs(path: path, size: 4),
            [
                0, 0, -1, -1,
                0, 0, -1, -1,
                1, 1, 1, 1,
                1, 1, 1, 1,
            ])
    }

    /// A drawn checkerboard gives the built-in one's pixels exactly.
    func testADrawnCheckerboardMatchesTheBuiltIn() throws {
        let drawn: [UInt8] = [1, 1, 255, 1, 255, 1, 255, 1, 255]
        let path = dir + "/checker.npy"
        try NPY.write(NPYArray(shape: [3, 3], values: .uint8(drawn)), to: path)
        let mask = try TriggerImage.signs(path: path, size: 3)
        var a = [UInt8](repeating: 100, count: 8 * 8 * 3)
        var b = a
        Trigger(amplitude: 40).apply(to: &a, height: 8, width: 8, channels: 3)
        Trigger(pattern: .image, amplitude: 40, mask: mask).apply(to: &b, height: 8, width: 8, channels: 3)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, [UInt8](repeating: 100, count: 8 * 8 * 3))
    }

    func testNonSquareAndBlankFilesAreRefused() {
        let wide = writePNG("wide.png", width: 3, height: 2, grey: [255, 0, 255, 0, 255, 0])
        XCTAssertThrowsError(try TriggerImage.signs(path: wide, size: 3)) {
            XCTAssert("\($0)".contains("3×2 pixels; a trigger pattern must be square"), "\($0)")
        }
        let blank = writePNG("blank.png", width: 2, height: 2, grey: [0, 0, 0, 0])
        XCTAssertThrowsError(try TriggerImage.signs(path: blank, size: 2)) {
            XCTAssert("\($0)".contains("is blank"), "\($0)")
        }
        XCTAssertThrowsError(try TriggerImage.signs(path: dir + "/none.png", size: 2))
    }
}
