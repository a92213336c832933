import Backdoor
import Learning

/// The model a perturbation is crafted against (`attack.perturbation.reference`).
public struct ReferenceSpec: Codable, Sendable, Hashable {
    public var training: Training
    public var adversarial: AdversarialTraining
    /// The victim's training set (white box) or the public split (black box).
    public var data: DataSplit
    public var model: ModelSpec?
    public var train: TrainSpec?

    /// How the reference learns: plainly, or under PGD attack.
    public enum Training: String, Codable, Sendable, Hashable, CaseIterable {
        case standard, adversarial
    }

    /// PGD adversarial training (Madry et al.).
    public struct AdversarialTraining: Codable, Sendable, Hashable {
        public var norm: PGD.Norm
        public var epsilon: Double
        public var steps: Int
        public var stepSize: Double?
        public var randomStart: Bool

        enum CodingKeys: String, CodingKey {
            case norm, epsilon, steps
            case stepSize = "step_size"
            case randomStart = "random_start"
        }
    }

    public var isAdversarial: Bool { training == .adversarial }
    public var isBlackBox: Bool { data == .publicSplit }
}
