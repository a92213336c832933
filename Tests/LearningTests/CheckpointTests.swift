import Foundation
import Learning
import Tensor
import TestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    func testRoundTripKeepsEveryTensorAndMetadata() throws {
        let arch = Architecture(kind: .vgg, inputShape: [4, 4, 3], classes: 2, widths: [2, 3], unitsPerGroup: 1)
        let a = arch.build()
        a.initialize(RNG(seed: 1))
        let path = DatasetFiles.temporaryDirectory() + "/m.safetensors"
        try a.save(to: path, metadata: ["note": "test"])
        let b = arch.build()
        try b.load(from: path)
        for (k, v) in a.stateDict() { XCTAssertEqual(v.array, b.stateDict()[k]!.array, k) }
        XCTAssertEqual(try SafeTensors.read(path).metadata["note"], "test")
    }

    func testHeaderIsSafetensorsLayout() throws {
        let bytes = try SafeTensors.encode([
            "b": Tensor(shape: [2], values: [1, 2]), "a": Tensor(shape: [1], values: [3]),
        ])
        let len = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(len % 8, 0)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + len)])) as! [String: [String: Any]]
        XCTAssertEqual(header["a"]?["data_offsets"] as? [Int], [0, 4])
        XCTAssertEqual(header["b"]?["data_offsets"] as? [Int], [4, 12])
        XCTAssertEqual(bytes.count, 8 + len + 12)
    }

    func testMalformedFilesGiveErrorsNotTraps() throws {
        let dir = DatasetFiles.temporaryDirectory()
        let cases: [(String, [UInt8])] = [
            ("short", [1, 2, 3]),
            ("hugeHeader", [255, 255, 255, 255, 0, 0, 0, 0, 123]),
            ("notJSON", [4, 0, 0, 0, 0, 0, 0, 0] + Array("nope".utf8)),
            (
                "badOffsets",
                [
                    UInt8(Array(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8).count), 0, 0, 0, 0, 0,
                    0, 0,
                ]
                    + Array(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8) + [0, 0, 0, 0]
            ),
        ]
        for (name, bytes) in cases {
            DatasetFiles.write(bytes, to: dir + "/" + name)
            XCTAssertThrowsError(try SafeTensors.read(dir + "/" + name), name) { e in
                XCTAssert("\(e)".contains(dir + "/" + name), "\(e)")
            }
        }
        XCTAssertThrowsError(try SafeTensors.read(dir + "/absent")) { XCTAssert("\($0)".contains("file not found")) }
        let model = Architecture(kind: .small_cnn, inputShape: [4, 4, 1], classes: 2, widths: [2, 3]).build()
        XCTAssertThrowsError(try model.load(stateDict: [:])) {
            XCTAssertEqual("\($0)", "checkpoint lacks tensor 'features.0.weight'")
        }
    }
}
