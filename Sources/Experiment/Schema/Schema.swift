/// The spec language's types. The language is defined once, as data (`SpecSchema`); the
/// validator, the reference in `grammar/` and the JSON Schema are all derived from it.
public indirect enum SchemaType: Sendable {
    case bool
    case integer(min: Int?, max: Int?)
    /// `exclusiveMin`: the value must be strictly above `min`. Fractions such as `1/3` are accepted.
    case number(min: Double?, max: Double?, exclusiveMin: Bool)
    case string
    case path
    case choice([String])
    case list(SchemaType, minCount: Int)
    case object(ObjectSchema)
    /// A mapping whose `kind` selects its fields; a bare word is shorthand for `{kind: word}`.
    case variant(Variant)
    /// The first alternative that fits (e.g. a number, or a piecewise schedule).
    case either([SchemaType])

    /// The spellings of a typed enum, in its declaration order: the validator and the decoder read one list.
    static func choice<E: CaseIterable & RawRepresentable>(of _: E.Type) -> SchemaType where E.RawValue == String {
        .choice(E.allCases.map(\.rawValue))
    }
}

public struct Field: Sendable {
    public var name: String
    public var type: SchemaType
    /// Filled in when the spec leaves the key out; nil with `required` false means "absent".
    public var defaultValue: Value?
    public var required: Bool
    public var doc: String
    /// Where in the thesis the key comes from.
    public var thesis: String?

    public init(
        _ name: String, _ type: SchemaType, default d: Value? = nil, required: Bool = false, _ doc: String,
        thesis: String? = nil
    ) {
        self.name = name
        self.type = type
        self.defaultValue = d
        self.required = required
        self.doc = doc
        self.thesis = thesis
    }
}

public struct ObjectSchema: Sendable {
    public var name: String
    public var doc: String
    public var fields: [Field]
    public init(_ name: String, _ doc: String, _ fields: [Field]) {
        self.name = name
        self.doc = doc
        self.fields = fields
    }
    public func field(_ n: String) -> Field? { fields.first { $0.name == n } }
}

public struct Variant: Sendable {
    public struct Case: Sendable {
        public var name: String
        public var doc: String
        public var fields: [Field]
        public init(_ name: String, _ doc: String, _ fields: [Field] = []) {
            self.name = name
            self.doc = doc
            self.fields = fields
        }
    }
    public var name: String
    public var doc: String
    public var cases: [Case]
    public var defaultCase: String
    public init(_ name: String, _ doc: String, default d: String, _ cases: [Case]) {
        self.name = name
        self.doc = doc
        self.defaultCase = d
        self.cases = cases
    }
    public func `case`(_ n: String) -> Case? { cases.first { $0.name == n } }
}

extension SchemaType {
    /// How the type reads in the reference and in "expected …" messages.
    public var summary: String {
        switch self {
        case .bool: return "true or false"
        case .integer(let lo, let hi): return "an integer" + range(lo.map(Double.init), hi.map(Double.init), false)
        case .number(let lo, let hi, let ex): return "a number" + range(lo, hi, ex)
        case .string: return "text"
        case .path: return "a file path"
        case .choice(let c): return "one of " + c.joined(separator: ", ")
        case .list(let t, let n): return "a list" + (n > 0 ? " of at least \(n)" : "") + " of \(t.summary)"
        case .object(let o): return "a mapping (\(o.name))"
        case .variant(let v):
            let article = "aeiou".contains(v.name.first?.lowercased() ?? "") ? "an" : "a"
            return "\(article) \(v.name) (kind: " + v.cases.map(\.name).joined(separator: " | ") + ")"
        case .either(let ts): return ts.map(\.summary).joined(separator: ", or ")
        }
    }

    private func range(_ lo: Double?, _ hi: Double?, _ ex: Bool) -> String {
        func f(_ d: Double) -> String { Value.number(d).canonicalJSON }
        switch (lo, hi) {
        case (let l?, let h?): return " in \(ex ? "(" : "[")\(f(l)), \(f(h))]"
        case (let l?, nil): return ex ? " > \(f(l))" : " ≥ \(f(l))"
        case (nil, let h?): return " ≤ \(f(h))"
        default: return ""
        }
    }
}
