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
        case lossCurve = "loss_curve"
        case trainImages = "train_images"
        case testAccuracy = "test_accuracy"
        case adversarialTestAccuracy = "adversarial_test_accuracy"
    }
}
