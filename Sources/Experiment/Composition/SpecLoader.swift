import Foundation

/// One concrete run of a spec: a sweep point's values, validated, with defaults filled.
public struct ResolvedRun: Sendable {
    /// The spec file it comes from (display name).
    public var file: String
    /// The swept keys and this run's value of each, in document order.
    public var point: [(key: String, value: Value)]
    public var value: Value
    /// `value` decoded: what planning reads.
    public var spec: ExperimentSpec
    /// Marks of the values written in the spec files or on the command line, by dotted path.
    public var marks: [String: Mark]
    /// `attack.trigger.file` as a path that opens from here (the spec names it relative to itself).
    public var triggerFile: String?

    /// Where `path` was written, or the closest enclosing key that was.
    public func mark(_ path: String) -> Mark {
        var p = path
        while !p.isEmpty {
            if let m = marks[p] { return m }
            p = p.contains(".") ? String(p[..<p.lastIndex(of: ".")!]) : ""
        }
        return marks[""] ?? Mark(file: file, line: 1, column: 1)
    }
    /// How the run is named in tables: `key=value` per swept key (a swept object by what sets it apart, see `Sweep.labels`).
    public var label: String

    init(
        file: String, point: [(key: String, value: Value)], value: Value, spec: ExperimentSpec, marks: [String: Mark],
        triggerFile: String?
    ) {
        self.file = file
        self.point = point
        self.value = value
        self.spec = spec
        self.marks = marks
        self.triggerFile = triggerFile
        label = point.map { "\($0.key)=\($0.value.labelText)" }.joined(separator: " ")
    }
}

/// A spec file after composition: its runs.
public struct LoadedSpec: Sendable {
    public var file: String
    public var runs: [ResolvedRun]
    /// The findings its own `expect:` block states.
    public var expectations: [Expectation] = []
}

/// Reads spec files and folders: `extends`, profiles, `--set`, `${env:NAME}`, sweeps, validation.
public struct SpecLoader {
    public var sources = SourceCache()
    public var environment: [String: String]
    public var profile: String?
    public var overrides: [String]
    /// File names in messages are shown relative to this directory when inside it.
    public var displayRoot: String
    public var reader = YAMLReader()
    public var maxRuns = 100_000
    /// When set, an unset `${env:NAME}` stays as the text `${env:NAME}` and is recorded in
    /// `unsetVariables` instead of being an error: planning reads no data, so it needs no data paths.
    public var allowUnsetEnvironment = false
    /// The variables left unset under `allowUnsetEnvironment`.
    public let unsetVariables = NameSet()

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, profile: String? = nil,
        overrides: [String] = [], displayRoot: String = FileManager.default.currentDirectoryPath
    ) {
        self.environment = environment
        self.profile = profile
        self.overrides = overrides
        self.displayRoot = displayRoot.hasSuffix("/") ? String(displayRoot.dropLast()) : displayRoot
    }

    /// The spec files of a path: the file itself, or a folder's `*.yaml` not starting with `_` (bases).
    public func specFiles(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw Diagnostics([Diagnostic(.commandLine(path), "no such spec file or folder '\(path)'")])
        }
        guard isDir.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let specs = names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("_") }.sorted()
        guard !specs.isEmpty else {
            throw Diagnostics([Diagnostic(.commandLine(path), "folder '\(path)' holds no spec files (*.yaml)")])
        }
        return specs.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
    }

    /// Loads every spec of a file or folder; all problems of all files are thrown together.
    public func load(_ path: String) throws -> [LoadedSpec] {
        let files = try specFiles(path)
        var isDir: ObjCBool = false
        let folder =
            FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            ? path : (path as NSString).deletingLastPathComponent
        var out: [LoadedSpec] = []
        var problems: [Diagnostic] = []
        for f in files {
            do { out.append(try loadFile(f, folder: folder)) } catch let d as Diagnostics {
                problems += d.items
            } catch let d as Diagnostic { problems.append(d) }
        }
        // A profile no spec of a folder knows is one mistake on the command line, not one per file.
        if let profile, files.count > 1, out.isEmpty, problems.count == files.count,
            problems.allSatisfy({ $0.mark == .commandLine("--profile \(profile)") }), let first = problems.first
        {
            let p = display((folder as NSString).appendingPathComponent("profiles/\(profile).yaml"))
            let names = first.message.range(of: " (profiles: ").map { String(first.message[$0.lowerBound...]) } ?? ""
            throw Diagnostics([
                Diagnostic(
                    first.mark,
                    "no profile '\(profile)': \(p) does not exist and no spec in \(display(folder)) has a 'profiles: {\(profile): …}' block"
                        + names)
            ])
        }
        // Findings are checked for every spec that loaded, so one file's typo does not hide another's.
        let (expectationProblems, extra) = checkExpectations(out, failed: problems.map(\.mark.file))
        if !problems.isEmpty || !expectationProblems.isEmpty {
            problems += expectationProblems
            if profile == nil, let names = offeredProfiles(folder: folder, files: files), !names.isEmpty {
                problems.append(
                    Diagnostic(
                        .commandLine(display(path)),
                        "these specs define profiles (\(names.joined(separator: ", "))) and none was given; "
                            + "the other errors may be what a profile sets: try --profile \(names[0])"))
            }
            throw Diagnostics(problems)
        }
        // Specs that expectations compare against join the plan, so their runs are run and reported too.
        return out + extra
    }

    /// Profiles a spec file or folder offers (`profiles/NAME.yaml`, `profiles:` blocks), sorted.
    public func profiles(offeredBy path: String) -> [String] {
        guard let files = try? specFiles(path) else { return [] }
        var isDir: ObjCBool = false
        let folder =
            FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            ? path : (path as NSString).deletingLastPathComponent
        return offeredProfiles(folder: folder, files: files) ?? []
    }

    /// Profiles a folder offers: `profiles/NAME.yaml` files and the `profiles:` blocks of its specs.
    func offeredProfiles(folder: String, files: [String]) -> [String]? {
        var names = Set(
            ((try? FileManager.default.contentsOfDirectory(
                atPath: (folder as NSString).appendingPathComponent("profiles"))) ?? [])
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) })
        for f in files {
            guard let text = try? String(contentsOfFile: f, encoding: .utf8),
                let node = try? reader.read(text, file: f),
                case .mapping(let entries, _) = node, let block = entries.first(where: { $0.key == "profiles" })?.value,
                case .mapping(let blocks, _) = block
            else { continue }
            names.formUnion(blocks.map(\.key))
        }
        return names.sorted()
    }

    func display(_ path: String) -> String {
        let abs = URL(fileURLWithPath: path).standardizedFileURL.path
        return abs.hasPrefix(displayRoot + "/") ? String(abs.dropFirst(displayRoot.count + 1)) : path
    }

    func parse(_ path: String, from: Mark?) throws -> Node {
        let name = display(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostic(from ?? .commandLine(name), "cannot read spec file '\(name)': no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Diagnostic(from ?? .commandLine(name), "'\(name)' is not UTF-8 text")
        }
        // Lines are quoted in messages only from files named as specs: a path given by mistake (or on
        // purpose: `extends: /etc/shadow`) must not have its contents printed.
        let spec = path.hasSuffix(".yaml") || path.hasSuffix(".yml")
        if spec { sources.add(name, text: text) }
        let node: Node
        do {
            node = try reader.read(text, file: name)
        } catch let d as Diagnostic where !spec {
            throw Diagnostic(
                from ?? .commandLine(name), "'\(name)' is not a spec file: it is not YAML (\(d.mark.description))")
        }
        try SpecLoader.checkLooksLikeASpec(node, name: name, from: from)
        return node
    }

    /// A mapping none of whose top-level keys is a spec key is some other file: one error for it, not
    /// one "unknown key" (quoting the line) per entry.
    static func checkLooksLikeASpec(_ node: Node, name: String, from: Mark?) throws {
        guard case .mapping(let entries, _) = node, !entries.isEmpty else { return }
        let known = Set(SpecSchema.spec.fields.map(\.name) + ["extends", "profiles"])
        // A misspelt key of a real spec ('datset') gets its own error with a suggestion.
        guard
            !entries.contains(where: { known.contains($0.key) || suggestion(for: $0.key, among: Array(known)) != nil })
        else { return }
        throw Diagnostic(
            from ?? .commandLine(name),
            "'\(name)' is not a spec file: none of its \(entries.count) top-level keys is a spec key",
            notes: ["valid keys: " + SpecSchema.spec.fields.map(\.name).joined(separator: ", ")])
    }

    /// The file with everything it extends merged underneath it; `chain` detects cycles.
    func composed(_ path: String, from: Mark?, chain: [String]) throws -> Node {
        let canonical = URL(fileURLWithPath: path).standardizedFileURL.path
        if let i = chain.firstIndex(of: canonical) {
            let cycle = (chain[i...] + [canonical]).map { display($0) }.joined(separator: " → ")
            throw Diagnostic(from ?? .commandLine(display(path)), "'extends' forms a cycle: \(cycle)")
        }
        var node = try parse(path, from: from)
        guard case .mapping(let entries, let m) = node else {
            throw Diagnostic(node.mark, "a spec must be a mapping of keys (got \(node.kindDescription))")
        }
        guard let ext = entries.first(where: { $0.key == "extends" }) else { return node }
        guard case .scalar(let rel, _, let em) = ext.value else {
            throw Diagnostic(ext.value.mark, "'extends' must be a file path (got \(ext.value.kindDescription))")
        }
        let basePath =
            rel.hasPrefix("/")
            ? rel : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(rel)
        var base = try composed(basePath, from: em, chain: chain + [canonical])
        // A base's findings are its own: they do not pass to the specs built on it.
        if case .mapping(let be, let bm) = base { base = .mapping(be.filter { $0.key != "expect" }, bm) }
        node = .mapping(entries.filter { $0.key != "extends" }, m)
        return merge(base, node)
    }

    func loadFile(_ path: String, folder: String) throws -> LoadedSpec {
        var node = try composed(path, from: nil, chain: [])
        // A spec with no keys at all (nor any from what it extends) is almost always a mistake, and would run
        // every default: hours of training. Bases and profile overlays may be empty.
        if node.entries?.isEmpty == true {
            throw Diagnostic(
                Mark(file: display(path), line: 1, column: 1),
                "'\(display(path))' has no keys: a spec states at least what it tests, e.g. attack: {poison: dirty_label, count: 75}"
            )
        }
        // A spec's own `profiles: {NAME: overlay}` block applies after the folder's profiles/NAME.yaml.
        var ownBlocks: [Node.Entry] = []
        var ownNames: [String] = []
        if case .mapping(let entries, let m) = node, let i = entries.firstIndex(where: { $0.key == "profiles" }) {
            guard case .mapping(let blocks, _) = entries[i].value,
                blocks.allSatisfy({
                    if case .mapping = $0.value { return true }
                    return false
                })
            else {
                throw Diagnostic(
                    entries[i].value.mark,
                    "'profiles' maps profile names to overlays, e.g. profiles: {cpu: {train: {epochs: 24}}}")
            }
            ownNames = blocks.map(\.key)
            ownBlocks = blocks
            node = .mapping(entries.filter { $0.key != "profiles" }, m)
        }
        // `--profile cpu+seeds` applies cpu, then seeds, each as a profile of its own.
        for profile in (profile ?? "").split(separator: "+").map(String.init) where !profile.isEmpty {
            let own = ownBlocks.first { $0.key == profile }?.value
            let p = (folder as NSString).appendingPathComponent("profiles/\(profile).yaml")
            if FileManager.default.fileExists(atPath: p) { node = merge(node, try composed(p, from: nil, chain: [])) }
            guard FileManager.default.fileExists(atPath: p) || own != nil else {
                let available =
                    ((try? FileManager.default.contentsOfDirectory(
                        atPath: (folder as NSString).appendingPathComponent("profiles"))) ?? [])
                    .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
                let names = Array(Set(available + ownNames)).sorted()
                throw Diagnostic(
                    .commandLine("--profile \(profile)"),
                    "no profile '\(profile)': \(display(p)) does not exist and \(display(path)) has no 'profiles: {\(profile): …}' block"
                        + (names.isEmpty
                            ? "" : " (profiles: \(names.joined(separator: ", ")))\(didYouMean(profile, names))"))
            }
            if let own { node = merge(node, own) }
        }
        for o in overrides { node = try apply(override: o, to: node) }
        // `key: null` (or --set key=null) removes the key, so a spec can drop what it extends.
        node = node.withoutNulls
        var problems: [Diagnostic] = []
        node = substituteEnvironment(node, &problems)
        if !problems.isEmpty { throw Diagnostics(problems) }
        var spec = try expand(node, file: display(path))
        spec.expectations = expectations(of: spec, path: path)
        return spec
    }

    /// `key.path=value`: the value is parsed as YAML and replaces (or narrows a sweep at) that key.
    func apply(override: String, to node: Node) throws -> Node {
        let m = Mark.commandLine("--set \(override)")
        guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
            throw Diagnostic(m, "--set needs key.path=value (got '\(override)')")
        }
        let keys = override[..<eq].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keys.contains(where: { $0.isEmpty || !$0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw Diagnostic(m, "--set key '\(override[..<eq])' must be dot-separated words")
        }
        let text = String(override[override.index(after: eq)...])
        var value: Node
        do { value = try reader.read(text.isEmpty ? "''" : text, file: "--set") } catch let d as Diagnostic {
            throw Diagnostic(m, "--set value '\(text)' is not valid YAML: \(d.message)")
        }
        value = remark(value, m)
        return set(node, keys[...], value, m)
    }

    func remark(_ n: Node, _ m: Mark) -> Node {
        switch n {
        case .scalar(let s, let p, _): return .scalar(s, plain: p, m)
        case .sequence(let l, _): return .sequence(l.map { remark($0, m) }, m)
        case .mapping(let e, _):
            return .mapping(e.map { Node.Entry(key: $0.key, keyMark: m, value: remark($0.value, m)) }, m)
        }
    }

    func set(_ node: Node, _ keys: ArraySlice<String>, _ value: Node, _ m: Mark) -> Node {
        guard let k = keys.first else { return value }
        var entries = node.entries ?? []
        if let i = entries.firstIndex(where: { $0.key == k }) {
            entries[i].value = set(entries[i].value, keys.dropFirst(), value, m)
            entries[i].keyMark = m
        } else {
            entries.append(Node.Entry(key: k, keyMark: m, value: set(.mapping([], m), keys.dropFirst(), value, m)))
        }
        return .mapping(entries, node.entries == nil ? m : node.mark)
    }

    func substituteEnvironment(_ n: Node, _ problems: inout [Diagnostic]) -> Node {
        switch n {
        case .scalar(let s, let plain, let m):
            guard s.contains("${") else { return n }
            var out = ""
            var rest = Substring(s)
            while let r = rest.range(of: "${") {
                out += rest[..<r.lowerBound]
                guard let close = rest[r.upperBound...].firstIndex(of: "}") else {
                    problems.append(Diagnostic(m, "unterminated '${' in '\(quoted(s))'"))
                    return n
                }
                let inner = rest[r.upperBound..<close]
                guard inner.hasPrefix("env:") else {
                    problems.append(
                        Diagnostic(
                            m, "unknown substitution '${\(quoted(String(inner)))}'; only ${env:NAME} is supported"))
                    return n
                }
                let name = String(inner.dropFirst(4))
                if let v = environment[name] {
                    out += v
                } else if allowUnsetEnvironment {
                    unsetVariables.insert(name)
                    out += "${env:\(name)}"
                } else {
                    problems.append(Diagnostic(m, "environment variable '\(name)' is not set (used as ${env:\(name)})"))
                    return n
                }
                rest = rest[rest.index(after: close)...]
            }
            return .scalar(out + rest, plain: plain, m)
        case .sequence(let l, let m): return .sequence(l.map { substituteEnvironment($0, &problems) }, m)
        case .mapping(let e, let m):
            return .mapping(
                e.map {
                    Node.Entry(key: $0.key, keyMark: $0.keyMark, value: substituteEnvironment($0.value, &problems))
                }, m)
        }
    }
}

/// `over` merged onto `base` key by key: mappings merge recursively, anything else is replaced.
func merge(_ base: Node, _ over: Node) -> Node {
    guard case .mapping(let be, let bm) = base, case .mapping(let oe, _) = over, !isSweep(over) else { return over }
    var entries = be
    for e in oe {
        if e.value.isNull {
            // Kept as null so a later overlay or the final pass removes it (see `withoutNulls`).
            entries.removeAll { $0.key == e.key }
            entries.append(e)
        } else if let i = entries.firstIndex(where: { $0.key == e.key }) {
            entries[i] = Node.Entry(key: e.key, keyMark: e.keyMark, value: merge(entries[i].value, e.value))
        } else {
            entries.append(e)
        }
    }
    return .mapping(entries, bm)
}

func isSweep(_ n: Node) -> Bool {
    if case .mapping(let e, _) = n, e.count == 1, e[0].key == "sweep" { return true }
    return false
}

/// A set of names shared by reference (the loader is a value; what it learns while loading is not).
public final class NameSet: @unchecked Sendable {
    public private(set) var names: Set<String> = []
    public init() {}
    func insert(_ n: String) { names.insert(n) }
}
