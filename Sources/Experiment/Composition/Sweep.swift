import Foundation

extension SpecLoader {
    struct SweepAxis {
        var path: [PathStep]
        var key: String
        var mark: Mark
        var options: [Node]
    }
    enum PathStep {
        case key(String)
        case index(Int)
    }

    /// A path written in a spec file, relative to that file (to the working directory for `--set`).
    func resolve(_ path: String, writtenIn mark: Mark) -> String {
        if path.hasPrefix("/") || mark.line == 0 { return path }
        let spec = mark.file.hasPrefix("/") ? mark.file : displayRoot + "/" + mark.file
        return ((spec as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
    }

    /// Expands `{sweep: [...]}` values into the grid of runs and validates each.
    func expand(_ node: Node, file: String) throws -> LoadedSpec {
        var axes: [SweepAxis] = []
        var problems: [Diagnostic] = []
        collectSweeps(node, path: [], key: "", into: &axes, problems: &problems)
        if !problems.isEmpty { throw Diagnostics(problems) }
        let total = try gridSize(axes)
        var runs: [ResolvedRun] = []
        runs.reserveCapacity(total)
        var index = [Int](repeating: 0, count: axes.count)
        for _ in 0..<total {
            var n = node
            for (a, axis) in axes.enumerated() { n = replace(n, axis.path[...], axis.options[index[a]]) }
            switch resolveRun(n, file: file, axes: axes) {
            case .success(let run): runs.append(run)
            case .failure(let diags): problems += diags.items
            }
            if problems.count > Diagnostics.limit { break }
            // Next grid point, last axis fastest.
            var a = axes.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < axes[a].options.count { break }
                index[a] = 0
                a -= 1
            }
        }
        if !problems.isEmpty { throw Diagnostics(problems) }
        runs = try runs.flatMap { try repetitions(of: $0, axes: axes) }
        let labels = SpecLoader.labels(runs.map(\.point))
        for i in runs.indices { runs[i].label = labels[i] }
        return LoadedSpec(file: file, runs: runs)
    }

    /// A run once per seed of `seeds` (itself without): each repetition's `seed` and point say its seed; the
    /// shared stages keep the first seed unless `reseed_upstream`.
    func repetitions(of run: ResolvedRun, axes: [SweepAxis]) throws -> [ResolvedRun] {
        guard let seeds = run.spec.seeds else { return [run] }
        let mark = run.mark("seeds")
        if let swept = axes.first(where: { $0.key == "seeds" || $0.key == "seed" }) {
            throw Diagnostic(
                swept.mark,
                swept.key == "seeds"
                    ? "'seeds' cannot be swept: it repeats every run of the spec"
                    : "sweep 'seed' or give 'seeds', not both: 'seeds' already repeats each run over seeds")
        }
        let list = seeds.seeds(base: run.spec.seed)
        if Set(list).count != list.count {
            throw Diagnostic(mark, "'seeds' lists a seed twice: \(list.map(String.init).joined(separator: ", "))")
        }
        guard case .object(var fields) = run.value, let first = list.first else { return [run] }
        return list.map { s in
            var r = run
            r.spec.seed = s
            r.spec.sharedSeedOverride = run.spec.reseedUpstream ? s : first
            fields["seed"] = .int(s)
            r.value = .object(fields)
            r.point.append((key: "seed", value: .int(s)))
            return r
        }
    }

    /// Runs in the grid, multiplied with overflow checks: 20 sweeps of 10 values are 10²⁰ runs, beyond Int.
    func gridSize(_ axes: [SweepAxis]) throws -> Int {
        var total = 1
        for axis in axes {
            let (product, overflow) = total.multipliedReportingOverflow(by: axis.options.count)
            guard !overflow, product <= maxRuns else {
                let sizes =
                    axes.prefix(6).map { "\($0.options.count)" }.joined(separator: " × ")
                    + (axes.count > 6 ? " × …" : "")
                throw Diagnostic(
                    axes[0].mark,
                    "the \(axes.count) sweeps of this spec make more than \(maxRuns) runs (\(sizes)), the limit")
            }
            total = product
        }
        return total
    }

    /// One grid point: validated against the schema and the checks across keys, then decoded.
    func resolveRun(_ n: Node, file: String, axes: [SweepAxis]) -> Result<ResolvedRun, Diagnostics> {
        var v = Validator()
        let value = v.validate(n, as: SpecSchema.spec)
        var diags = v.diagnostics
        let triggerFile = value[path: "attack.trigger.file"]?.string.map {
            resolve($0, writtenIn: v.marks["attack.trigger.file"] ?? Mark(file: file, line: 1, column: 1))
        }
        // Checks across keys run beside the schema's errors, so one round of fixes sees them all; they
        // need the dataset and the attack, which the others refer to (a default in place of a section
        // that failed would give false errors).
        // Decoded once: the checks read the typed spec (a partial value that does not decode skips the
        // checks that need it), and the run keeps it.
        var decoded: Result<ExperimentSpec, Error>?
        if diags.isEmpty || v.partialIsComplete && v.failedSections.isDisjoint(with: ["dataset", "attack"]) {
            decoded = Result { try ExperimentSpec(value) }
            diags += semanticProblems(
                value, spec: try? decoded?.get(), marks: v.marks, file: file, triggerFile: triggerFile)
        }
        guard diags.isEmpty, let decoded else { return .failure(Diagnostics(diags)) }
        switch decoded {
        case .success(let spec):
            let point = axes.map { ($0.key, value[path: $0.key] ?? .string("?")) }
            return .success(
                ResolvedRun(
                    file: file, point: point, value: value, spec: spec, marks: v.marks, triggerFile: triggerFile))
        case .failure(let error):
            return .failure(
                Diagnostics([Diagnostic(Mark(file: file, line: 1, column: 1), "this spec does not decode: \(error)")]))
        }
    }

    /// Run labels: `key=value` for a swept scalar; a swept object (a whole perturbation, say) is named by
    /// what sets it apart from the sweep's other values: its `kind` where kinds differ, then the leaves
    /// that differ from the values of the same kind — not by its whole resolved JSON with defaults filled.
    static func labels(_ points: [[(key: String, value: Value)]]) -> [String] {
        guard let first = points.first else { return [] }
        var parts = [[String]](repeating: [], count: points.count)
        for a in first.indices {
            let key = first[a].key
            var options: [Value] = []
            for p in points where !options.contains(p[a].value) { options.append(p[a].value) }
            for (i, p) in points.enumerated() {
                let v = p[a].value
                guard v.object != nil else {
                    parts[i].append("\(key)=\(v.labelText)")
                    continue
                }
                let kinds = Set(options.map { $0["kind"]?.text ?? "" })
                let kind = v["kind"]?.text
                var shown: [String] = []
                var peers = options.filter { $0 != v }
                if let kind, kinds.count > 1 {
                    shown.append("\(key).kind=\(kind)")
                    peers = peers.filter { $0["kind"]?.text == kind }
                }
                if !peers.isEmpty {
                    let mine = leaves(v)
                    let theirs = peers.map { leaves($0) }
                    for (path, text) in mine.sorted(by: { $0.key < $1.key })
                    where theirs.contains(where: { $0[path] != text }) {
                        shown.append("\(key).\(path)=\(text)")
                    }
                }
                parts[i] += shown.isEmpty ? ["\(key)=\(v.text)"] : shown
            }
        }
        return parts.map { $0.joined(separator: " ") }
    }

    /// An object's scalar and list leaves by dotted path.
    static func leaves(_ v: Value, prefix: String = "") -> [String: String] {
        guard let o = v.object else { return [prefix: v.text] }
        var out: [String: String] = [:]
        for (k, x) in o { out.merge(leaves(x, prefix: prefix.isEmpty ? k : prefix + "." + k)) { $1 } }
        return out
    }

    func collectSweeps(
        _ n: Node, path: [PathStep], key: String, into axes: inout [SweepAxis], problems: inout [Diagnostic]
    ) {
        switch n {
        case .scalar: return
        case .sequence(let items, _):
            for (i, item) in items.enumerated() {
                collectSweeps(item, path: path + [.index(i)], key: "\(key)[\(i)]", into: &axes, problems: &problems)
            }
        case .mapping(let entries, let m):
            if let s = entries.first(where: { $0.key == "sweep" }) {
                guard entries.count == 1 else {
                    problems.append(
                        Diagnostic(
                            m,
                            "a sweep is a mapping with the single key 'sweep' (found also '\(quoted(entries.first { $0.key != "sweep" }?.key ?? ""))')"
                        ))
                    return
                }
                guard case .sequence(let options, let sm) = s.value else {
                    problems.append(
                        Diagnostic(s.value.mark, "'sweep' takes a list of values (got \(s.value.kindDescription))"))
                    return
                }
                guard !options.isEmpty else {
                    problems.append(Diagnostic(sm, "'sweep' needs at least one value"))
                    return
                }
                var inner: [SweepAxis] = []
                for o in options { collectSweeps(o, path: [], key: "", into: &inner, problems: &problems) }
                if let first = inner.first {
                    problems.append(Diagnostic(first.mark, "sweeps cannot be nested inside a sweep"))
                    return
                }
                axes.append(SweepAxis(path: path, key: key, mark: m, options: options))
                return
            }
            for e in entries {
                collectSweeps(
                    e.value, path: path + [.key(e.key)], key: key.isEmpty ? e.key : key + "." + e.key, into: &axes,
                    problems: &problems)
            }
        }
    }

    func replace(_ n: Node, _ path: ArraySlice<PathStep>, _ value: Node) -> Node {
        guard let step = path.first else { return value }
        switch (n, step) {
        case (.mapping(let entries, let m), .key(let k)):
            return .mapping(
                entries.map {
                    $0.key == k
                        ? Node.Entry(key: k, keyMark: $0.keyMark, value: replace($0.value, path.dropFirst(), value))
                        : $0
                }, m)
        case (.sequence(let items, let m), .index(let i)):
            var items = items
            items[i] = replace(items[i], path.dropFirst(), value)
            return .sequence(items, m)
        default: return n
        }
    }
}
