/// What went wrong reading a dataset file, and where.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable, Sendable {
        case missing
        case unreadable(String)
        case badMagic(expected: String, found: String)
        case truncated(expected: Int, found: Int)
        case labelOutOfRange(index: Int, label: Int, classes: Int)
        case mismatch(String)
        case malformed(String)
    }
    public var path: String
    public var reason: Reason

    public init(_ path: String, _ reason: Reason) { self.path = path; self.reason = reason }

    public var description: String {
        switch reason {
        case .missing: return "\(path): file not found"
        case let .unreadable(why): return "\(path): cannot read: \(why)"
        case let .badMagic(e, f): return "\(path): bad magic number: expected \(e), found \(f)"
        case let .truncated(e, f): return "\(path): truncated: expected \(e) bytes, found \(f)"
        case let .labelOutOfRange(i, l, c): return "\(path): label \(l) of record \(i) is out of range 0..<\(c)"
        case let .mismatch(why): return "\(path): \(why)"
        case let .malformed(why): return "\(path): malformed: \(why)"
        }
    }
}
