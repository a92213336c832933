import Foundation

/// A finding stated in a spec's `expect:` block, checked against the runs' metrics after they ran.
public struct Expectation: Sendable {
    /// Runs of one spec file narrowed by `key=value` selectors on any setting (e.g. attack.target=0).
    public struct Side: Sendable {
        public var file: String
        public var selectors: [(key: String, value: String)]
        func matches(_ r: PlannedRun) -> Bool {
            r.file == file && selectors.allSatisfy { r.value[path: $0.key]?.text == $0.value }
        }
    }

    public var finding: String
    public var metric: ExpectationSpec.Metric
    public var comparison: ExpectationSpec.Comparison
    public var left: Side
    public var right: Side?
    public var value: Double?
    public var times: Double, plus: Double
    public var pairBy: String?, along: String?
    public var mean: Bool
    /// The spec that states it, and where.
    public var spec: String
    public var mark: Mark

    public enum Verdict: Sendable, Equatable {
        /// `unreliable`: a run the verdict needs is flagged (a collapsed or untrained model), so its
        /// numbers decide nothing either way.
        case holds(String)
        case fails(String)
        case notRun(String)
        case unreliable(String)
        public static let labels = ["holds", "fails", "unreliable", "not run"]
        public var label: String {
            switch self {
            case .holds: return "holds"
            case .fails: return "fails"
            case .notRun: return "not run"
            case .unreliable: return "unreliable"
            }
        }
        public var detail: String {
            switch self {
            case .holds(let d), .fails(let d), .notRun(let d), .unreliable(let d): return d
            }
        }
    }

    /// Checks the expectation; `metric` gives a run's value of a metric, nil when the run has not finished;
    /// `flags` says why a run's numbers cannot be trusted (empty when they can).
    public func evaluate(
        _ runs: [PlannedRun], flags: (PlannedRun) -> [String] = { _ in [] },
        metric value: (PlannedRun, ExpectationSpec.Metric) -> Double?
    ) -> Verdict {
        let verdict = decide(runs, metric: value)
        guard case .notRun = verdict else {
            // No verdict rests on a run whose model collapsed or learnt nothing.
            for r in runs where involves(r) {
                let f = flags(r)
                if !f.isEmpty {
                    return .unreliable(
                        "run \(r.label.isEmpty ? r.file : r.label) is flagged: \(f.joined(separator: "; "))")
                }
            }
            return verdict
        }
        return verdict
    }

    /// Whether the verdict reads run `r`.
    func involves(_ r: PlannedRun) -> Bool {
        left.matches(r) || (value == nil && right?.matches(r) == true)
    }

    func decide(_ runs: [PlannedRun], metric value: (PlannedRun, ExpectationSpec.Metric) -> Double?) -> Verdict {
        let l = runs.filter(left.matches)
        func format(_ v: Double) -> String {
            metric.isRate ? String(format: "%.1f %%", 100 * v) : String(format: "%.3g", v)
        }
        func point(_ r: PlannedRun, _ key: String) -> Value? { r.value[path: key] }
        // Called once every needed run has a result (checked below); nil only for no runs at all.
        func average(_ rs: [PlannedRun]) -> Double? {
            let vs = rs.compactMap { value($0, metric) }
            return vs.isEmpty ? nil : vs.reduce(0, +) / Double(vs.count)
        }
        func missing(_ rs: [PlannedRun]) -> Verdict {
            .notRun("\(rs.filter { value($0, metric) == nil }.count) of \(rs.count) runs have no result yet")
        }
        if comparison.isOrdering, let along {
            let sorted = l.sorted { a, b in
                let (x, y) = (point(a, along), point(b, along))
                if let p = x?.double, let q = y?.double { return p < q }
                return (x?.text ?? "") < (y?.text ?? "")
            }
            let vs = sorted.map { value($0, metric) }
            guard !vs.contains(where: { $0 == nil }) else { return missing(sorted) }
            let v = vs.map { $0! }
            let ok = zip(v, v.dropFirst()).allSatisfy { comparison == .increasing ? $1 > $0 : $1 < $0 }
            // Settings such as 1/3 print as 0.3333, not with every digit.
            func setting(_ v: Value?) -> String {
                guard let v, case .number(let d) = v, d != d.rounded() else { return v?.text ?? "?" }
                return String(format: "%.4g", d)
            }
            let text = zip(sorted, v).map { "\(setting(point($0, along))) → \(format($1))" }.joined(separator: ", ")
            return ok ? .holds(text) : .fails(text)
        }
        let r = right.map { side in runs.filter(side.matches) } ?? []
        // Pairs of (label, left runs, right runs): one per value of pair_by, or one pair of everything.
        var pairs: [(String, [PlannedRun], [PlannedRun])] = []
        if let pairBy {
            var seen: [String] = []
            for run in l { if let t = point(run, pairBy)?.text, !seen.contains(t) { seen.append(t) } }
            for t in seen {
                pairs.append(
                    (
                        "\(pairBy)=\(t)", l.filter { point($0, pairBy)?.text == t },
                        r.filter { point($0, pairBy)?.text == t }
                    ))
            }
        } else {
            pairs = [("", l, r)]
        }
        // Counted over every run the comparison needs, so a partial folder says how far it has come.
        let needed = pairs.flatMap { $0.1 + (self.value == nil ? $0.2 : []) }
        if needed.contains(where: { value($0, metric) == nil }) { return missing(needed) }
        var lefts: [Double] = []
        var rights: [Double] = []
        var parts: [String] = []
        for (label, lr, rr) in pairs {
            guard let a = average(lr) else {
                return .notRun("no left-hand run for \(label.isEmpty ? "the comparison" : label)")
            }
            var b: Double
            if let v = self.value {
                b = v
            } else {
                guard let m = average(rr) else {
                    return .notRun("no right-hand run for \(label.isEmpty ? "the comparison" : label)")
                }
                b = m
            }
            lefts.append(a)
            rights.append(b)
            let rhs =
                (times == 1 ? "" : "\(Value.number(times).text) × ") + format(b)
                + (plus == 0 ? "" : (plus > 0 ? " + " : " − ") + format(abs(plus)))
            parts.append((label.isEmpty ? "" : label + ": ") + "\(format(a)) vs \(rhs)")
        }
        func holds(_ a: Double, _ b: Double) -> Bool { comparison.holds(a, b * times + plus) }
        let ok: Bool
        if mean {
            let a = lefts.reduce(0, +) / Double(lefts.count)
            let b = rights.reduce(0, +) / Double(rights.count)
            parts.append("mean \(format(a)) vs \(format(b * times + plus))")
            ok = holds(a, b)
        } else {
            ok = zip(lefts, rights).allSatisfy(holds)
        }
        return ok ? .holds(parts.joined(separator: "; ")) : .fails(parts.joined(separator: "; "))
    }
}
