import Backdoor
import Foundation

/// The field's defence metrics for a spec whose runs carry defences: per run, clean accuracy (C-Acc),
/// ASR and robust accuracy (R-Acc) after the defence, its detector's rates, and the defence effectiveness
/// rate (DER) against the undefended run of the same point.
struct DefenceTable {
    let runs: [PlannedRun]
    let metrics: RunMetrics

    /// The table in Markdown; nil when no run has a defence of these kinds.
    var markdown: String? {
        guard runs.contains(where: { $0.defence != nil }) else { return nil }
        var out =
            "\n| run | C-Acc | ASR | R-Acc | DER | poisons removed | clean removed | detector AUROC |\n|---|---|---|---|---|---|---|---|\n"
        for r in runs {
            let after = self.after(r)
            let der = self.der(r).map { String(format: "%.3f", $0) } ?? "—"
            let cells = [
                r.label.isEmpty ? "—" : r.label, pct(after.accuracy), pct(after.asr),
                pct(metrics.attack(r)?.robustAccuracy), der, pct(metrics.value(r, .poisonsRemoved)),
                pct(metrics.value(r, .cleanRemoved)),
                metrics.value(r, .defenceAUROC).map { String(format: "%.3f", $0) } ?? "—",
            ]
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out
            + "\n(After the defence: a cleansing defence's retrained victim; STRIP's accepted inputs — C-Acc the clean test inputs accepted and classified right, ASR the triggered ones accepted and classified as the target; for ABL, the removed are the images its victim isolated for unlearning. DER = [max(0, ΔASR) − max(0, ΔC-Acc) + 1] / 2 against the run without a defence.)\n"
    }

    func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", 100 * $0) } ?? "—" }

    /// C-Acc and ASR after the defence.
    func after(_ r: PlannedRun) -> (accuracy: Double?, asr: Double?) {
        if let strip = metrics.record(r.defence, of: STRIPStage.self) {
            return (strip.cleanAccuracyAfter, strip.attackSuccessRateAfter)
        }
        return (metrics.value(r, .naturalAccuracy), metrics.value(r, .attackSuccessRate))
    }

    /// DER of `r`'s defence against the undefended run of its point; nil when either is missing.
    func der(_ r: PlannedRun) -> Double? {
        let after = self.after(r)
        guard let b = undefended(r).flatMap({ metrics.attack($0) }), let ba = b.attackSuccessRate, let a = after.asr,
            let acc = after.accuracy
        else { return nil }
        return defenceEffectivenessRate(
            asrBefore: ba, asrAfter: a, accuracyBefore: b.naturalAccuracy, accuracyAfter: acc)
    }

    /// The run of the same spec and point whose defence is none.
    func undefended(_ r: PlannedRun) -> PlannedRun? {
        let others = r.point.filter { !$0.key.hasPrefix("defence") }
        return runs.first { o in
            o.defenceKind == .none
                && o.point.filter { !$0.key.hasPrefix("defence") }.map { "\($0.key)=\($0.value.text)" }
                    == others.map { "\($0.key)=\($0.value.text)" }
        }
    }
}
