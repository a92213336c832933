import Foundation

/// Checks a node tree against the schema, collecting every problem with its mark, and returns the
/// typed value with defaults filled in.
public struct Validator {
    public private(set) var diagnostics: [Diagnostic] = []
    /// The mark of every value given in the spec, by dotted path (defaults have none).
    public private(set) var marks: [String: Mark] = [:]

    /// Top-level keys whose value failed validation, or that a misspelt key probably meant.
    public private(set) var failedSections: Set<String> = []
    /// The top-level object with only the sections that validated (when some did not).
    private var partial: Value?

    public init() {}

    /// The validated value; when there are diagnostics, the sections that did validate (see
    /// `failedSections`), so checks across keys can still run on them.
    public mutating func validate(_ node: Node, as object: ObjectSchema) -> Value {
        if let v = validate(node, .object(object), path: "") { return v }
        guard case .object(var o) = partial ?? .object([:]) else { return .object([:]) }
        // A failed section is stood in for by its default, so checks across keys can read a whole value.
        partialIsComplete = true
        for key in failedSections where o[key] == nil {
            guard let f = object.field(key), let d = f.defaultValue else {
                partialIsComplete = false
                continue
            }
            var scratch = Validator()
            o[key] = scratch.validate(Node(d, mark: node.mark), f.type, path: key) ?? d
        }
        return .object(o)
    }

    /// After `validate(_:as:)` failed: whether the value it returned has every section (those that
    /// failed replaced by their defaults), so that code reading a whole spec can run on it.
    public private(set) var partialIsComplete = false

    mutating func fail(_ m: Mark, _ message: String, notes: [String] = []) -> Value? {
        diagnostics.append(Diagnostic(m, message, notes: notes))
        return nil
    }

    static func name(_ path: String) -> String { path.isEmpty ? "the spec" : "'\(path)'" }

    mutating func validate(_ node: Node, _ type: SchemaType, path: String) -> Value? {
        marks[path] = node.mark
        let what = Validator.name(path)
        switch type {
        case .bool:
            guard case .scalar(let s, true, let m) = node, s == "true" || s == "false" else {
                return fail(node.mark, "\(what) must be true or false (got \(node.kindDescription))")
            }
            _ = m
            return .bool(s == "true")
        case .integer(let lo, let hi): return validateInteger(node, type, lo: lo, hi: hi, path: path)
        case .number(let lo, let hi, let ex):
            return validateNumber(node, type, lo: lo, hi: hi, exclusiveMin: ex, path: path)
        case .string, .path:
            guard case .scalar(let s, _, _) = node else {
                return fail(node.mark, "\(what) must be \(type.summary) (got \(node.kindDescription))")
            }
            if case .path = type, s.isEmpty { return fail(node.mark, "\(what) must be a non-empty path") }
            return .string(s)
        case .choice(let options):
            guard case .scalar(let s, _, let m) = node else {
                return fail(node.mark, "\(what) must be \(type.summary) (got \(node.kindDescription))")
            }
            guard options.contains(s) else {
                return fail(
                    m,
                    "\(what) must be one of \(options.joined(separator: ", ")) (got '\(quoted(s))')\(didYouMean(s, options))"
                )
            }
            return .string(s)
        case .list(let inner, let minCount): return validateList(node, type, inner, minCount: minCount, path: path)
        case .object(let schema):
            guard case .mapping(let entries, let m) = node else {
                return fail(node.mark, "\(what) must be a mapping of \(schema.name) keys (got \(node.kindDescription))")
            }
            return validateFields(entries, schema.fields, at: m, path: path, context: schema.name)
        case .variant(let v): return validateVariant(node, type, v, path: path)
        case .either(let types): return validateEither(node, type, types, path: path)
        }
    }

    mutating func validateInteger(_ node: Node, _ type: SchemaType, lo: Int?, hi: Int?, path: String) -> Value? {
        let what = Validator.name(path)
        guard case .scalar(let s, true, let m) = node, let i = Int(s.replacingOccurrences(of: "_", with: "")) else {
            if case .scalar(let s, true, _) = node, Double(s) != nil {
                return fail(node.mark, "\(what) must be a whole number (got \(s))")
            }
            return fail(node.mark, "\(what) must be \(type.summary) (got \(node.kindDescription))")
        }
        if let lo, i < lo { return fail(m, "\(what) must be ≥ \(lo) (got \(i))") }
        if let hi, i > hi { return fail(m, "\(what) must be ≤ \(hi) (got \(i))") }
        return .int(i)
    }

    mutating func validateNumber(
        _ node: Node, _ type: SchemaType, lo: Double?, hi: Double?, exclusiveMin ex: Bool, path: String
    ) -> Value? {
        let what = Validator.name(path)
        guard case .scalar(let s, true, let m) = node, let d = parseNumber(s) else {
            return fail(node.mark, "\(what) must be \(type.summary) (got \(node.kindDescription))")
        }
        let t = Value.number(d).canonicalJSON
        if let lo, ex ? d <= lo : d < lo {
            return fail(m, "\(what) must be \(ex ? ">" : "≥") \(Value.number(lo).canonicalJSON) (got \(t))")
        }
        if let hi, d > hi { return fail(m, "\(what) must be ≤ \(Value.number(hi).canonicalJSON) (got \(t))") }
        return .number(d)
    }

    mutating func validateList(_ node: Node, _ type: SchemaType, _ inner: SchemaType, minCount: Int, path: String)
        -> Value?
    {
        let what = Validator.name(path)
        let items: [Node]
        if case .sequence(let l, _) = node {
            items = l
        } else if case .scalar(let text, _, _) = node {
            // A single word stands for a list of one (`corners: all`); a single number does not: `widths: 16`
            // read as [16] would silently build a one-group network.
            if case .integer = inner {
                return fail(
                    node.mark, "\(what) is a list (got \(quoted(text))); write [\(quoted(text))] for a list of one")
            }
            if case .number = inner {
                return fail(
                    node.mark, "\(what) is a list (got \(quoted(text))); write [\(quoted(text))] for a list of one")
            }
            items = [node]
        } else {
            return fail(node.mark, "\(what) must be \(type.summary) (got \(node.kindDescription))")
        }
        if items.count < minCount {
            return fail(
                node.mark, "\(what) needs at least \(minCount) item\(minCount == 1 ? "" : "s") (got \(items.count))"
            )
        }
        var out: [Value] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let v = validate(item, inner, path: "\(path)[\(i)]") { out.append(v) } else { ok = false }
        }
        return ok ? .list(out) : nil
    }

    mutating func validateVariant(_ node: Node, _ type: SchemaType, _ v: Variant, path: String) -> Value? {
        let what = Validator.name(path)
        var entries: [Node.Entry]
        var m = node.mark
        var kindNode: Node
        switch node {
        case .scalar(let s, _, let sm):
            entries = []
            kindNode = .scalar(s, plain: true, sm)
        case .mapping(let e, let mm):
            entries = e
            m = mm
            kindNode = e.first { $0.key == "kind" }?.value ?? .scalar(v.defaultCase, plain: true, mm)
        case .sequence:
            return fail(node.mark, "\(what) must be \(type.summary) (got a list)")
        }
        let kindPath = path.isEmpty ? "kind" : path + ".kind"
        guard let kind = validate(kindNode, .choice(v.cases.map(\.name)), path: kindPath)?.string,
            let c = v.case(kind)
        else { return nil }
        entries.removeAll { $0.key == "kind" }
        guard
            var fields = validateFields(entries, c.fields, at: m, path: path, context: "\(v.name) kind '\(kind)'")?
                .object
        else {
            return nil
        }
        fields["kind"] = .string(kind)
        return .object(fields)
    }

    /// Picks the alternative whose shape matches the node and reports that one's problems.
    mutating func validateEither(_ node: Node, _ type: SchemaType, _ types: [SchemaType], path: String) -> Value? {
        let what = Validator.name(path)
        let shaped = types.first { t in
            switch (t, node) {
            case (.object, .mapping), (.variant, .mapping), (.list, .sequence): return true
            case (.bool, .scalar), (.integer, .scalar), (.number, .scalar), (.string, .scalar), (.path, .scalar),
                (.choice, .scalar):
                return true
            default: return false
            }
        }
        guard let t = shaped else {
            return fail(node.mark, "\(what) must be \(type.summary) (got \(node.kindDescription))")
        }
        return validate(node, t, path: path)
    }

    mutating func validateFields(_ entries: [Node.Entry], _ fields: [Field], at m: Mark, path: String, context: String)
        -> Value?
    {
        var out: [String: Value] = [:]
        var ok = true
        let names = fields.map(\.name)
        var misspelt = Set<String>()  // keys an unknown key probably meant: not reported missing as well
        for e in entries {
            let p = path.isEmpty ? e.key : path + "." + e.key
            guard let f = fields.first(where: { $0.name == e.key }) else {
                if let meant = suggestion(for: e.key, among: names) { misspelt.insert(meant) }
                diagnostics.append(
                    Diagnostic(
                        e.keyMark, "unknown key '\(quoted(e.key))' in \(context)\(didYouMean(e.key, names))",
                        notes: ["valid keys: " + names.joined(separator: ", ")]))
                ok = false
                continue
            }
            if let v = validate(e.value, f.type, path: p) {
                out[e.key] = v
            } else {
                ok = false
                if path.isEmpty { failedSections.insert(e.key) }
            }
        }
        if path.isEmpty { failedSections.formUnion(misspelt) }
        for f in fields where out[f.name] == nil && !entries.contains(where: { $0.key == f.name }) {
            if let d = f.defaultValue {
                // Defaults go through validation too, which fills the defaults nested inside them.
                let p = path.isEmpty ? f.name : path + "." + f.name
                let saved = marks
                out[f.name] = validate(Node(d, mark: m), f.type, path: p) ?? d
                marks = saved
            } else if f.required && !misspelt.contains(f.name) {
                diagnostics.append(Diagnostic(m, "missing key '\(f.name)' in \(context) (\(f.type.summary))"))
                ok = false
            }
        }
        if !ok && path.isEmpty { partial = .object(out) }
        return ok ? .object(out) : nil
    }
}

/// A number as YAML writes it, or a fraction `a/b` (the thesis's noise multipliers 1/3, 2/3).
func parseNumber(_ s: String) -> Double? {
    let t = s.replacingOccurrences(of: "_", with: "")
    if let d = Double(t), d.isFinite { return d }
    let parts = t.split(separator: "/")
    if parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), b != 0 { return a / b }
    return nil
}
