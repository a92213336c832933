/// Groups' medians against the step with their interquartile bands, on a log scale: the loss of
/// all, poisoned and poisoned-without-trigger images over training (thesis fig 4-1).
public enum QuartileFigure {
    /// One group: its name and, per step, [25th percentile, median, 75th percentile].
    public struct Group {
        public var name: String
        public var quartiles: [[Double]]
        public init(name: String, quartiles: [[Double]]) {
            self.name = name
            self.quartiles = quartiles
        }
    }

    public static func svg(title: String, yLabel: String, steps: [Double], groups: [Group]) -> String {
        let series = groups.map { g in
            LinePlot.Series(
                name: g.name, x: steps, y: g.quartiles.map { $0[1] },
                band: (g.quartiles.map { $0[0] }, g.quartiles.map { $0[2] }))
        }
        return LinePlot(title: title, xLabel: "step", yLabel: yLabel, logY: true, series: series).svg
    }
}
