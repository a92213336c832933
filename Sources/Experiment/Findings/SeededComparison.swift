import Foundation
import Reports

/// A comparison `a ⋈ b` over seeds, decided on the interval of the difference a − b: `holds` when the whole
/// 95 % interval satisfies it, `fails` when none of it does, `inconclusive` otherwise. One seed gives an
/// interval of one point, so the verdict is the plain comparison's.
struct SeededComparison {
    /// The difference's mean and interval, and the seeds behind it.
    var mean: Double, lower: Double, upper: Double
    var seeds: Int
    /// Seeds (per side) the observed spread suggests would decide it; nil when decided or unknown.
    var seedsToDecide: Int?
    /// How the interval was made: "paired", "against a constant", "unpaired (Welch)".
    var design: String

    enum Outcome { case holds, fails, inconclusive }

    func outcome(_ c: ExpectationSpec.Comparison) -> Outcome {
        let (lo, hi) = (c.holds(lower, 0), c.holds(upper, 0))
        if lo && hi { return .holds }
        if !lo && !hi { return .fails }
        return .inconclusive
    }

    /// `left` per seed against the constant `b` (d = a − b per seed).
    static func constant(_ left: [Int: Double], _ b: Double, ratio: Bool) -> SeededComparison {
        paired(left.values.map { $0 - b }, design: "against a constant", ratio: ratio)
    }

    /// `left` against `right` by seed, in the strongest design their seeds allow: paired when both sides have the
    /// same seeds; against a constant when one side has a single seed (a one-seed side's spread is unknown, so
    /// pairing on the seed they share would make an interval of one point while the means use every seed);
    /// Welch's unpaired interval otherwise. `right` is already scaled (times · b + plus).
    static func compare(_ left: [Int: Double], _ right: [Int: Double], ratio: Bool) -> SeededComparison {
        if Set(left.keys) == Set(right.keys) { return paired(left, right, ratio: ratio) }
        let design = "against the one-seed side as a constant, whose own spread is unknown"
        if right.count == 1, left.count > 1, let b = right.values.first {
            return paired(left.values.map { $0 - b }, design: design, ratio: ratio)
        }
        if left.count == 1, right.count > 1, let a = left.values.first {
            return paired(right.values.map { a - $0 }, design: design, ratio: ratio)
        }
        return unpaired(Array(left.values), Array(right.values))
    }

    /// Paired by seed: `right` is already scaled (times · b + plus).
    static func paired(_ left: [Int: Double], _ right: [Int: Double], ratio: Bool) -> SeededComparison {
        let seeds = left.keys.sorted().filter { right[$0] != nil }
        return paired(
            seeds.compactMap { s in left[s].flatMap { a in right[s].map { a - $0 } } }, design: "paired by seed",
            ratio: ratio)
    }

    static func paired(_ d: [Double], design: String, ratio: Bool) -> SeededComparison {
        let s = ratio && d.count > 1 ? SeedSummary(bootstrap: d) : SeedSummary(d)
        return SeededComparison(
            mean: s.mean, lower: s.lower, upper: s.upper, seeds: d.count, seedsToDecide: s.seedsToDecide(against: 0),
            design: design)
    }

    /// Different seeds on the two sides: Welch's interval for the difference of the means (a side of one seed
    /// counts as a constant).
    static func unpaired(_ left: [Double], _ right: [Double]) -> SeededComparison {
        let (a, b) = (SeedSummary(left), SeedSummary(right))
        let (va, vb) = (
            a.standardDeviation * a.standardDeviation / Double(a.count),
            b.standardDeviation * b.standardDeviation / Double(b.count)
        )
        let mean = a.mean - b.mean
        let se = (va + vb).squareRoot()
        guard se > 0 else {
            return SeededComparison(
                mean: mean, lower: mean, upper: mean, seeds: min(a.count, b.count), seedsToDecide: nil,
                design: "unpaired (Welch)")
        }
        // Welch–Satterthwaite degrees of freedom; a one-seed side adds no variance and no degrees.
        var denominator = 0.0
        if a.count > 1 { denominator += va * va / Double(a.count - 1) }
        if b.count > 1 { denominator += vb * vb / Double(b.count - 1) }
        let df = (va + vb) * (va + vb) / denominator
        let h = StudentT.quantile(0.975, degreesOfFreedom: df) * se
        // Seeds per side that would decide it at this spread (the same count on both sides).
        var needed: Int?
        for n in 2...1000 {
            let seN =
                ((a.standardDeviation * a.standardDeviation + b.standardDeviation * b.standardDeviation) / Double(n))
                .squareRoot()
            if StudentT.quantile(0.975, degreesOfFreedom: Double(2 * n - 2)) * seN < abs(mean) {
                needed = n
                break
            }
        }
        return SeededComparison(
            mean: mean, lower: mean - h, upper: mean + h, seeds: min(a.count, b.count), seedsToDecide: needed,
            design: "unpaired (Welch)")
    }
}

/// A side's values by seed: the mean over the side's runs of each seed (a run without `seeds` is seed `seed`).
func valuesBySeed(_ runs: [PlannedRun], _ value: (PlannedRun) -> Double?) -> [Int: Double]? {
    var sums: [Int: (Double, Int)] = [:]
    for r in runs {
        guard let v = value(r) else { return nil }
        let s = r.seed
        let (sum, n) = sums[s] ?? (0, 0)
        sums[s] = (sum + v, n + 1)
    }
    return sums.mapValues { $0.0 / Double($0.1) }
}
