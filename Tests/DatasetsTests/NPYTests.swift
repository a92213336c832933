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
        XCTAssertEqual(
            try NPY.read(fixture("uint8_2x3x2.npy")), NPYArray(shape: [2, 3, 2], values: .uint8(Array(0..<12))))
        XCTAssertEqual(
            try NPY.read(fixture("float32_4.npy")), NPYArray(shape: [4], values: .float32([0.5, -1.25, 3.0, 1e-3])))
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
        XCTAssertThrowsError(try NPY.read(dir + "/bad.npy")) {
            XCTAssert("\($0)".hasPrefix("\(dir)/bad.npy: not a .npy file"), "\($0)")
        }
        let full = NPY.encode(NPYArray(shape: [8], values: .float32(Array(repeating: 1, count: 8))))
        DatasetFiles.write(Array(full.dropLast(4)), to: dir + "/short.npy")
        XCTAssertThrowsError(try NPY.read(dir + "/short.npy")) {
            XCTAssertEqual("\($0)", "\(dir)/short.npy: truncated: expected 160 bytes, found 156")
        }
        XCTAssertThrowsError(try NPY.read(dir + "/none.npy")) {
            XCTAssertEqual("\($0)", "\(dir)/none.npy: file not found")
        }
    }
}

/// Sizes read from a file are checked before use (the numeric targets build with -Ounchecked).
final class CraftedFileTests: XCTestCase {
    /// A .npy file of `header` padded as NumPy pads it, then `payload` bytes.
    func npy(shape: String, payload: Int = 0) -> [UInt8] {
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let len = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(len & 0xFF), UInt8(len >> 8)] + Array(header.utf8)
            + [UInt8](repeating: 7, count: payload)
    }

    func testNPYShapesThatOverflowOrExceedTheFileAreErrors() {
        for shape in [
            "(1024, 1024, 17592186044416)", "(2147483648, 2147483648, 4)", "(99999999999999999999999,)", "(4, 4)",
            "(3, -1)", "(__import__('os'),)",
        ] {
            XCTAssertThrowsError(try NPY.decode(npy(shape: shape, payload: 8), path: "t.npy"), shape) { e in
                XCTAssert("\(e)".hasPrefix("t.npy: "), "\(e)")
                XCTAssertFalse("\(e)".contains("import"), "\(e)")
            }
        }
        XCTAssertEqual(try NPY.decode(npy(shape: "(2, 4)", payload: 8), path: "t.npy").shape, [2, 4])
        XCTAssertEqual(try NPY.decode(npy(shape: "(0,)"), path: "t.npy").shape, [0])
    }

    func testIDXHeadersWithZeroOrWrappingSidesAreErrors() {
        let dir = DatasetFiles.temporaryDirectory()
        func header(count: Int, rows: Int, cols: Int) -> [UInt8] {
            func be(_ v: Int) -> [UInt8] {
                [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
            }
            return be(0x803) + be(count) + be(rows) + be(cols) + [UInt8](repeating: 1, count: 64)
        }
        for (n, r, c) in [(60000, 0, 0), (60000, 1 << 31, 1 << 28), (1, 5000, 5000), (1 << 31, 16, 16)] {
            DatasetFiles.write(header(count: n, rows: r, cols: c), to: dir + "/x-idx3-ubyte")
            XCTAssertThrowsError(try IDX.readImages(dir + "/x-idx3-ubyte"), "\(n) \(r) \(c)")
        }
        DatasetFiles.write(header(count: 4, rows: 4, cols: 4), to: dir + "/ok-idx3-ubyte")
        XCTAssertEqual(try IDX.readImages(dir + "/ok-idx3-ubyte").pixels.count, 64)
    }
}
