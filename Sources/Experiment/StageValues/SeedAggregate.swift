import Foundation
import Reports

/// One point of a seeded spec's sweeps over its seeds: each metric's mean, SD and 95 % Student-t interval.
public struct SeedAggregate: Codable, Sendable {
    /// The point's swept settings without the seed.
    public var point: [String: String]
    public var seeds: [Int]
    /// By metric name (natural_accuracy, attack_success_rate, robust_accuracy, clean_target_rate).
    public var metrics: [String: Spread]

    public struct Spread: Codable, Sendable {
        public var mean: Double
        public var sd: Double
        public var ci95: [Double]

        init(_ s: SeedSummary) {
            mean = s.mean
            sd = s.standardDeviation
            ci95 = [s.lower, s.upper]
        }
    }

    /// Groups `results` by their point without `seed`; nil when no result has a seed.
    static func aggregate(_ results: [ReportStage.RunResult]) -> [SeedAggregate]? {
        guard results.contains(where: { $0.point["seed"] != nil }) else { return nil }
        var order: [[String: String]] = []
        var groups: [[String: String]: [ReportStage.RunResult]] = [:]
        for r in results {
            var p = r.point
            p["seed"] = nil
            if groups[p] == nil { order.append(p) }
            groups[p, default: []].append(r)
        }
        return order.map { p in
            let rs = groups[p] ?? []
            var metrics: [String: Spread] = [:]
            let columns: [(String, (ReportStage.RunResult) -> Double?)] = [
                ("natural_accuracy", { $0.naturalAccuracy }), ("attack_success_rate", { $0.attackSuccessRate }),
                ("robust_accuracy", { $0.robustAccuracy }), ("clean_target_rate", { $0.cleanTargetRate }),
            ]
            for (name, read) in columns {
                let v = rs.compactMap(read)
                if v.count == rs.count, !v.isEmpty { metrics[name] = Spread(SeedSummary(v)) }
            }
            return SeedAggregate(
                point: p, seeds: rs.compactMap { $0.point["seed"].flatMap { Int($0) } }, metrics: metrics)
        }
    }

    /// The CSV columns added to each run's row of a seeded spec.
    static let columns = [
        "seeds", "natural_accuracy_mean", "natural_accuracy_sd", "natural_accuracy_ci95_low",
        "natural_accuracy_ci95_high", "attack_success_rate_mean", "attack_success_rate_sd",
        "attack_success_rate_ci95_low", "attack_success_rate_ci95_high",
    ]

    /// This aggregate's values for `columns`.
    var fields: [String] {
        func f(_ d: Double?) -> String { d.map { String(format: "%.4f", $0) } ?? "" }
        var out = [String(seeds.count)]
        for m in ["natural_accuracy", "attack_success_rate"] {
            let s = metrics[m]
            out += [f(s?.mean), f(s?.sd), f(s?.ci95.first), f(s?.ci95.last)]
        }
        return out
    }
}
