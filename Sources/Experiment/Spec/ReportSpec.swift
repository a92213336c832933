/// How results are drawn (`report`).
public struct ReportSpec: Codable, Sendable, Hashable {
    public var figure: Figure?

    /// `report.figure`.
    public struct Figure: Codable, Sendable, Hashable {
        public var x: String?
        /// `attack_success_rate` or `natural_accuracy`.
        public var y: ExpectationSpec.Metric
        public var series: String?

        /// The metrics a figure can draw on its y axis.
        public static let plottedMetrics: [ExpectationSpec.Metric] = [.attackSuccessRate, .naturalAccuracy]
    }
}
