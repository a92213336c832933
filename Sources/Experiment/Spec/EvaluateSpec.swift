/// What is measured after training (`evaluate`).
public struct EvaluateSpec: Codable, Sendable, Hashable {
    public var attackSuccessRate: AttackSuccessRate
    public var perClass: Bool

    /// `evaluate.attack_success_rate`.
    public struct AttackSuccessRate: Codable, Sendable, Hashable {
        /// `labelled_target` or `classified_target`.
        public var exclude: String
        public var amplitude: Double?
        public var alpha: Double?
    }

    enum CodingKeys: String, CodingKey {
        case attackSuccessRate = "attack_success_rate"
        case perClass = "per_class"
    }
}
