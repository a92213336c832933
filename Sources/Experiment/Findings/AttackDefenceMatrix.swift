import Foundation
import Reports

/// The attack × defence matrix of a report whose specs each attack once and sweep only the defence (as
/// `experiments/matrix`): a row per spec, a column per defence kind, each cell C-Acc / ASR / R-Acc / DER
/// after the defence, and heat maps of the ASR after the defence and of the DER.
struct AttackDefenceMatrix {
    /// A spec's name and its runs, one per defence kind.
    let rows: [(name: String, runs: [PlannedRun])]
    /// Defence kinds in the order the specs list them.
    let columns: [String]
    let metrics: RunMetrics

    /// Nil unless at least two specs qualify: an attack, runs that differ only in the defence, one with none.
    init?(specs: [LoadedSpec], plan: Plan, metrics: RunMetrics) {
        var rows: [(String, [PlannedRun])] = []
        var columns: [String] = []
        for spec in specs {
            let runs = plan.runs.filter { $0.file == spec.file }
            let kinds = runs.map { $0.value[path: "defence.kind"]?.string ?? "none" }
            // One run per defence kind and seed.
            let cells = Set(
                runs.map { "\($0.value[path: "defence.kind"]?.string ?? "none") \($0.value[path: "seed"]?.text ?? "")" }
            )
            guard runs.count > 1, cells.count == runs.count, kinds.contains("none"),
                runs.allSatisfy({ r in r.point.allSatisfy { $0.key.hasPrefix("defence") || $0.key == "seed" } }),
                spec.runs.first?.spec.attack.poison != AttackSpec.Poisoning.none
            else { continue }
            rows.append((Executor.resultsName(spec.file), runs))
            for k in kinds where !columns.contains(k) { columns.append(k) }
        }
        guard rows.count > 1 else { return nil }
        self.rows = rows
        self.columns = columns
        self.metrics = metrics
    }

    /// A cell's runs, one per seed.
    func runs(_ row: Int, _ kind: String) -> [PlannedRun] {
        rows[row].runs.filter { ($0.value[path: "defence.kind"]?.string ?? "none") == kind }
    }

    /// A value over a cell's seeds: nil until every seed has it.
    func summary(_ row: Int, _ kind: String, _ value: (DefenceTable, PlannedRun) -> Double?) -> SeedSummary? {
        let table = DefenceTable(runs: rows[row].runs, metrics: metrics)
        let rs = runs(row, kind)
        let v = rs.compactMap { value(table, $0) }
        return v.count == rs.count && !v.isEmpty ? SeedSummary(v) : nil
    }

    /// A value's mean over the seeds for each cell, nil where not run.
    func grid(_ value: (DefenceTable, PlannedRun) -> Double?) -> [[Double?]] {
        rows.indices.map { i in columns.map { k in summary(i, k, value)?.mean } }
    }

    /// The section's markdown and its two figures.
    var section: (markdown: String, files: [String: Data]) {
        let asr = grid { t, r in t.after(r).asr }
        let der = grid { t, r in t.der(r) }
        let pct: @Sendable (Double) -> String = { String(format: "%.1f %%", 100 * $0) }
        let names = rows.map(\.name)
        let asrMap = HeatMap(
            title: "ASR after the defence", rows: names, columns: columns, values: asr, format: pct)
        let derMap = HeatMap(
            title: "Defence effectiveness rate (DER; 0.5 = no change)", rows: names, columns: columns,
            values: der, highIsGood: true, format: { String(format: "%.2f", $0) })
        var md =
            "\n## Attack × defence matrix\n\n![ASR after the defence](matrix-asr.svg)\n\n![DER](matrix-der.svg)\n\n"
        md +=
            "| attack | " + columns.joined(separator: " | ") + " |\n|---|" + columns.map { _ in "---|" }.joined() + "\n"
        var seeded = false
        for i in rows.indices {
            let cells = columns.map { k -> String in
                guard !runs(i, k).isEmpty else { return "not planned" }
                guard let acc = summary(i, k, { t, r in t.after(r).accuracy }) else { return "not run" }
                let asr = summary(i, k) { t, r in t.after(r).asr }
                var asrText = asr.map { pct($0.mean) } ?? "—"
                if let a = asr, a.count > 1 {
                    seeded = true
                    asrText += String(format: " ± %.1f", 100 * a.halfWidth)
                }
                return [
                    pct(acc.mean), asrText,
                    summary(i, k) { _, r in metrics.attack(r)?.robustAccuracy }.map { pct($0.mean) } ?? "—",
                    summary(i, k) { t, r in t.der(r) }.map { String(format: "%.2f", $0.mean) } ?? "—",
                ].joined(separator: " / ")
            }
            md += "| \(rows[i].name) | " + cells.joined(separator: " | ") + " |\n"
        }
        md +=
            "\n(Each cell: C-Acc / ASR / R-Acc / DER after the defence, as in the specs' defence tables below. R-Acc is the victim's before any rejection."
            + (seeded ? " Over seeds: means, and the ASR's 95 % interval half-width in points." : "") + ")\n"
        return (md, ["matrix-asr.svg": Data(asrMap.svg.utf8), "matrix-der.svg": Data(derMap.svg.utf8)])
    }
}
