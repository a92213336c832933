import Foundation
import Tensor

/// What failed reading or applying a checkpoint.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read checkpoint: \(r)"
        case .malformed(let p, let r): return "\(p): not a valid safetensors file: \(r)"
        case .missingTensor(let n): return "checkpoint lacks tensor '\(n)'"
        case .shapeMismatch(let n, let e, let f): return "checkpoint tensor '\(n)' has shape \(f), expected \(e)"
        }
    }
}

/// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data),
/// Float32 only, which PyTorch, JAX and NumPy all read.
public enum SafeTensors {
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for n in names {
            let t = tensors[n]!
            header[n] =
                ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { out += $0 }
        out += json
        for n in names {
            let t = tensors[n]!
            out += UnsafeRawBufferPointer(start: t.pointer, count: 4 * t.count)
        }
        return out
    }

    public static func decode(_ b: [UInt8], path: String) throws -> (
        tensors: [String: Tensor], metadata: [String: String]
    ) {
        guard b.count >= 8 else {
            throw CheckpointError.malformed(path: path, reason: "shorter than its 8-byte header length")
        }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(b[i]) << (8 * UInt64(i)) }
        guard len <= UInt64(b.count - 8) else {
            throw CheckpointError.malformed(path: path, reason: "header length \(len) exceeds file size")
        }
        let start = 8 + Int(len)
        guard let header = try? JSONSerialization.jsonObject(with: Data(b[8..<start])) as? [String: Any] else {
            throw CheckpointError.malformed(path: path, reason: "header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, v) in header {
            if name == "__metadata__" {
                metadata = v as? [String: String] ?? [:]
                continue
            }
            guard let e = v as? [String: Any], let dtype = e["dtype"] as? String,
                let shape = e["shape"] as? [Int], let off = e["data_offsets"] as? [Int], off.count == 2
            else {
                throw CheckpointError.malformed(
                    path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else {
                throw CheckpointError.malformed(path: path, reason: "tensor '\(name)' is \(dtype); only F32 is read")
            }
            let n = shape.reduce(1, *)
            guard off[0] >= 0, off[1] - off[0] == 4 * n, start + off[1] <= b.count else {
                throw CheckpointError.malformed(
                    path: path, reason: "tensor '\(name)' has offsets \(off) that do not fit shape \(shape) or the file"
                )
            }
            let t = Tensor(zeros: shape)
            b.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(t.pointer).copyMemory(from: raw.baseAddress! + start + off[0], byteCount: 4 * n)
            }
            tensors[name] = t
        }
        return (tensors, metadata)
    }

    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let bytes = try encode(tensors, metadata: metadata)
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CheckpointError.unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.unreadable(
                path: path, reason: FileManager.default.fileExists(atPath: path) ? "I/O error" : "file not found")
        }
        return try decode([UInt8](d), path: path)
    }
}

/// Permutes the axes of `t`: result axis k is `t`'s axis `perm[k]`.
public func permuted(_ t: Tensor, _ perm: [Int]) -> Tensor {
    if perm == Array(perm.indices) { return t.copy() }
    let s = t.shape
    let outShape = perm.map { s[$0] }
    var inStrides = [Int](repeating: 1, count: s.count)
    for i in stride(from: s.count - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * s[i + 1] }
    let strides = perm.map { inStrides[$0] }
    let out = Tensor(zeros: outShape)
    var idx = [Int](repeating: 0, count: s.count)
    for o in 0..<out.count {
        var src = 0
        for k in 0..<idx.count { src += idx[k] * strides[k] }
        out[o] = t[src]
        var k = idx.count - 1
        while k >= 0 {
            idx[k] += 1
            if idx[k] < outShape[k] { break }
            idx[k] = 0
            k -= 1
        }
    }
    return out
}

func inverse(_ perm: [Int]) -> [Int] {
    var inv = perm
    for (k, p) in perm.enumerated() { inv[p] = k }
    return inv
}

/// Something with named parameters and buffers that can be saved and loaded as a safetensors file
/// (classifiers, and a GAN's generator and critic).
public protocol StateHolder: AnyObject {
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
}

extension Model: StateHolder {}

extension StateHolder {
    /// Parameters and running statistics in PyTorch's layout and names (conv weights [out, in, kh, kw]).
    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = [:]
        for p in parameters { d[p.name] = permuted(p.value, p.exportPermutation) }
        for b in buffers { d[b.name] = b.value.copy() }
        return d
    }

    /// Loads what `stateDict` wrote; every parameter and buffer must be present with its shape.
    public func load(stateDict d: [String: Tensor]) throws {
        for p in parameters {
            guard let t = d[p.name] else { throw CheckpointError.missingTensor(p.name) }
            let expected = p.exportPermutation.map { p.value.shape[$0] }
            guard t.shape == expected else {
                throw CheckpointError.shapeMismatch(name: p.name, expected: expected, found: t.shape)
            }
            p.value.copy(from: permuted(t, inverse(p.exportPermutation)))
        }
        for b in buffers {
            guard let t = d[b.name] else { throw CheckpointError.missingTensor(b.name) }
            guard t.shape == b.value.shape else {
                throw CheckpointError.shapeMismatch(name: b.name, expected: b.value.shape, found: t.shape)
            }
            b.value.copy(from: t)
        }
    }

    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(stateDict(), metadata: metadata, to: path)
    }

    public func load(from path: String) throws {
        try load(stateDict: try SafeTensors.read(path).tensors)
    }
}
