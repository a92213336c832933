/// A validated, typed value of the spec language (defaults filled); its canonical JSON is what
/// stage keys hash.
public indirect enum Value: Hashable, Sendable {
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case list([Value])
    case object([String: Value])

    public subscript(key: String) -> Value? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    /// Follows a dotted path (`attack.perturbation.epsilon`).
    public subscript(path path: String) -> Value? {
        var v: Value? = self
        for k in path.split(separator: ".") { v = v?[String(k)] }
        return v
    }

    public var string: String? { if case let .string(s) = self { return s }; return nil }
    public var int: Int? { if case let .int(i) = self { return i }; return nil }
    public var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var double: Double? {
        switch self {
        case let .number(d): return d
        case let .int(i): return Double(i)
        default: return nil
        }
    }
    public var list: [Value]? { if case let .list(l) = self { return l }; return nil }
    public var object: [String: Value]? { if case let .object(o) = self { return o }; return nil }

    /// Canonical JSON: sorted keys, no spaces, numbers in shortest round-trip form (integral numbers as integers).
    public var canonicalJSON: String {
        switch self {
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .number(d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
            return "\(d)"
        case let .string(s): return jsonString(s)
        case let .list(l): return "[" + l.map(\.canonicalJSON).joined(separator: ",") + "]"
        case let .object(o):
            return "{" + o.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + $0.value.canonicalJSON }.joined(separator: ",") + "}"
        }
    }

    /// How the value reads in run labels: a fraction like 1/3 to four significant digits (0.3333).
    public var labelText: String {
        if case let .number(d) = self, d != d.rounded() { return String(format: "%.4g", d) }
        return text
    }

    /// How the value reads in messages and tables.
    public var text: String {
        switch self {
        case let .string(s): return s
        case let .list(l): return "[" + l.map(\.text).joined(separator: ", ") + "]"
        case .object: return canonicalJSON
        default: return canonicalJSON
        }
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
