import Backdoor
import Reports

/// Fig 4-1: each loss-tracking group's median loss with its interquartile band. `report` redraws it
/// from the stage's `loss_tracking.csv`, so cached runs get the current drawing.
enum LossFigure {
    static func svg(_ records: [LossTracking.Record]) -> String {
        let series = LossTracking.groups.map { g in
            LinePlot.Series(
                name: g.replacingOccurrences(of: "_", with: " "), x: records.map { Double($0.step) },
                y: records.map { $0.values(g)[1] }, band: (records.map { $0.values(g)[0] }, records.map { $0.values(g)[2] }))
        }
        return LinePlot(
            title: "Loss during training (median, interquartile band)", xLabel: "step", yLabel: "cross-entropy loss",
            logY: true, series: series
        ).svg
    }
}
