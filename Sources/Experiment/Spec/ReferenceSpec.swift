import Backdoor
import Learning

/// The model a perturbation is crafted against (`attack.perturbation.reference`).
public struct ReferenceSpec: Codable, Sendable, Hashable {
    public var training: String
    public var adversarial: AdversarialTraining
    public var data: String
    public var model: ModelSpec?
    public var train: TrainSpec?

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

    public var isAdversarial: Bool { training == "adversarial" }
    public var isBlackBox: Bool { data == "public" }
}
