import CZlib
import Foundation

/// Whole-file reads with errors that name the file.
public enum FileIO {
    public static func read(_ path: String) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DatasetError(path, .missing)
        }
        guard !isDir.boolValue else { throw DatasetError(path, .unreadable("is a directory")) }
        guard let d = FileManager.default.contents(atPath: path) else {
            throw DatasetError(path, .unreadable("permission denied or I/O error"))
        }
        return [UInt8](d)
    }

    /// Reads a gzip file (or a plain one: zlib passes non-gzip data through).
    static func readGzip(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError(path, .missing) }
        guard let f = gzopen(path, "rb") else { throw DatasetError(path, .unreadable("gzopen failed")) }
        defer { gzclose(f) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(f, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let msg = gzerror(f, &code).map { String(cString: $0) } ?? "unknown"
                throw DatasetError(path, .malformed("gzip: \(msg)"))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        return out
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do { try Data(bytes).write(to: url, options: .atomic) } catch {
            throw DatasetError(path, .unreadable("cannot write: \(error.localizedDescription)"))
        }
    }
}

func FileIOExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

extension FileIO {
    static func list(_ dir: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw DatasetError(dir, .unreadable("cannot list: \(error.localizedDescription)"))
        }
    }
}
