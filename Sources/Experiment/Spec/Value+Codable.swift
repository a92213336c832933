import Foundation

/// `Value` reads and writes JSON, so typed parameters and outputs convert to and from it: a stage's
/// typed parameters become the `Value` whose canonical JSON its key hashes.
extension Value: Codable {
    public init(from decoder: Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var items: [Value] = []
            while !list.isAtEnd { items.append(try list.decode(Value.self)) }
            self = .list(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var o: [String: Value] = [:]
            for k in object.allKeys { o[k.stringValue] = try object.decode(Value.self, forKey: k) }
            self = .object(o)
            return
        }
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .number(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .list(let l):
            var c = encoder.unkeyedContainer()
            for v in l { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (k, v) in o { try c.encode(v, forKey: AnyKey(k)) }
        }
    }

    /// The value `x` encodes to.
    public init<T: Encodable>(encoding x: T) throws {
        self = try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(x))
    }

    /// This value as a `T` (a validated spec section, a stage's parameters).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(canonicalJSON.utf8))
    }
}

/// A coding key for objects whose keys are data.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
