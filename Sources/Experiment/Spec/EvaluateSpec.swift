/// What is measured after training (`evaluate`).
public struct EvaluateSpec: Codable, Sendable, Hashable {
    public var attackSuccessRate: AttackSuccessRate
    public var perClass: Bool

    /// `evaluate.attack_success_rate`.
    public struct AttackSuccessRate: Codable, Sendable, Hashable {
        public var exclude: Exclude
        public var amplitude: Double?
        public var alpha: Double?

        /// Which test images the headline ASR leaves out: those labelled as the target, or those the model
        /// already classifies as the target without the trigger (the thesis's DP-SGD chapter).
        public enum Exclude: String, Codable, Sendable, Hashable, CaseIterable {
            case labelledTarget = "labelled_target"
            case classifiedTarget = "classified_target"
        }
    }

    enum CodingKeys: String, CodingKey {
        case attackSuccessRate = "attack_success_rate"
        case perClass = "per_class"
    }
}
