/// A finding as a spec's `expect:` writes it (`Expectation` resolves its files).
public struct ExpectationSpec: Codable, Sendable, Hashable {
    public var finding: String
    public var metric: Metric
    public var runs: String?
    public var `where`: [String]?
    public var `is`: Comparison
    public var than: String?
    public var thanWhere: [String]?
    public var value: Double?
    public var times: Double
    public var plus: Double
    public var pairBy: String?
    public var aggregate: Aggregate
    public var along: String?

    /// Whether a paired comparison must hold for every pair, or for the pairs' mean.
    public enum Aggregate: String, Codable, Sendable, Hashable, CaseIterable {
        case every, mean
    }

    enum CodingKeys: String, CodingKey {
        case finding, metric, runs, `where`, `is`, than, value, times, plus, aggregate, along
        case thanWhere = "than_where"
        case pairBy = "pair_by"
    }

    /// What an expectation compares, read from a finished run's cache entries.
    public enum Metric: String, Codable, Sendable, Hashable, CaseIterable {
        /// The spec's headline ASR.
        case attackSuccessRate = "attack_success_rate"
        case naturalAccuracy = "natural_accuracy"
        /// DP-SGD's ε.
        case epsilon
        /// Poisons found among the inspected images ÷ the count chance would find.
        case detectionEnrichment = "detection_enrichment"
        /// Median loss of the poisons without the trigger ÷ with it, at the end of training.
        case triggerReliance = "trigger_reliance"
        case poisonLossWithoutTrigger = "poison_loss_without_trigger"
        /// A cleansing defence's removed poisons ÷ poisons.
        case poisonsRemoved = "poisons_removed"
        /// A cleansing defence's removed clean images ÷ clean images.
        case cleanRemoved = "clean_removed"
        /// A detector's area under the ROC curve (spectral scores against the poisons; STRIP's entropies,
        /// triggered against clean inputs).
        case defenceAUROC = "defence_auroc"
        /// STRIP: triggered non-target inputs accepted and classified as the target.
        case asrAfterRejection = "asr_after_rejection"
        /// Neural Cleanse: the anomaly index of the attack's target class's reversed mask (flagged above 2).
        case targetAnomalyIndex = "target_anomaly_index"

        /// Whether it is a ratio of two measurements, whose spread over seeds is skewed: its interval is a
        /// bootstrap, not Student t.
        public var isRatio: Bool { self == .detectionEnrichment || self == .triggerReliance }

        /// Whether it is a rate shown in percent.
        public var isRate: Bool {
            [.attackSuccessRate, .naturalAccuracy, .poisonsRemoved, .cleanRemoved, .asrAfterRejection].contains(self)
        }
    }

    /// How the left side compares with the right.
    public enum Comparison: String, Codable, Sendable, Hashable, CaseIterable {
        case atLeast = ">="
        case greater = ">"
        case atMost = "<="
        case less = "<"
        /// Run after run along a setting.
        case increasing, decreasing

        /// Whether it orders runs along a setting rather than comparing two sides.
        public var isOrdering: Bool { self == .increasing || self == .decreasing }

        /// `a` against the right-hand side `b` (only for the two-sided comparisons).
        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .atLeast: return a >= b
            case .greater: return a > b
            case .atMost: return a <= b
            case .less, .increasing, .decreasing: return a < b
            }
        }
    }
}
