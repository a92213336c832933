import CYAML

/// Reads one YAML document through libyaml's event API into a `Node` tree with marks.
/// Guards against hostile input: a size limit on the text, a nesting-depth limit, and a limit on
/// how many nodes aliases may expand to (an "alias bomb" is refused as soon as it crosses it).
public struct YAMLReader {
    public var maxBytes = 1 << 20
    public var maxDepth = 64
    public var maxNodes = 100_000

    public init() {}

    public func read(_ text: String, file: String) throws -> Node {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw Diagnostic(
                Mark(file: file, line: 1, column: 1), "document is \(bytes.count) bytes; the limit is \(maxBytes)")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw Diagnostic(Mark(file: file, line: 1, column: 1), "cannot start the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            return try parse(&parser, file: file)
        }
    }

    private func parse(_ p: inout yaml_parser_t, file: String) throws -> Node {
        var tree = NodeBuilder(file: file, maxDepth: maxDepth, maxNodes: maxNodes)
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&p, &event) == 1 else {
                let problem = p.problem.map { String(cString: $0) } ?? "malformed YAML"
                let context = p.context.map { String(cString: $0) + ", " } ?? ""
                let at = tree.mark(p.problem_mark)
                let started =
                    p.context != nil && tree.mark(p.context_mark) != at
                    ? ["the construct began at \(tree.mark(p.context_mark).description)"] : []
                throw Diagnostic(at, "YAML syntax: \(context)\(problem)", notes: started)
            }
            defer { yaml_event_delete(&event) }
            if let root = try tree.take(event) { return root }
        }
    }
}

/// Builds the node tree from libyaml's events, resolving anchors and aliases and counting the nodes
/// they expand to.
private struct NodeBuilder {
    enum Frame {
        case sequence([Node], Mark, anchor: String?, size: Int)
        case mapping([Node.Entry], Mark, anchor: String?, pendingKey: (String, Mark)?, seen: [String: Mark], size: Int)
    }

    let file: String
    let maxDepth: Int
    let maxNodes: Int
    var stack: [Frame] = []
    var anchors: [String: (Node, Int)] = [:]
    var root: Node?
    var total = 0
    var documents = 0

    init(file: String, maxDepth: Int, maxNodes: Int) {
        self.file = file
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    func mark(_ m: yaml_mark_t) -> Mark { Mark(file: file, line: Int(m.line) + 1, column: Int(m.column) + 1) }
    func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// Takes one event; the document's root once the stream ends.
    mutating func take(_ event: yaml_event_t) throws -> Node? {
        let m = mark(event.start_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT: return root ?? .mapping([], Mark(file: file, line: 1, column: 1))
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 { throw Diagnostic(m, "a spec file holds one YAML document; found a second ('---')") }
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
            let plain = s.style == YAML_PLAIN_SCALAR_STYLE
            try attach(.scalar(text, plain: plain, m), size: 1, anchor: string(s.anchor), at: m)
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let (node, size) = anchors[name] else { throw Diagnostic(m, "unknown alias '*\(name)'") }
            try attach(node, size: size, anchor: nil, at: m)
        case YAML_SEQUENCE_START_EVENT:
            guard stack.count < maxDepth else { throw Diagnostic(m, "nesting deeper than \(maxDepth) levels") }
            stack.append(.sequence([], m, anchor: string(event.data.sequence_start.anchor), size: 1))
        case YAML_MAPPING_START_EVENT:
            guard stack.count < maxDepth else { throw Diagnostic(m, "nesting deeper than \(maxDepth) levels") }
            stack.append(
                .mapping([], m, anchor: string(event.data.mapping_start.anchor), pendingKey: nil, seen: [:], size: 1))
        case YAML_SEQUENCE_END_EVENT:
            guard case .sequence(let items, let sm, let a, let size)? = stack.popLast() else {
                throw Diagnostic(m, "unbalanced sequence")
            }
            total -= size - 1  // children were counted as they were attached
            try attach(.sequence(items, sm), size: size, anchor: a, at: sm)
        case YAML_MAPPING_END_EVENT:
            guard case .mapping(let entries, let mm, let a, _, _, let size)? = stack.popLast() else {
                throw Diagnostic(m, "unbalanced mapping")
            }
            total -= size - 1
            try attach(.mapping(entries, mm), size: size, anchor: a, at: mm)
        default:
            break
        }
        return nil
    }

    /// Adds a finished node to the enclosing container (or makes it the root).
    mutating func attach(_ node: Node, size: Int, anchor: String?, at m: Mark) throws {
        total += size
        if total > maxNodes {
            throw Diagnostic(
                m, "document expands to more than \(maxNodes) nodes (aliases nested inside aliases?); refusing it")
        }
        if let anchor { anchors[anchor] = (node, size) }
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .sequence(var items, let sm, let a, let s):
            items.append(node)
            stack.append(.sequence(items, sm, anchor: a, size: s + size))
        case .mapping(var entries, let mm, let a, let pending, var seen, let s):
            if let (key, km) = pending {
                if key == "<<", case .mapping(let merged, _) = node {
                    // YAML merge key: the aliased mapping's entries, overridden by explicit ones.
                    for e in merged where seen[e.key] == nil {
                        entries.append(e)
                        seen[e.key] = e.keyMark
                    }
                } else {
                    entries.append(Node.Entry(key: key, keyMark: km, value: node))
                }
                stack.append(.mapping(entries, mm, anchor: a, pendingKey: nil, seen: seen, size: s + size))
            } else {
                guard case .scalar(let key, _, let km) = node else {
                    throw Diagnostic(m, "mapping keys must be plain words, not \(node.kindDescription)")
                }
                if let first = seen[key] {
                    throw Diagnostic(km, "duplicate key '\(key)'", notes: ["first given at \(first.description)"])
                }
                seen[key] = km
                stack.append(.mapping(entries, mm, anchor: a, pendingKey: (key, km), seen: seen, size: s))
            }
        }
    }
}
