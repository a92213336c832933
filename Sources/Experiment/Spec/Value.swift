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
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// Follows a dotted path (`attack.perturbation.epsilon`).
    public subscript(path path: String) -> Value? {
        var v: Value? = self
        for k in path.split(separator: ".") { v = v?[String(k)] }
        return v
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var int: Int? {
        if case .int(let i) = self { return i }
        return nil
    }
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    public var double: Double? {
        switch self {
        case .number(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
    public var list: [Value]? {
        if case .list(let l) = self { return l }
        return nil
    }
    public var object: [String: Value]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Canonical JSON: sorted keys, no spaces, numbers in shortest round-trip form (integral numbers as integers).
    public var canonicalJSON: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
            return "\(d)"
        case .string(let s): return jsonString(s)
        case .list(let l): return "[" + l.map(\.canonicalJSON).joined(separator: ",") + "]"
        case .object(let o):
            return "{"
                + o.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + $0.value.canonicalJSON }.joined(
                    separator: ",") + "}"
        }
    }

    /// How the value reads in run labels: a fraction like 1/3 to four significant digits (0.3333).
    public var labelText: String {
        if case .number(let d) = self, d != d.rounded() { return String(format: "%.4g", d) }
        return text
    }

    /// How the value reads in messages and tables.
    public var text: String {
        switch self {
        case .string(let s): return s
        case .list(let l): return "[" + l.map(\.text).joined(separator: ", ") + "]"
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
            if u.value < 0x20 {
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count)
                    + String(u.value, radix: 16)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
