import Foundation

extension SpecLoader {
    /// The typed expectations of a loaded spec (its first run's `expect:`; sweeps do not reach into it).
    func expectations(of spec: LoadedSpec, path: String) -> [Expectation] {
        guard let run = spec.runs.first, let list = run.spec.expect else { return [] }
        let dir = (path as NSString).deletingLastPathComponent
        func file(_ v: String?) -> String? {
            v.map { display($0.hasPrefix("/") ? $0 : (dir as NSString).appendingPathComponent($0)) }
        }
        func selectors(_ v: [String]?) -> [(key: String, value: String)] {
            (v ?? []).map { s in
                // No '=': reported by checkExpectations.
                guard let eq = s.firstIndex(of: "=") else { return (s, "\u{0}") }
                return (
                    s[..<eq].trimmingCharacters(in: .whitespaces),
                    s[s.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                )
            }
        }
        return list.enumerated().map { i, e in
            let leftFile = file(e.runs) ?? spec.file
            let hasRight = e.than != nil || e.thanWhere != nil
            return Expectation(
                finding: e.finding, metric: e.metric, comparison: e.is,
                left: .init(file: leftFile, selectors: selectors(e.where)),
                right: hasRight ? .init(file: file(e.than) ?? leftFile, selectors: selectors(e.thanWhere)) : nil,
                value: e.value, times: e.times, plus: e.plus, pairBy: e.pairBy, along: e.along,
                mean: e.aggregate == "mean",
                spec: spec.file, mark: run.mark("expect[\(i)]"))
        }
    }

    /// Cross-file checks: every referenced spec exists, selectors name settings with values that occur.
    /// Returns the problems, and the referenced specs that were not among `specs` (their runs are needed too).
    /// `failed`: files (as displayed) that did not load; an expectation naming one is not checked again.
    func checkExpectations(_ specs: [LoadedSpec], failed: [String] = []) -> (
        problems: [Diagnostic], extra: [LoadedSpec]
    ) {
        var problems: [Diagnostic] = []
        var extra: [LoadedSpec] = []
        let failed = Set(failed)
        var byFile = Dictionary(specs.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
        for spec in specs {
            guard let run = spec.runs.first else { continue }
            for (i, e) in spec.expectations.enumerated() {
                func mark(_ f: String) -> Mark { run.mark("expect[\(i)].\(f)") }
                func runsOf(_ side: Expectation.Side, field: String) -> [ResolvedRun]? {
                    if let s = byFile[side.file] { return s.runs }
                    if failed.contains(side.file) { return nil }  // its own errors are reported already
                    let p =
                        side.file.hasPrefix("/")
                        ? side.file : (displayRoot as NSString).appendingPathComponent(side.file)
                    guard FileManager.default.fileExists(atPath: p) else {
                        problems.append(Diagnostic(mark(field), "no spec file '\(side.file)' for this expectation"))
                        return nil
                    }
                    do {
                        let s = try loadFile(p, folder: (p as NSString).deletingLastPathComponent)
                        byFile[side.file] = s
                        extra.append(s)
                        return s.runs
                    } catch {
                        problems.append(Diagnostic(mark(field), "'\(side.file)' does not load; validate it on its own"))
                        return nil
                    }
                }
                func check(_ side: Expectation.Side, runsField: String, whereField: String) -> [ResolvedRun] {
                    guard let runs = runsOf(side, field: runsField) else { return [] }
                    for (k, v) in side.selectors {
                        guard !k.isEmpty, v != "\u{0}" else {
                            problems.append(
                                Diagnostic(
                                    mark(whereField),
                                    "a selector is key=value, e.g. attack.target=0 (got '\(quoted(k))')"))
                            continue
                        }
                        let values = Set(runs.compactMap { $0.value[path: k]?.text })
                        if values.isEmpty {
                            problems.append(
                                Diagnostic(mark(whereField), "'\(quoted(k))' is not a setting of \(side.file)"))
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
                let l = check(e.left, runsField: "runs", whereField: "where")
                let r = e.right.map { check($0, runsField: "than", whereField: "than_where") }
                for (key, field) in [(e.pairBy, "pair_by"), (e.along, "along")] {
                    guard let key else { continue }
                    for (side, runs) in [(e.left.file, l), (e.right?.file ?? "", r ?? [])] where !runs.isEmpty {
                        if runs.first?.value[path: key] == nil {
                            problems.append(Diagnostic(mark(field), "'\(key)' is not a setting of \(side)"))
                        }
                    }
                }
                // A finding its runs can never produce a number for would say "not run" forever.
                func selected(_ side: Expectation.Side, _ runs: [ResolvedRun]) -> [ResolvedRun] {
                    runs.filter { r in side.selectors.allSatisfy { r.value[path: $0.key]?.text == $0.value } }
                }
                let sides =
                    [(e.left, selected(e.left, l))]
                    + (e.value == nil ? e.right.map { [($0, selected($0, r ?? []))] } ?? [] : [])
                for (side, runs) in sides where !runs.isEmpty {
                    if let need = SpecLoader.metricNeeds(e.metric),
                        let run = runs.first(where: { !need.holds($0.spec) })
                    {
                        let at = run.label.isEmpty ? side.file : "\(side.file) [\(run.label)]"
                        problems.append(
                            Diagnostic(
                                mark("metric"), "metric '\(e.metric.rawValue)' needs \(need.what); \(at) has none"))
                    }
                }
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
                            mark("is"),
                            "'is: \(e.comparison.rawValue)' needs a right side: 'than', 'than_where' or 'value'"))
                }
                if e.value != nil && e.right != nil {
                    problems.append(Diagnostic(mark("value"), "give 'value' or 'than'/'than_where', not both"))
                }
            }
        }
        return (problems, extra)
    }

    /// What a run must do for `metric` to have a value (nil: every finished run has one).
    static func metricNeeds(_ metric: ExpectationSpec.Metric) -> (what: String, holds: (ExperimentSpec) -> Bool)? {
        switch metric {
        case .epsilon:
            return (
                "training with DP-SGD (defence.kind: dp_sgd)",
                { if case .dpSGD = $0.defence { return true } else { return false } }
            )
        case .triggerReliance, .poisonLossWithoutTrigger:
            return (
                "loss tracking (loss_tracking.enabled: true) of poisoned images",
                { $0.lossTracking.enabled && $0.attack.poison != .none }
            )
        case .detectionEnrichment:
            return (
                "detection by filtering (detection.enabled: true) of poisoned images",
                { $0.detection.enabled && $0.attack.poison != .none }
            )
        case .attackSuccessRate: return ("an attack (attack.poison)", { $0.attack.poison != .none })
        case .naturalAccuracy: return nil
        }
    }
}
