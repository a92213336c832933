import Foundation
import Reports

/// One point of a seeded spec's sweeps over its seeds: each metric's mean, SD and 95 % Student-t interval.
public struct SeedAggregate: Codable, Sendable {
    /// The point's swept settings without the seed.
    public var point: [String: String]
    public var seeds: [Int]
    /// Each metric's spread over the seeds; a metric some seed lacks is left out.
    public var metrics: Metrics

    /// The metrics a run reports, by their `results.json` names.
    public struct Metrics: Codable, Sendable {
        public var naturalAccuracy: Spread?
        public var attackSuccessRate: Spread?
        public var robustAccuracy: Spread?
        public var cleanTargetRate: Spread?

        enum CodingKeys: String, CodingKey {
            case naturalAccuracy = "natural_accuracy"
            case attackSuccessRate = "attack_success_rate"
            case robustAccuracy = "robust_accuracy"
            case cleanTargetRate = "clean_target_rate"
        }
    }

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
            // A spread only where every seed has the metric: a mean over some seeds would pass for all of them.
            func spread(_ read: (ReportStage.RunResult) -> Double?) -> Spread? {
                let v = rs.compactMap(read)
                return v.count == rs.count && !v.isEmpty ? Spread(SeedSummary(v)) : nil
            }
            let metrics = Metrics(
                naturalAccuracy: spread { $0.naturalAccuracy }, attackSuccessRate: spread { $0.attackSuccessRate },
                robustAccuracy: spread { $0.robustAccuracy }, cleanTargetRate: spread { $0.cleanTargetRate })
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
        for s in [metrics.naturalAccuracy, metrics.attackSuccessRate] {
            out += [f(s?.mean), f(s?.sd), f(s?.ci95.first), f(s?.ci95.last)]
        }
        return out
    }
}
