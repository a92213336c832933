/// What is measured after training (`evaluate`).
public struct EvaluateSpec: Codable, Sendable, Hashable {
    public var attackSuccessRate: AttackSuccessRate
    public var perClass: Bool

    /// `evaluate.attack_success_rate`.
    public struct AttackSuccessRate: Codable, Sendable, Hashable {
        /// `labelled_target` or `classified_target`.
        public var exclude: String
        public var amplitude: Double?
    }

    enum CodingKeys: String, CodingKey { case attackSuccessRate = "attack_success_rate", perClass = "per_class" }
}

/// Detection by filtering (`detection`).
public struct DetectionSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var cleanImages: Int
    public var train: TrainSpec
    public var inspect: Int

    enum CodingKeys: String, CodingKey { case enabled, train, inspect, cleanImages = "clean_images" }
}

/// Loss tracking over training (`loss_tracking`).
public struct LossTrackingSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var every: Int
}

/// How results are drawn (`report`).
public struct ReportSpec: Codable, Sendable, Hashable {
    public var figure: Figure?

    /// `report.figure`.
    public struct Figure: Codable, Sendable, Hashable {
        public var x: String?
        /// `attack_success_rate` or `natural_accuracy`.
        public var y: ExpectationSpec.Metric
        public var series: String?
    }
}
