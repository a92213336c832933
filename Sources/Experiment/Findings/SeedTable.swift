import Foundation
import Reports

/// A seeded spec's runs grouped by their point without the seed: per group, each metric's mean, SD and 95 %
/// interval over the seeds (the same numbers as the results' `aggregates`).
struct SeedTable {
    let runs: [PlannedRun]
    let metrics: RunMetrics

    /// Groups in run order: the label without `seed=…` and the group's runs. Empty without seeds.
    var groups: [(label: String, runs: [PlannedRun])] {
        guard runs.contains(where: { r in r.point.contains { $0.key == "seed" } }) else { return [] }
        var out: [(String, [PlannedRun])] = []
        for r in runs {
            let label = SeedTable.labelWithoutSeed(r)
            if let i = out.firstIndex(where: { $0.0 == label }) { out[i].1.append(r) } else { out.append((label, [r])) }
        }
        return out
    }

    static func labelWithoutSeed(_ r: PlannedRun) -> String {
        r.label.split(separator: " ").filter { !$0.hasPrefix("seed=") }.joined(separator: " ")
    }

    /// "mean ± half-width (SD s)" in percent; "not run" until every seed has finished.
    func cell(_ rs: [PlannedRun], _ m: ExpectationSpec.Metric) -> String {
        let v = rs.compactMap { metrics.value($0, m) }
        guard v.count == rs.count, !v.isEmpty else { return "\(v.count) of \(rs.count) seeds run" }
        let s = SeedSummary(v)
        guard v.count > 1 else { return String(format: "%.1f %%", 100 * s.mean) }
        return String(
            format: "%.1f %% ± %.1f (SD %.1f)", 100 * s.mean, 100 * s.halfWidth, 100 * s.standardDeviation)
    }

    /// The table in Markdown; nil without seeds.
    var markdown: String? {
        let groups = self.groups
        guard !groups.isEmpty else { return nil }
        var out = "\n| run | seeds | natural accuracy | attack success rate | R-Acc |\n|---|---|---|---|---|\n"
        for (label, rs) in groups {
            let seeds = rs.map { String($0.seed) }.joined(separator: ", ")
            out +=
                "| \(label.isEmpty ? "—" : label) | \(seeds) | \(cell(rs, .naturalAccuracy)) | \(cell(rs, .attackSuccessRate)) | \(robust(rs)) |\n"
        }
        return out
            + "\n(Over seeds: mean ± half-width of the 95 % Student-t interval, and the sample SD, in points.)\n"
    }

    func robust(_ rs: [PlannedRun]) -> String {
        let v = rs.compactMap { metrics.attack($0)?.robustAccuracy }
        guard v.count == rs.count, v.count > 1 else {
            return v.first.map { String(format: "%.1f %%", 100 * $0) } ?? "—"
        }
        let s = SeedSummary(v)
        return String(format: "%.1f %% ± %.1f", 100 * s.mean, 100 * s.halfWidth)
    }
}
