import Backdoor
import Foundation
import Reports

/// The attack × defence matrix of a report whose specs each attack once and sweep only the defence (as
/// `experiments/matrix`): a row per spec, a column per defence kind, each cell C-Acc / ASR / R-Acc / DER
/// after the defence, and heat maps of the ASR after the defence and of the DER. A spec that sweeps the
/// attack against DP-SGD and its SGD baseline (the transfer set-up, whose victim differs from the others')
/// adds a column: each row's attack under DP-SGD, its DER against the baseline with the same attack.
struct AttackDefenceMatrix {
    /// A spec's name and its runs, one per defence kind (and seed).
    let rows: [(name: String, runs: [PlannedRun])]
    /// Defence kinds in the order the specs list them, then the transfer column if any row has one.
    let columns: [String]
    /// The runs of the transfer set-up's specs (dp_sgd and sgd_baseline, swept over attacks).
    let transfer: [PlannedRun]
    let metrics: RunMetrics

    static let transferColumn = "dp_sgd (transfer)"

    /// One seed's numbers in a cell.
    struct Cell {
        var accuracy: Double?, asr: Double?, robust: Double?, der: Double?
    }

    /// Nil unless at least two specs qualify: an attack, runs that differ only in the defence, one with none.
    init?(specs: [LoadedSpec], plan: Plan, metrics: RunMetrics) {
        var rows: [(String, [PlannedRun])] = []
        var columns: [String] = []
        var transfer: [PlannedRun] = []
        for spec in specs {
            let runs = plan.runs.filter { $0.file == spec.file }
            let kinds = runs.map(\.defenceKind)
            if Set(kinds) == [.dpSGD, .sgdBaseline] {
                transfer += runs
                continue
            }
            // One run per defence kind and seed.
            let cells = Set(runs.map { "\($0.defenceKind.rawValue) \($0.seed)" })
            guard runs.count > 1, cells.count == runs.count, kinds.contains(.none),
                runs.allSatisfy({ r in r.point.allSatisfy { $0.key.hasPrefix("defence") || $0.key == "seed" } }),
                spec.runs.first?.spec.attack.poison != AttackSpec.Poisoning.none
            else { continue }
            rows.append((Executor.resultsName(spec.file), runs))
            for k in kinds.map(\.rawValue) where !columns.contains(k) { columns.append(k) }
        }
        guard rows.count > 1 else { return nil }
        self.rows = rows
        self.transfer = transfer
        self.metrics = metrics
        let attacks = Set(transfer.compactMap { $0.value["attack"]?.canonicalJSON })
        let covered = rows.contains { attacks.contains($0.1.first?.value["attack"]?.canonicalJSON ?? "") }
        self.columns = columns + (covered ? [AttackDefenceMatrix.transferColumn] : [])
    }

    /// A cell's numbers, one per seed; empty when the plan has no such run.
    func cells(_ row: Int, _ column: String) -> [Cell] {
        let runs = rows[row].runs
        guard column == AttackDefenceMatrix.transferColumn else {
            let table = DefenceTable(runs: runs, metrics: metrics)
            return runs.filter { $0.defenceKind.rawValue == column }.map { r in
                let after = table.after(r)
                return Cell(
                    accuracy: after.accuracy, asr: after.asr, robust: metrics.attack(r)?.robustAccuracy,
                    der: table.der(r))
            }
        }
        // The row's attack under DP-SGD, against the SGD baseline with that attack and seed.
        let attack = runs.first?.value["attack"]?.canonicalJSON
        let mine = transfer.filter { $0.value["attack"]?.canonicalJSON == attack }
        return mine.filter { $0.defenceKind == .dpSGD }.map { r in
            let base = mine.first { $0.defenceKind == .sgdBaseline && $0.seed == r.seed }
            let (a, b) = (metrics.attack(r), base.flatMap { metrics.attack($0) })
            var der: Double?
            if let a, let b, let asrAfter = a.attackSuccessRate, let asrBefore = b.attackSuccessRate {
                der = defenceEffectivenessRate(
                    asrBefore: asrBefore, asrAfter: asrAfter, accuracyBefore: b.naturalAccuracy,
                    accuracyAfter: a.naturalAccuracy)
            }
            return Cell(accuracy: a?.naturalAccuracy, asr: a?.attackSuccessRate, robust: a?.robustAccuracy, der: der)
        }
    }

    /// A value over a cell's seeds: nil until every seed has it.
    func summary(_ row: Int, _ column: String, _ value: (Cell) -> Double?) -> SeedSummary? {
        let c = cells(row, column)
        let v = c.compactMap(value)
        return v.count == c.count && !v.isEmpty ? SeedSummary(v) : nil
    }

    /// A value's mean over the seeds for each cell, nil where not run.
    func grid(_ value: (Cell) -> Double?) -> [[Double?]] {
        rows.indices.map { i in columns.map { k in summary(i, k, value)?.mean } }
    }

    /// The section's markdown and its two figures.
    var section: (markdown: String, files: [String: Data]) {
        let pct: @Sendable (Double) -> String = { String(format: "%.1f %%", 100 * $0) }
        let names = rows.map(\.name)
        let asrMap = HeatMap(
            title: "ASR after the defence", rows: names, columns: columns, values: grid(\.asr), format: pct)
        let derMap = HeatMap(
            title: "Defence effectiveness rate (DER; 0.5 = no change)", rows: names, columns: columns,
            values: grid(\.der), highIsGood: true, format: { String(format: "%.2f", $0) })
        var md =
            "\n## Attack × defence matrix\n\n![ASR after the defence](matrix-asr.svg)\n\n![DER](matrix-der.svg)\n\n"
        md +=
            "| attack | " + columns.joined(separator: " | ") + " |\n|---|" + columns.map { _ in "---|" }.joined() + "\n"
        var seeded = false
        for i in rows.indices {
            let texts = columns.map { k -> String in
                guard !cells(i, k).isEmpty else { return "not planned" }
                guard let acc = summary(i, k, \.accuracy) else { return "not run" }
                let asr = summary(i, k, \.asr)
                var asrText = asr.map { pct($0.mean) } ?? "—"
                if let a = asr, a.count > 1 {
                    seeded = true
                    asrText += String(format: " ± %.1f", 100 * a.halfWidth)
                }
                return [
                    pct(acc.mean), asrText, summary(i, k, \.robust).map { pct($0.mean) } ?? "—",
                    summary(i, k, \.der).map { String(format: "%.2f", $0.mean) } ?? "—",
                ].joined(separator: " / ")
            }
            md += "| \(rows[i].name) | " + texts.joined(separator: " | ") + " |\n"
        }
        md +=
            "\n(Each cell: C-Acc / ASR / R-Acc / DER after the defence, as in the specs' defence tables below. R-Acc is the victim's before any rejection."
            + (columns.contains(AttackDefenceMatrix.transferColumn)
                ? " dp_sgd (transfer): the attack against DP-SGD in the transfer set-up, its DER against the SGD baseline of that set-up with the same attack."
                : "")
            + (seeded ? " Over seeds: means, and the ASR's 95 % interval half-width in points." : "") + ")\n"
        return (md, ["matrix-asr.svg": Data(asrMap.svg.utf8), "matrix-der.svg": Data(derMap.svg.utf8)])
    }
}
