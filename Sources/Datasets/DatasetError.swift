/// What went wrong reading a dataset file, and where.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable, Sendable {
        case missing
        case unreadable(String)
        /// The file does not start as a file of this format should. Its bytes are never quoted: it may
        /// be any file at all (a path typed by mistake, or one a spec should not be able to read).
        case badMagic(expected: String)
        case truncated(expected: Int, found: Int)
        case labelOutOfRange(index: Int, label: Int, classes: Int)
        case mismatch(String)
        case malformed(String)
    }
    public var path: String
    public var reason: Reason

    public init(_ path: String, _ reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing: return "\(path): file not found"
        case .unreadable(let why): return "\(path): cannot read: \(why)"
        case .badMagic(let e): return "\(path): not \(e) (it does not start with the format's magic number)"
        case .truncated(let e, let f): return "\(path): truncated: expected \(e) bytes, found \(f)"
        case .labelOutOfRange(let i, let l, let c): return "\(path): label \(l) of record \(i) is out of range 0..<\(c)"
        case .mismatch(let why): return "\(path): \(why)"
        case .malformed(let why): return "\(path): malformed: \(why)"
        }
    }
}

extension String {
    /// At most `limit` printable ASCII characters of a text read from a file, for a message.
    func quotedForMessage(limit: Int = 24) -> String {
        let printable = unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : "?" }
        return printable.count <= limit ? String(printable) : String(printable.prefix(limit)) + "…"
    }
}
