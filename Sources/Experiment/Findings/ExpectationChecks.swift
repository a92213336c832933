import Foundation

/// The checks of expectations across spec files, loading the files they name on the way.
struct ExpectationChecks {
    let loader: SpecLoader
    /// Files (as displayed) that did not load: their own errors are reported already.
    let failed: Set<String>
    var byFile: [String: LoadedSpec]
    var problems: [Diagnostic] = []
    /// Referenced specs that were not among those given.
    var extra: [LoadedSpec] = []

    init(loader: SpecLoader, specs: [LoadedSpec], failed: Set<String>) {
        self.loader = loader
        self.failed = failed
        byFile = Dictionary(specs.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One expectation; `mark` gives where each of its fields was written.
    mutating func check(_ e: Expectation, at mark: (String) -> Mark) {
        let l = check(e.left, runsField: "runs", whereField: "where", mark: mark)
        let r = e.right.map { check($0, runsField: "than", whereField: "than_where", mark: mark) }
        for (key, field) in [(e.pairBy, "pair_by"), (e.along, "along")] {
            guard let key else { continue }
            for (side, runs) in [(e.left.file, l), (e.right?.file ?? "", r ?? [])] where !runs.isEmpty {
                if runs.first?.value[path: key] == nil {
                    problems.append(Diagnostic(mark(field), "'\(key)' is not a setting of \(side)"))
                }
            }
        }
        checkMetric(e, left: l, right: r ?? [], mark: mark)
        checkShape(e, left: l, mark: mark)
    }

    /// The runs of a side's spec file, loaded if it was not among the specs given.
    mutating func runs(of side: Expectation.Side, field: String, mark: (String) -> Mark) -> [ResolvedRun]? {
        if let s = byFile[side.file] { return s.runs }
        if failed.contains(side.file) { return nil }
        let p =
            side.file.hasPrefix("/") ? side.file : (loader.displayRoot as NSString).appendingPathComponent(side.file)
        guard FileManager.default.fileExists(atPath: p) else {
            problems.append(Diagnostic(mark(field), "no spec file '\(side.file)' for this expectation"))
            return nil
        }
        do {
            let s = try loader.loadFile(p, folder: (p as NSString).deletingLastPathComponent)
            byFile[side.file] = s
            extra.append(s)
            return s.runs
        } catch {
            problems.append(Diagnostic(mark(field), "'\(side.file)' does not load; validate it on its own"))
            return nil
        }
    }

    /// A side's selectors name settings of its runs, with values that occur.
    mutating func check(_ side: Expectation.Side, runsField: String, whereField: String, mark: (String) -> Mark)
        -> [ResolvedRun]
    {
        guard let runs = runs(of: side, field: runsField, mark: mark) else { return [] }
        for (k, v) in side.selectors {
            guard !k.isEmpty, v != "\u{0}" else {
                problems.append(
                    Diagnostic(mark(whereField), "a selector is key=value, e.g. attack.target=0 (got '\(quoted(k))')"))
                continue
            }
            let values = Set(runs.compactMap { $0.value[path: k]?.text })
            if values.isEmpty {
                problems.append(Diagnostic(mark(whereField), "'\(quoted(k))' is not a setting of \(side.file)"))
            } else if !values.contains(v) {
                problems.append(
                    Diagnostic(
                        mark(whereField),
                        "'\(quoted(k))=\(quoted(v))' selects no run of \(side.file) (\(k) is \(values.sorted().joined(separator: ", ")))"
                    ))
            }
        }
        return runs
    }

    func selected(_ side: Expectation.Side, _ runs: [ResolvedRun]) -> [ResolvedRun] {
        runs.filter { r in side.selectors.allSatisfy { r.value[path: $0.key]?.text == $0.value } }
    }

    /// A finding its runs can never produce a number for would say "not run" forever.
    mutating func checkMetric(_ e: Expectation, left l: [ResolvedRun], right r: [ResolvedRun], mark: (String) -> Mark) {
        let sides =
            [(e.left, selected(e.left, l))] + (e.value == nil ? e.right.map { [($0, selected($0, r))] } ?? [] : [])
        guard let need = SpecLoader.metricNeeds(e.metric) else { return }
        for (side, runs) in sides where !runs.isEmpty {
            if let run = runs.first(where: { !need.holds($0.spec) }) {
                let at = run.label.isEmpty ? side.file : "\(side.file) [\(run.label)]"
                problems.append(
                    Diagnostic(mark("metric"), "metric '\(e.metric.rawValue)' needs \(need.what); \(at) has none"))
            }
        }
    }

    /// An ordering needs a setting that varies; a comparison needs exactly one right side.
    mutating func checkShape(_ e: Expectation, left l: [ResolvedRun], mark: (String) -> Mark) {
        if let along = e.along, !l.isEmpty, l.first?.value[path: along] != nil {
            let values = Set(selected(e.left, l).compactMap { $0.value[path: along]?.text })
            if values.count < 2 {
                problems.append(
                    Diagnostic(
                        mark("along"),
                        "'\(along)' takes \(values.count) value among the runs compared, so nothing can increase or decrease along it; sweep it"
                    ))
            }
        }
        let ordered = e.comparison.isOrdering
        if ordered && e.along == nil {
            problems.append(Diagnostic(mark("is"), "'is: \(e.comparison.rawValue)' needs 'along: <setting>'"))
        }
        if !ordered && e.value == nil && e.right == nil {
            problems.append(
                Diagnostic(
                    mark("is"), "'is: \(e.comparison.rawValue)' needs a right side: 'than', 'than_where' or 'value'"))
        }
        if e.value != nil && e.right != nil {
            problems.append(Diagnostic(mark("value"), "give 'value' or 'than'/'than_where', not both"))
        }
    }
}
