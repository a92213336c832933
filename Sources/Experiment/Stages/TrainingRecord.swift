import Backdoor

/// What a training stage records beside its weights (`training.json`).
public struct TrainingRecord: Codable, Sendable {
    public var steps: Int
    /// [step, mean loss since the previous point].
    public var lossCurve: [[Double]]
    public var trainImages: Int
    /// DP-SGD's guarantee, when the training was private.
    public var privacy: PrivacyRecord?
    /// A reference model's accuracy on 1 000 clean test images, and under a 20-step PGD attack.
    public var testAccuracy: Double?
    public var adversarialTestAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case steps, privacy
        case lossCurve = "loss_curve", trainImages = "train_images", testAccuracy = "test_accuracy"
        case adversarialTestAccuracy = "adversarial_test_accuracy"
    }
}

/// The (ε, δ) a DP-SGD training spent, by the RDP accountant.
public struct PrivacyRecord: Codable, Sendable {
    /// ∞ when the noise is zero (the baseline has no guarantee); written as the string "inf".
    public var epsilon: Double
    public var delta: Double
    public var order: Double
    public var samplingRate: Double
    public var accountant: String

    enum CodingKeys: String, CodingKey { case epsilon, delta, order, accountant, samplingRate = "sampling_rate" }

    public init(epsilon: Double, delta: Double, order: Double, samplingRate: Double, accountant: String) {
        self.epsilon = epsilon
        self.delta = delta
        self.order = order
        self.samplingRate = samplingRate
        self.accountant = accountant
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let e = try? c.decode(Double.self, forKey: .epsilon) {
            // Entries written before ∞ had a spelling held −1 in its place.
            epsilon = e < 0 ? .infinity : e
        } else {
            let text = try c.decode(String.self, forKey: .epsilon)
            guard text == "inf" else {
                throw DecodingError.dataCorruptedError(forKey: .epsilon, in: c, debugDescription: "ε '\(text)'")
            }
            epsilon = .infinity
        }
        delta = try c.decode(Double.self, forKey: .delta)
        order = try c.decode(Double.self, forKey: .order)
        samplingRate = try c.decode(Double.self, forKey: .samplingRate)
        accountant = try c.decode(String.self, forKey: .accountant)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if epsilon.isFinite { try c.encode(epsilon, forKey: .epsilon) } else { try c.encode("inf", forKey: .epsilon) }
        try c.encode(delta, forKey: .delta)
        try c.encode(order, forKey: .order)
        try c.encode(samplingRate, forKey: .samplingRate)
        try c.encode(accountant, forKey: .accountant)
    }
}

/// What a checkpoint of a network training holds besides the tensors.
struct TrainingState: CheckpointState {
    var step = 0
    var seconds = 0.0
    var lossCurve: [[Double]] = []
    /// The loss averaging window in progress: [sum, count].
    var lossWindow: [Double] = [0, 0]
    var lossTracking: [LossTracking.Record]?

    enum CodingKeys: String, CodingKey {
        case step, seconds
        case lossCurve = "loss_curve", lossWindow = "loss_window", lossTracking = "loss_tracking"
    }
}
