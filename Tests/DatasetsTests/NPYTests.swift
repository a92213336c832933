import Datasets
import Foundation
import TestSupport
import XCTest

final class NPYTests: XCTestCase {
    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    /// Files written by NumPy itself (Tests/LearningTests/Fixtures/make_fixtures.py).
    func testReadsWhatNumPyWrote() throws {
        XCTAssertEqual(try NPY.read(fixture("uint8_2x3x2.npy")), NPYArray(shape: [2, 3, 2], values: .uint8(Array(0..<12))))
        XCTAssertEqual(try NPY.read(fixture("float32_4.npy")), NPYArray(shape: [4], values: .float32([0.5, -1.25, 3.0, 1e-3])))
        XCTAssertEqual(try NPY.read(fixture("int64_3.npy")), NPYArray(shape: [3], values: .int64([7, -1, 1 << 40])))
    }

    func testWritesWhatNumPyWrites() throws {
        // NumPy's own bytes for the same array: our writer must produce exactly them.
        let numpy = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("uint8_2x3x2.npy"))))
        XCTAssertEqual(NPY.encode(NPYArray(shape: [2, 3, 2], values: .uint8(Array(0..<12)))), numpy)
        let f32 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("float32_4.npy"))))
        XCTAssertEqual(NPY.encode(NPYArray(shape: [4], values: .float32([0.5, -1.25, 3.0, 1e-3]))), f32)
    }

    func testRoundTripAndErrors() throws {
        let dir = DatasetFiles.temporaryDirectory()
        let a = NPYArray(shape: [2, 2], values: .int32([1, -2, 3, 4]))
        try NPY.write(a, to: dir + "/a.npy")
        XCTAssertEqual(try NPY.read(dir + "/a.npy"), a)
        DatasetFiles.write(Array("not numpy".utf8), to: dir + "/bad.npy")
        XCTAssertThrowsError(try NPY.read(dir + "/bad.npy")) { XCTAssert("\($0)".hasPrefix("\(dir)/bad.npy: bad magic number"), "\($0)") }
        let full = NPY.encode(NPYArray(shape: [8], values: .float32(Array(repeating: 1, count: 8))))
        DatasetFiles.write(Array(full.dropLast(4)), to: dir + "/short.npy")
        XCTAssertThrowsError(try NPY.read(dir + "/short.npy")) { XCTAssertEqual("\($0)", "\(dir)/short.npy: truncated: expected 160 bytes, found 156") }
        XCTAssertThrowsError(try NPY.read(dir + "/none.npy")) { XCTAssertEqual("\($0)", "\(dir)/none.npy: file not found") }
    }
}
