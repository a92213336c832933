import Foundation
import Reports

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
        /// `inconclusive`: over several seeds, the 95 % interval of the comparison straddles its threshold.
        case holds(String)
        case fails(String)
        case inconclusive(String)
        case notRun(String)
        case unreliable(String)
        public static let labels = ["holds", "fails", "inconclusive", "unreliable", "not run"]
        public var label: String {
            switch self {
            case .holds: return "holds"
            case .fails: return "fails"
            case .inconclusive: return "inconclusive"
            case .notRun: return "not run"
            case .unreliable: return "unreliable"
            }
        }
        /// Whether the verdict is a negative answer: the finding fails, or a run it needs cannot be trusted.
        public var isNegative: Bool {
            switch self {
            case .fails, .unreliable: return true
            case .holds, .inconclusive, .notRun: return false
            }
        }
        public var detail: String {
            switch self {
            case .holds(let d), .fails(let d), .inconclusive(let d), .notRun(let d), .unreliable(let d): return d
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

    /// A run's metric value; nil while the run has not finished.
    typealias MetricValue = (PlannedRun, ExpectationSpec.Metric) -> Double?

    func decide(_ runs: [PlannedRun], metric value: MetricValue) -> Verdict {
        let l = runs.filter(left.matches)
        if comparison.isOrdering, let along { return decideOrdering(l, along: along, metric: value) }
        let r = right.map { side in runs.filter(side.matches) } ?? []
        let pairs = self.pairs(l, r)
        // Counted over every run the comparison needs, so a partial folder says how far it has come.
        let needed = pairs.flatMap { $0.1 + (self.value == nil ? $0.2 : []) }
        if needed.contains(where: { value($0, metric) == nil }) { return missing(needed, metric: value) }
        return decideComparison(pairs, metric: value)
    }

    /// A value as the report prints it; a negative one (an interval's end over seeds) with the minus sign the
    /// differences beside it use.
    func format(_ v: Double) -> String {
        let text = metric.isRate ? String(format: "%.1f %%", 100 * v) : String(format: "%.3g", v)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }

    func missing(_ rs: [PlannedRun], metric value: MetricValue) -> Verdict {
        .notRun("\(rs.filter { value($0, metric) == nil }.count) of \(rs.count) runs have no result yet")
    }

    /// `increasing`/`decreasing`: the left runs in the order of `along`, each value against the one before.
    func decideOrdering(_ l: [PlannedRun], along: String, metric value: MetricValue) -> Verdict {
        let sorted = l.sorted { a, b in
            let (x, y) = (a.value[path: along], b.value[path: along])
            if let p = x?.double, let q = y?.double { return p < q }
            return (x?.text ?? "") < (y?.text ?? "")
        }
        guard sorted.allSatisfy({ value($0, metric) != nil }) else { return missing(sorted, metric: value) }
        // Settings such as 1/3 print as 0.3333, not with every digit.
        func setting(_ v: Value?) -> String {
            guard let v, case .number(let d) = v, d != d.rounded() else { return v?.text ?? "?" }
            return String(format: "%.4g", d)
        }
        // One step per value of `along`, each the mean over its runs per seed.
        var steps: [(String, [Int: Double])] = []
        for r in sorted {
            let s = setting(r.value[path: along])
            if steps.last?.0 == s { continue }
            let same = sorted.filter { setting($0.value[path: along]) == s }
            steps.append((s, valuesBySeed(same) { value($0, metric) } ?? [:]))
        }
        if steps.allSatisfy({ $0.1.count <= 1 }) {
            let v = steps.compactMap { $0.1.values.first }
            let ok = zip(v, v.dropFirst()).allSatisfy { comparison == .increasing ? $1 > $0 : $1 < $0 }
            let text = zip(steps, v).map { "\($0.0) → \(format($1))" }.joined(separator: ", ")
            return ok ? .holds(text) : .fails(text)
        }
        // Over seeds: each step against the one before (next − previous > 0 when increasing), paired by seed
        // where both have the same seeds.
        let step: ExpectationSpec.Comparison = comparison == .increasing ? .greater : .less
        var outcomes: [SeededComparison.Outcome] = []
        for (prev, next) in zip(steps, steps.dropFirst()) {
            outcomes.append(SeededComparison.compare(next.1, prev.1, ratio: metric.isRatio).outcome(step))
        }
        let text = steps.map { "\($0.0) → \(summary($0.1))" }.joined(separator: ", ")
        return combine(outcomes, text)
    }

    /// (label, left runs, right runs): one per value of `pair_by`, or one pair of everything.
    func pairs(_ l: [PlannedRun], _ r: [PlannedRun]) -> [(String, [PlannedRun], [PlannedRun])] {
        guard let pairBy else { return [("", l, r)] }
        var seen: [String] = []
        for run in l { if let t = run.value[path: pairBy]?.text, !seen.contains(t) { seen.append(t) } }
        return seen.map { t in
            (
                "\(pairBy)=\(t)", l.filter { $0.value[path: pairBy]?.text == t },
                r.filter { $0.value[path: pairBy]?.text == t }
            )
        }
    }

    /// One seed: each pair's left mean against its right mean (or the constant).
    func decideOneSeed(_ pairs: [(String, [PlannedRun], [PlannedRun])], metric value: MetricValue) -> Verdict {
        func average(_ rs: [PlannedRun]) -> Double? {
            let vs = rs.compactMap { value($0, metric) }
            return vs.isEmpty ? nil : vs.reduce(0, +) / Double(vs.count)
        }
        var lefts: [Double] = []
        var rights: [Double] = []
        var parts: [String] = []
        for (label, lr, rr) in pairs {
            let name = label.isEmpty ? "the comparison" : label
            guard let a = average(lr) else { return .notRun("no left-hand run for \(name)") }
            guard let b = self.value ?? average(rr) else { return .notRun("no right-hand run for \(name)") }
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
