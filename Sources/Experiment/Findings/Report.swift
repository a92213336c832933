import Backdoor
import Foundation
import Reports

/// `report`: per spec, its runs' metrics, figures, cost, and the verdict on each expectation, as one
/// markdown file with its figures beside it.
public struct Report {
    public var markdown = ""
    /// Figures to write: file name → contents.
    public var files: [String: Data] = [:]
    public var verdicts: [(Expectation, Expectation.Verdict)] = []

    public init(specs: [LoadedSpec], plan: Plan, cache: Cache, title: String) {
        let metrics = RunMetrics(cache: cache)
        var body = ""
        var summary =
            "| spec | runs finished | expectations | stages computed | measured | planned for them | planned for all |\n|---|---|---|---|---|---|---|\n"
        for spec in specs {
            var section = SpecReport(spec: spec, plan: plan, cache: cache, metrics: metrics)
            section.build()
            body += section.body
            files.merge(section.files) { a, _ in a }
            verdicts += section.verdicts
            summary += section.summaryRow
        }
        // "unreliable" and "inconclusive" only when some verdict is: reports without one read as before.
        let tally = Expectation.Verdict.labels.filter { l in
            !["unreliable", "inconclusive"].contains(l) || verdicts.contains { $0.1.label == l }
        }.map { l in "\(verdicts.filter { $0.1.label == l }.count) \(l)" }.joined(separator: ", ")
        var matrix = ""
        if let m = AttackDefenceMatrix(specs: specs, plan: plan, metrics: metrics) {
            let section = m.section
            matrix = section.markdown
            files.merge(section.files) { a, _ in a }
        }
        markdown =
            "# \(title)\n\nExpectations: \(tally).\n\n" + summary + "\n"
            + Report.totals(plan, cache: cache) + matrix + body
    }

    /// Measured against planned for the whole plan, each shared stage once: the check on the cost model.
    static func totals(_ plan: Plan, cache: Cache) -> String {
        let done = plan.stages.filter { cache.contains($0.key) }
        // Each entry's timing.json read once: the total, the per-kind rows and the busy count all use it.
        var timings: [String: StageTiming] = [:]
        for s in done { timings[s.key] = cache.timing(s.key) }
        func seconds(_ stages: [Stage]) -> Double { stages.reduce(0) { $0 + (timings[$1.key]?.seconds ?? 0) } }
        let measured = seconds(done)
        let planned = done.reduce(0) { $0 + $1.cost.seconds }
        var line = "All specs together, each shared stage once: \(done.count) of \(plan.stages.count) stages computed"
        if planned > 0 {
            line +=
                "; they took \(PlanOutput.duration(measured)) where the plan estimated \(PlanOutput.duration(planned))"
            line += String(format: " (measured / planned = %.2f)", measured / planned)
        }
        line += "; the plan's total is \(PlanOutput.duration(plan.total.seconds)).\n"
        // Per stage kind, so a cost model that is off for one kind (GAN training, PGD) shows where.
        var rows = ""
        for kind in Stage.Kind.allCases {
            let mine = done.filter { $0.kind == kind }
            let m = seconds(mine)
            let p = mine.reduce(0) { $0 + $1.cost.seconds }
            // A kind the plan gives any time always has its row (a test's tiny training takes under a second);
            // kinds with no estimate show only when they took a measurable second.
            guard !mine.isEmpty, m >= 1 || p > 0 else { continue }
            // A stage that shared the machine took longer than its work needs: say how many did, so a ratio far
            // from 1 is not read as the cost model's error (the calibration leaves them out for the same reason).
            let busy = mine.filter { (timings[$0.key]?.othersLoad ?? 0) > MachineLoad.storeLimit }.count
            rows +=
                "| \(kind.rawValue) | \(mine.count) | \(PlanOutput.duration(m)) | \(PlanOutput.duration(p)) | "
                + (p > 0 ? String(format: "%.2f", m / p) : "—") + " | \(busy == 0 ? "—" : String(busy)) |\n"
        }
        if !rows.isEmpty {
            line +=
                "\n| stage kind | computed | measured | planned | measured / planned | on a busy machine |\n"
                + "|---|---|---|---|---|---|\n" + rows
                + "\n(On a busy machine: stages that ran while other processes used more than "
                + "\(Int(MachineLoad.storeLimit * 100)) % of it; their time overstates what the work needs.)\n"
        }
        return line
    }

    /// Left and right side of an expectation with `pair_by` and a right-hand spec, one group of bars per pair.
    static func pairBars(_ e: Expectation, runs: [PlannedRun], metrics: RunMetrics) -> String? {
        guard let key = e.pairBy, let right = e.right else { return nil }
        let l = runs.filter(e.left.matches)
        let r = runs.filter(right.matches)
        var categories: [String] = []
        for run in l { if let t = run.value[path: key]?.text, !categories.contains(t) { categories.append(t) } }
        guard !categories.isEmpty else { return nil }
        func mean(_ rs: [PlannedRun], _ c: String) -> Double? {
            let vs = rs.filter { $0.value[path: key]?.text == c }.compactMap { metrics.value($0, e.metric) }
            return vs.isEmpty ? nil : 100 * vs.reduce(0, +) / Double(vs.count)
        }
        // Two sides of one spec differ only in their selectors: name them by those alone.
        let oneSpec = e.left.file == right.file
        func label(_ side: Expectation.Side) -> String {
            let selectors = side.selectors.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let spec = ((side.file as NSString).lastPathComponent as NSString).deletingPathExtension
            if oneSpec, !selectors.isEmpty { return selectors }
            return spec + (selectors.isEmpty ? "" : " [" + selectors + "]")
        }
        return BarChart(
            title: e.finding, xLabel: key, yLabel: e.metric.rawValue.replacingOccurrences(of: "_", with: " ") + " (%)",
            categories: categories,
            series: [
                .init(name: label(e.left), values: categories.map { mean(l, $0) }),
                .init(name: label(right), values: categories.map { mean(r, $0) }),
            ]
        ).svg
    }

    /// The spec's `report.figure`: y against the swept x, one line per value of `series`. Without a
    /// `series` key, one line per combination of the other swept keys (fig 5-1: one per noise level),
    /// or a single line named by the fixed target when x is the only sweep.
    /// With several seeds per point, a caption says what the line and the band are.
    static func figure(_ spec: LoadedSpec, runs: [PlannedRun], metrics: RunMetrics) -> (svg: String, caption: String?)?
    {
        guard let first = spec.runs.first else { return nil }
        let fig = first.spec.report.figure
        let y = fig?.y ?? .attackSuccessRate
        let chosenSeries = fig?.series
        // Without an x key: the poison fraction when swept, else the first swept number (an ε or τ sweep)
        // that is not the target class (a category, not a quantity).
        // The seed is a repetition, never an axis or a line: its runs make one point's mean and band.
        let numeric = first.point.filter {
            $0.key != (chosenSeries ?? "attack.target") && $0.key != "seed" && $0.value.double != nil
        }.map(\.key)
        guard let x = fig?.x ?? (numeric.contains("attack.fraction") ? "attack.fraction" : numeric.first),
            first.point.contains(where: { $0.key == x }), runs.count > 1
        else { return nil }
        let others = first.point.map(\.key).filter { $0 != x && $0 != "seed" }
        let seriesKeys = chosenSeries.map { [$0] } ?? (others.isEmpty ? ["attack.target"] : others)
        func pointValue(_ r: PlannedRun, _ k: String) -> Value? { r.point.first { $0.key == k }?.value }
        var groups: [(String, [PlannedRun])] = []
        for r in runs {
            // An unswept series key names the one line by its fixed value (attack.target 0).
            let parts = seriesKeys.compactMap { k in
                (pointValue(r, k) ?? first.value[path: k]).map { "\(k) \($0.labelText)" }
            }
            let label = parts.isEmpty ? "runs" : parts.joined(separator: ", ")
            if let i = groups.firstIndex(where: { $0.0 == label }) {
                groups[i].1.append(r)
            } else {
                groups.append((label, [r]))
            }
        }
        let series = groups.compactMap { label, rs -> LinePlot.Series? in
            // Each x's runs (its seeds): the mean, and the 95 % t interval as a band when there are several.
            var byX: [Double: [Double]] = [:]
            for r in rs {
                guard let xv = pointValue(r, x)?.double, let yv = metrics.value(r, y) else { continue }
                byX[xv, default: []].append(100 * yv)
            }
            let xs = byX.keys.sorted()
            guard !xs.isEmpty else { return nil }
            let summaries = xs.map { SeedSummary(byX[$0] ?? []) }
            // Both figure metrics are rates: the band stops at 0 and 100 %.
            let band =
                summaries.contains { $0.count > 1 }
                ? (summaries.map { max(0, $0.lower) }, summaries.map { min(100, $0.upper) }) : nil
            return LinePlot.Series(name: label, x: xs, y: summaries.map(\.mean), band: band)
        }
        guard !series.isEmpty else { return nil }
        let caption =
            series.contains { $0.band != nil }
            ? "(Lines: the mean over seeds; shaded: its 95 % Student-t interval, cut at 0 and 100 %.)" : nil
        let title = first.spec.title ?? spec.file
        // Poison fractions span decades (0.4 % to 100 % in the thesis): spread them on a log axis.
        let xs = series.flatMap(\.x)
        let logX = (xs.min() ?? 0) > 0 && (xs.max() ?? 0) >= 20 * (xs.min() ?? 1)
        return (
            LinePlot(
                title: title, xLabel: x, yLabel: y.rawValue.replacingOccurrences(of: "_", with: " ") + " (%)",
                logX: logX,
                series: series
            ).svg, caption
        )
    }
}

extension Report {
    /// The report as a standalone HTML page.
    public var html: String {
        MarkdownHTML.page(
            markdown, title: markdown.split(separator: "\n").first.map { String($0.dropFirst(2)) } ?? "report")
    }
}
