/// The victims' training loss against the step, one line per run (each training stage's loss curve:
/// [step, mean loss since the previous point]).
public enum TrainingLossFigure {
    /// The most lines one figure draws (a sweep of 50 runs would be unreadable); the first runs are kept.
    public static let maxLines = 10

    /// One line per (name, curve); nil with nothing to draw.
    public static func svg(_ curves: [(name: String, steps: [Double], losses: [Double])]) -> String? {
        let shown = curves.prefix(maxLines).filter {
            !$0.steps.isEmpty && $0.losses.allSatisfy { $0 > 0 && $0.isFinite }
        }
        guard !shown.isEmpty else { return nil }
        let title =
            "Training loss" + (curves.count > maxLines ? " (the first \(maxLines) of \(curves.count) runs)" : "")
        return LinePlot(
            title: title, xLabel: "step", yLabel: "cross-entropy loss (mean over the interval)", logY: true,
            series: shown.map { LinePlot.Series(name: $0.name, x: $0.steps, y: $0.losses) }
        ).svg
    }
}
