import Datasets
import Foundation
import TestSupport
import XCTest

final class PNGTests: XCTestCase {
    func fixtures() -> URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    /// PNGs written by Fixtures/make_png_fixtures.py with all five row filters, in every colour type.
    func testDecodesEveryFilterAndColourType() throws {
        struct Expected: Decodable {
            var width: Int
            var height: Int
            var rgb: [String: [UInt8]]
        }
        let e = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: fixtures().appendingPathComponent("png_expected.json")))
        XCTAssertEqual(e.rgb.count, 5)
        for (name, rgb) in e.rgb {
            let path = fixtures().appendingPathComponent("\(name).png").path
            let img = try PNG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
            XCTAssertEqual(img.width, e.width, name)
            XCTAssertEqual(img.height, e.height, name)
            XCTAssertEqual(img.rgb, rgb, name)
        }
    }

    func testRoundTripOfOurEncoderAndErrors() throws {
        let px = (0..<(5 * 4 * 3)).map { UInt8($0 * 7 % 256) }
        let back = try PNG.decode(PNG.encode(width: 5, height: 4, rgb: px), path: "x.png")
        XCTAssertEqual(back.rgb, px)
        XCTAssertThrowsError(try PNG.decode(Array("GIF89a".utf8), path: "a.gif")) {
            XCTAssert("\($0)".hasPrefix("a.gif: not a PNG file"), "\($0)")
        }
        let cut = Array(PNG.encode(width: 5, height: 4, rgb: px).prefix(40))
        XCTAssertThrowsError(try PNG.decode(cut, path: "cut.png")) {
            XCTAssertEqual("\($0)", "cut.png: malformed: PNG: truncated: the file ends before its IEND chunk")
        }
    }

    /// CINIC-10's folder layout, with CIFAR-derived and ImageNet-derived file names.
    func testCINICFoldersAndSources() throws {
        let dir = DatasetFiles.temporaryDirectory()
        for (c, name) in CINIC.classNames.enumerated() {
            let d = "\(dir)/train/\(name)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            let img = PNG.encode(width: 32, height: 32, rgb: Array(repeating: UInt8(c * 20), count: 32 * 32 * 3))
            DatasetFiles.write(img, to: "\(d)/n0000\(c)_1.png")
            DatasetFiles.write(img, to: "\(d)/cifar10-train-\(c).png")
        }
        let all = try CINIC.load(directory: dir, split: .train)
        XCTAssertEqual(all.count, 20)
        XCTAssertEqual(all.classCounts, Array(repeating: 2, count: 10))
        let imagenet = try CINIC.load(directory: dir, split: .train, source: .imagenet)
        XCTAssertEqual(imagenet.count, 10)
        XCTAssertEqual(imagenet.image(3).first, 60)
        XCTAssertThrowsError(try CINIC.load(directory: dir, split: .valid)) {
            XCTAssertEqual("\($0)", "\(dir)/valid: file not found")
        }
    }
}
