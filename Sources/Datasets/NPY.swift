import Foundation

/// NumPy `.npy` arrays (format 1.0/2.0, C order, little-endian), so artifacts load in Python.
public struct NPYArray: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case uint8([UInt8])
        case float32([Float])
        case int64([Int64])
        case int32([Int32])
        var count: Int {
            switch self {
            case .uint8(let v): return v.count
            case .float32(let v): return v.count
            case .int64(let v): return v.count
            case .int32(let v): return v.count
            }
        }
        var descr: String {
            switch self {
            case .uint8: return "|u1"
            case .float32: return "<f4"
            case .int64: return "<i8"
            case .int32: return "<i4"
            }
        }
    }
    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], values: Values) {
        precondition(shape.reduce(1, *) == values.count, "npy values do not fill shape")
        self.shape = shape
        self.values = values
    }
}

public enum NPY {
    public static func read(_ path: String) throws -> NPYArray {
        try decode(try FileIO.read(path), path: path)
    }

    public static func write(_ a: NPYArray, to path: String) throws {
        try FileIO.write(encode(a), to: path)
    }

    public static func encode(_ a: NPYArray) -> [UInt8] {
        let shape =
            a.shape.count == 1 ? "(\(a.shape[0]),)" : "(" + a.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(a.values.descr)', 'fortran_order': False, 'shape': \(shape), }"
        // Pad so the data starts on a 64-byte boundary, header ending in a newline.
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let len = header.utf8.count
        out += [UInt8(len & 0xFF), UInt8(len >> 8)] + Array(header.utf8)
        switch a.values {
        case .uint8(let v): out += v
        case .float32(let v): v.withUnsafeBytes { out += $0 }
        case .int64(let v): v.withUnsafeBytes { out += $0 }
        case .int32(let v): v.withUnsafeBytes { out += $0 }
        }
        return out
    }

    public static func decode(_ b: [UInt8], path: String) throws -> NPYArray {
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else {
            throw DatasetError(path, .badMagic(expected: "a .npy file"))
        }
        let major = b[6]
        let (hlen, start): (Int, Int)
        switch major {
        case 1:
            hlen = Int(b[8]) | Int(b[9]) << 8
            start = 10
        case 2, 3:
            guard b.count >= 12 else { throw DatasetError(path, .truncated(expected: 12, found: b.count)) }
            hlen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        default: throw DatasetError(path, .malformed("unsupported npy version \(major)"))
        }
        guard b.count >= start + hlen else {
            throw DatasetError(path, .truncated(expected: start + hlen, found: b.count))
        }
        let header = String(decoding: b[start..<(start + hlen)], as: UTF8.self)
        guard let descr = field(header, "descr").map({ $0.trimmingQuotes }),
            let fortran = field(header, "fortran_order"),
            let shapeText = field(header, "shape")
        else {
            throw DatasetError(path, .malformed("the header lacks descr, fortran_order or shape"))
        }
        guard fortran.hasPrefix("False") else {
            throw DatasetError(path, .malformed("Fortran-ordered arrays are not supported"))
        }
        guard shapeText.allSatisfy({ "0123456789, ()L".contains($0) }) else {
            throw DatasetError(path, .malformed("the shape is not a tuple of integers"))
        }
        let parts = shapeText.filter { "0123456789,".contains($0) }.split(separator: ",")
        // Every size is checked before it is used: a 128-byte file can claim 2⁴⁴ × 2²⁰ values.
        var dims: [Int] = []
        var n = 1
        for part in parts {
            guard let d = Int(part) else {
                throw DatasetError(path, .malformed("a dimension of the shape is too large"))
            }
            let (product, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, product <= b.count else {
                throw DatasetError(
                    path, .malformed("the shape claims more values than the file holds (\(b.count) bytes)"))
            }
            dims.append(d)
            n = product
        }
        let data = Array(b[(start + hlen)...])
        func need(_ size: Int) throws {
            guard n <= data.count / size else {
                throw DatasetError(path, .truncated(expected: start + hlen + n * size, found: b.count))
            }
        }
        let values: NPYArray.Values
        switch descr {
        case "|u1", "<u1", "u1", "|b1":
            try need(1)
            values = .uint8(Array(data[0..<n]))
        case "<f4":
            try need(4)
            values = .float32(load(data, n))
        case "<i8":
            try need(8)
            values = .int64(load(data, n))
        case "<i4":
            try need(4)
            values = .int32(load(data, n))
        default:
            throw DatasetError(
                path, .malformed("unsupported dtype \(descr.quotedForMessage()) (use uint8, <f4, <i4 or <i8)"))
        }
        return NPYArray(shape: dims, values: values)
    }

    static func load<T>(_ data: [UInt8], _ n: Int) -> [T] {
        [T](unsafeUninitializedCapacity: n) { buf, count in
            data.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buf).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: src[0..<(n * MemoryLayout<T>.size)]))
            }
            count = n
        }
    }

    /// The text after `'key':` up to the next top-level comma (or the closing parenthesis of a tuple).
    static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        var rest = header[r.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if let comma = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<comma] }
        return String(rest).trimmingCharacters(in: .whitespaces)
    }
}

extension String {
    fileprivate var trimmingQuotes: String { trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) }
}
