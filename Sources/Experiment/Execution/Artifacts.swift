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
        guard case .int64(let v) = try NPY.read(path).values else {
            throw StageFailure("\(path): expected int64 indices")
        }
        return v.map(Int.init)
    }
    static func writeImages(_ px: [UInt8], count: Int, shape: [Int], _ path: String) throws {
        try NPY.write(NPYArray(shape: [count] + shape, values: .uint8(px)), to: path)
    }
    static func readImages(_ path: String) throws -> [UInt8] {
        guard case .uint8(let v) = try NPY.read(path).values else {
            throw StageFailure("\(path): expected uint8 images")
        }
        return v
    }
    static func writeBytes(_ b: [UInt8], _ path: String) throws { try Data(b).write(to: URL(fileURLWithPath: path)) }
    /// Pretty-printed with sorted keys, so equal records are equal files.
    static func writeJSON<T: Encodable>(_ record: T, _ path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try e.encode(record).write(to: URL(fileURLWithPath: path))
    }
    static func readJSON<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        guard let d = FileManager.default.contents(atPath: path) else { throw StageFailure("\(path) is missing") }
        do {
            return try JSONDecoder().decode(T.self, from: d)
        } catch {
            throw StageFailure("\(path): unreadable (\(error))")
        }
    }
}
