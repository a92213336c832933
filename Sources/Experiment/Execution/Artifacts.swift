import Datasets
import Foundation
import Learning
import Tensor

/// Reading and writing the files of cache entries (.npy, JSON, safetensors).
enum Artifacts {
    static func writeIndices(_ v: [Int], _ path: String) throws {
        try NPY.write(NPYArray(shape: [v.count], values: .int64(v.map(Int64.init))), to: path)
    }
    static func readIndices(_ path: String) throws -> [Int] {
        guard case let .int64(v) = try NPY.read(path).values else { throw StageFailure("\(path): expected int64 indices") }
        return v.map(Int.init)
    }
    static func writeImages(_ px: [UInt8], count: Int, shape: [Int], _ path: String) throws {
        try NPY.write(NPYArray(shape: [count] + shape, values: .uint8(px)), to: path)
    }
    static func readImages(_ path: String) throws -> [UInt8] {
        guard case let .uint8(v) = try NPY.read(path).values else { throw StageFailure("\(path): expected uint8 images") }
        return v
    }
    static func writeBytes(_ b: [UInt8], _ path: String) throws { try Data(b).write(to: URL(fileURLWithPath: path)) }
    static func writeJSON(_ object: Any, _ path: String) throws {
        let d = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try d.write(to: URL(fileURLWithPath: path))
    }
    static func readJSON(_ path: String) throws -> [String: Any] {
        guard let d = FileManager.default.contents(atPath: path), let o = try JSONSerialization.jsonObject(with: d) as? [String: Any] else {
            throw StageFailure("\(path): unreadable JSON")
        }
        return o
    }
}

/// The victim's data as the dataset stage defined it.
struct PreparedData {
    var train: Dataset      // the victim's training set
    var test: Dataset
    var publicSplit: Dataset
    var mean: [Float], std: [Float]
}
