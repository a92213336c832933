/// A YAML node that remembers where it was written.
public indirect enum Node: Sendable {
    /// A scalar's text; `plain` is false for quoted or block scalars (which are always strings).
    case scalar(String, plain: Bool, Mark)
    case sequence([Node], Mark)
    /// Keys in document order; keys are scalars.
    case mapping([Entry], Mark)

    public struct Entry: Sendable {
        public var key: String
        public var keyMark: Mark
        public var value: Node
        public init(key: String, keyMark: Mark, value: Node) {
            self.key = key
            self.keyMark = keyMark
            self.value = value
        }
    }

    public var mark: Mark {
        switch self {
        case .scalar(_, _, let m), .sequence(_, let m), .mapping(_, let m): return m
        }
    }

    /// The value of `key` in a mapping.
    public subscript(key: String) -> Node? {
        guard case .mapping(let entries, _) = self else { return nil }
        return entries.last { $0.key == key }?.value
    }

    public var entries: [Entry]? {
        if case .mapping(let e, _) = self { return e }
        return nil
    }

    /// An explicit `null` (or `~`): in a spec it removes the key, inherited or not, so its default applies.
    public var isNull: Bool {
        if case .scalar(let s, let plain, _) = self { return plain && ["null", "Null", "NULL", "~"].contains(s) }
        return false
    }

    /// The tree without the mapping entries whose value is an explicit null.
    public var withoutNulls: Node {
        switch self {
        case .scalar: return self
        case .sequence(let items, let m): return .sequence(items.map(\.withoutNulls), m)
        case .mapping(let entries, let m):
            return .mapping(
                entries.filter { !$0.value.isNull }.map {
                    Entry(key: $0.key, keyMark: $0.keyMark, value: $0.value.withoutNulls)
                }, m)
        }
    }

    /// A short description for messages: "a mapping", "a list", "'text'".
    public var kindDescription: String {
        switch self {
        case .scalar(let s, let plain, _): return plain && (s.isEmpty || s == "~" || s == "null") ? "nothing" : "'\(s)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// Nodes in the tree (aliases counted at full size).
    public var size: Int {
        switch self {
        case .scalar: return 1
        case .sequence(let items, _): return items.reduce(1) { $0 + $1.size }
        case .mapping(let entries, _): return entries.reduce(1) { $0 + $1.value.size + 1 }
        }
    }
}

extension Node {
    /// A node holding `value` (used for defaults and `--set` values), every part marked `mark`.
    public init(_ value: Value, mark: Mark) {
        switch value {
        case .bool(let b): self = .scalar(b ? "true" : "false", plain: true, mark)
        case .int(let i): self = .scalar(String(i), plain: true, mark)
        case .number: self = .scalar(value.canonicalJSON, plain: true, mark)
        case .string(let s): self = .scalar(s, plain: false, mark)
        case .list(let l): self = .sequence(l.map { Node($0, mark: mark) }, mark)
        case .object(let o):
            self = .mapping(
                o.sorted { $0.key < $1.key }.map {
                    Entry(key: $0.key, keyMark: mark, value: Node($0.value, mark: mark))
                }, mark)
        }
    }
}
