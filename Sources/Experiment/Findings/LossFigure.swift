import Backdoor
import Reports

/// Fig 4-1 from loss-tracking records. `report` redraws it from the stage's `loss_tracking.csv`, so
/// cached runs get the current drawing.
enum LossFigure {
    static func svg(_ records: [LossTracking.Record]) -> String {
        QuartileFigure.svg(
            title: "Loss during training (median, interquartile band)", yLabel: "cross-entropy loss",
            steps: records.map { Double($0.step) },
            groups: LossTracking.groups.map { g in
                QuartileFigure.Group(
                    name: g.replacingOccurrences(of: "_", with: " "), quartiles: records.map { $0.values(g) })
            })
    }
}
