import Foundation
import Reports

/// Verdicts over seeds: how sides are summarised, compared and described.
extension Expectation {
    /// The verdict seed 0's runs alone give — what a one-seed report said — the other seeds' runs left out.
    public func evaluateSeedZero(
        _ runs: [PlannedRun], flags: (PlannedRun) -> [String] = { _ in [] },
        metric value: (PlannedRun, ExpectationSpec.Metric) -> Double?
    ) -> Verdict {
        evaluate(runs.filter { $0.seed == 0 }, flags: flags, metric: value)
    }

    /// Each pair's left mean against its right mean (or the constant), every pair or their means; over
    /// several seeds, on the 95 % interval of the difference.
    func decideComparison(_ pairs: [(String, [PlannedRun], [PlannedRun])], metric value: MetricValue) -> Verdict {
        let bySeed = pairs.map { p in
            (valuesBySeed(p.1) { value($0, metric) } ?? [:], valuesBySeed(p.2) { value($0, metric) } ?? [:])
        }
        let seeded = bySeed.contains { $0.0.count > 1 || (self.value == nil && $0.1.count > 1) }
        guard seeded else { return decideOneSeed(pairs, metric: value) }
        var outcomes: [SeededComparison.Outcome] = []
        var parts: [String] = []
        // Per pair: the left side, the right as the comparison reads it, and the right as measured (for the text).
        var sides: [([Int: Double], [Int: Double], [Int: Double])] = []
        for ((label, _, _), (l, r)) in zip(pairs, bySeed) {
            let name = label.isEmpty ? "the comparison" : label
            guard !l.isEmpty else { return .notRun("no left-hand run for \(name)") }
            guard self.value != nil || !r.isEmpty else { return .notRun("no right-hand run for \(name)") }
            // The right side as the comparison reads it: times · b + plus, per seed (or the constant).
            let rhs = self.value.map { c in l.mapValues { _ in c * times + plus } } ?? r.mapValues { $0 * times + plus }
            sides.append((l, rhs, r))
            if !mean {
                let c = compare(l, rhs)
                outcomes.append(c.outcome(comparison))
                parts.append((label.isEmpty ? "" : label + ": ") + describe(l, r, c))
            }
        }
        if mean {
            // Each side's mean over the pairs, per seed, over the seeds every pair has on that side. The two
            // sides may have different seeds (a seeded spec against an unseeded one): `compare` then does not
            // pair them on the one seed they share.
            func average(_ side: (([Int: Double], [Int: Double], [Int: Double])) -> [Int: Double]) -> [Int: Double] {
                let common = sides.dropFirst().reduce(Set(side(sides[0]).keys)) { $0.intersection(side($1).keys) }
                return Dictionary(
                    uniqueKeysWithValues: common.map { s in
                        (s, sides.map { side($0)[s] ?? 0 }.reduce(0, +) / Double(sides.count))
                    })
            }
            let (l, r) = (average { $0.0 }, average { $0.1 })
            let c = compare(l, r)
            outcomes.append(c.outcome(comparison))
            parts.append("mean over the pairs: " + describe(l, average { $0.2 }, c))
        }
        return combine(outcomes, parts.joined(separator: "; "))
    }

    /// Every step or pair holds → holds; any fails → fails; otherwise inconclusive.
    func combine(_ outcomes: [SeededComparison.Outcome], _ text: String) -> Verdict {
        if outcomes.allSatisfy({ $0 == .holds }) { return .holds(text) }
        if outcomes.contains(where: { $0 == .fails }) { return .fails(text) }
        return .inconclusive(text)
    }

    /// A side over seeds: mean and 95 % interval, and the seed count.
    func summary(_ bySeed: [Int: Double]) -> String {
        let v = bySeed.keys.sorted().compactMap { bySeed[$0] }
        guard v.count > 1 else { return v.first.map(format) ?? "?" }
        let s = metric.isRatio ? SeedSummary(bootstrap: v) : SeedSummary(v)
        return "\(format(s.mean)) [\(format(s.lower)), \(format(s.upper))] over \(v.count) seeds"
    }

    /// Against the spec's constant, else in the design the two sides' seeds allow (`SeededComparison.compare`).
    func compare(_ l: [Int: Double], _ r: [Int: Double]) -> SeededComparison {
        if let c = self.value { return SeededComparison.constant(l, c * times + plus, ratio: metric.isRatio) }
        return SeededComparison.compare(l, r, ratio: metric.isRatio)
    }

    /// "left vs right: difference d [lo, hi] (95 %, n seeds, design)", and the seeds that would decide it.
    func describe(_ l: [Int: Double], _ r: [Int: Double]?, _ c: SeededComparison) -> String {
        let rhs: String
        if let v = self.value {
            rhs = format(v * times + plus)
        } else {
            rhs =
                (times == 1 ? "" : "\(Value.number(times).text) × ") + summary(r ?? [:])
                + (plus == 0 ? "" : (plus > 0 ? " + " : " − ") + format(abs(plus)))
        }
        func signed(_ d: Double) -> String { (d >= 0 ? "+" : "−") + format(abs(d)) }
        var text =
            "\(summary(l)) vs \(rhs): difference \(signed(c.mean)) [\(signed(c.lower)), \(signed(c.upper))] (95 %, \(c.design))"
        if c.outcome(comparison) == .inconclusive, let n = c.seedsToDecide {
            text += "; at this spread about \(n) seeds would decide it"
        }
        return text
    }
}
