import Backdoor
import Learning

/// PGD against a reference model (§3.4).
public struct PGDPerturbation: Codable, Sendable, Hashable {
    public var norm: PGD.Norm
    public var epsilon: Double
    public var epsilonUnits: EpsilonUnits
    public var steps: Int
    public var stepSize: Double?
    public var randomStart: Bool
    public var reference: ReferenceSpec

    enum CodingKeys: String, CodingKey {
        case norm, epsilon, steps, reference
        case epsilonUnits = "epsilon_units"
        case stepSize = "step_size"
        case randomStart = "random_start"
    }

    /// The attack on the raw 0–255 scale of images of `shape`.
    public func resolved(shape: [Int]) -> PGDParameters {
        PGDParameters(
            norm: norm, epsilon: epsilon, units: epsilonUnits, steps: steps, stepSize: stepSize,
            randomStart: randomStart,
            shape: shape)
    }
}
