import Backdoor
import Learning

/// A PGD attack as a stage runs it: ε and step on the raw 0–255 scale of the dataset's images.
public struct PGDParameters: Codable, Sendable, Hashable {
    public var norm: PGD.Norm
    public var epsilon: Double
    public var steps: Int
    public var stepSize: Double
    public var randomStart: Bool

    enum CodingKeys: String, CodingKey {
        case norm, epsilon, steps
        case stepSize = "step_size"
        case randomStart = "random_start"
    }

    /// ℓ2 radii in thesis units are for 32×32×3 images; the step defaults to 2.5·ε/steps.
    init(
        norm: PGD.Norm, epsilon: Double, units: EpsilonUnits, steps: Int, stepSize: Double?, randomStart: Bool,
        shape: [Int]
    ) {
        let eps = rawEpsilon(epsilon, norm: norm, shape: shape, units: units)
        self.norm = norm
        self.epsilon = eps
        self.steps = steps
        self.stepSize =
            stepSize.map { rawEpsilon($0, norm: norm, shape: shape, units: units) }
            ?? 2.5 * eps / Double(steps)
        self.randomStart = randomStart
    }

    /// The attack for `Perturbations.pgd` and adversarial training.
    public var attack: PGD {
        PGD(norm: norm, epsilon: Float(epsilon), steps: steps, stepSize: Float(stepSize), randomStart: randomStart)
    }
}
