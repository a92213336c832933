import Backdoor
import Learning

/// How poisoned images are made hard to classify before the trigger (`attack.perturbation`).
public enum PerturbationSpec: Codable, Sendable, Hashable {
    case none
    case pgd(PGDPerturbation)
    case ganInterpolation(GANInterpolation)
    case pixelInterpolation(tau: Double, source: String)
    case gaussianNoise(sigma: Double)

    enum CodingKeys: String, CodingKey { case kind, tau, source, sigma }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "none": self = .none
        case "pgd": self = .pgd(try PGDPerturbation(from: decoder))
        case "gan_interpolation": self = .ganInterpolation(try GANInterpolation(from: decoder))
        case "pixel_interpolation":
            self = .pixelInterpolation(
                tau: try c.decode(Double.self, forKey: .tau), source: try c.decode(String.self, forKey: .source))
        case "gaussian_noise": self = .gaussianNoise(sigma: try c.decode(Double.self, forKey: .sigma))
        case let other: throw SpecDecodingError("perturbation kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .none: break
        case let .pgd(p): try p.encode(to: encoder)
        case let .ganInterpolation(g): try g.encode(to: encoder)
        case let .pixelInterpolation(tau, source):
            try c.encode(tau, forKey: .tau)
            try c.encode(source, forKey: .source)
        case let .gaussianNoise(sigma): try c.encode(sigma, forKey: .sigma)
        }
    }

    /// Its name in the spec language.
    public var kind: String {
        switch self {
        case .none: return "none"
        case .pgd: return "pgd"
        case .ganInterpolation: return "gan_interpolation"
        case .pixelInterpolation: return "pixel_interpolation"
        case .gaussianNoise: return "gaussian_noise"
        }
    }
}

/// PGD against a reference model (§3.4).
public struct PGDPerturbation: Codable, Sendable, Hashable {
    public var norm: PGD.Norm
    public var epsilon: Double
    public var epsilonUnits: String
    public var steps: Int
    public var stepSize: Double?
    public var randomStart: Bool
    public var reference: ReferenceSpec

    enum CodingKeys: String, CodingKey {
        case norm, epsilon, steps, reference
        case epsilonUnits = "epsilon_units", stepSize = "step_size", randomStart = "random_start"
    }

    /// The attack on the raw 0–255 scale of images of `shape`.
    public func resolved(shape: [Int]) -> PGDParameters {
        PGDParameters(
            norm: norm, epsilon: epsilon, units: epsilonUnits, steps: steps, stepSize: stepSize, randomStart: randomStart,
            shape: shape)
    }
}

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
            case norm, epsilon, steps, stepSize = "step_size", randomStart = "random_start"
        }
    }

    public var isAdversarial: Bool { training == "adversarial" }
    public var isBlackBox: Bool { data == "public" }
}

/// A PGD attack as a stage runs it: ε and step on the raw 0–255 scale of the dataset's images.
public struct PGDParameters: Codable, Sendable, Hashable {
    public var norm: PGD.Norm
    public var epsilon: Double
    public var steps: Int
    public var stepSize: Double
    public var randomStart: Bool

    enum CodingKeys: String, CodingKey {
        case norm, epsilon, steps, stepSize = "step_size", randomStart = "random_start"
    }

    /// ℓ2 radii in thesis units are for 32×32×3 images; the step defaults to 2.5·ε/steps.
    init(norm: PGD.Norm, epsilon: Double, units: String, steps: Int, stepSize: Double?, randomStart: Bool, shape: [Int]) {
        let eps = rawEpsilon(epsilon, norm: norm.rawValue, shape: shape, units: units)
        self.norm = norm
        self.epsilon = eps
        self.steps = steps
        self.stepSize =
            stepSize.map { units == "thesis" ? rawEpsilon($0, norm: norm.rawValue, shape: shape, units: units) : $0 }
            ?? 2.5 * eps / Double(steps)
        self.randomStart = randomStart
    }

    /// The attack for `Perturbations.pgd` and adversarial training.
    public var attack: PGD {
        PGD(norm: norm, epsilon: Float(epsilon), steps: steps, stepSize: Float(stepSize), randomStart: randomStart)
    }
}

/// Interpolation in a GAN's latent space (§3.3.1).
public struct GANInterpolation: Codable, Sendable, Hashable {
    public var tau: Double
    public var gan: GANSpec
    public var encode: EncodeSpec
}

/// WGAN-GP settings (`attack.perturbation.gan`).
public struct GANSpec: Codable, Sendable, Hashable {
    public var latent: Int
    /// `pair` (the target and the next class) or `all`.
    public var classes: String
    public var steps: Int
    public var criticSteps: Int
    public var penalty: Double
    public var batchSize: Int
    public var learningRate: Double
    public var kernel: Int

    enum CodingKeys: String, CodingKey {
        case latent, classes, steps, penalty, kernel
        case criticSteps = "critic_steps", batchSize = "batch_size", learningRate = "learning_rate"
    }

    /// The trainer's settings.
    public func config(seed: Int) -> WGAN.Config {
        var c = WGAN.Config()
        c.latent = latent
        c.kernel = kernel
        c.steps = steps
        c.criticSteps = criticSteps
        c.batchSize = batchSize
        c.penalty = Float(penalty)
        c.learningRate = Float(learningRate)
        c.seed = UInt64(seed)
        return c
    }
}

/// Latent inversion settings (`attack.perturbation.encode`).
public struct EncodeSpec: Codable, Sendable, Hashable {
    public var steps: Int
    public var stepSize: Double
    public var optimizer: LatentInversion.Method

    enum CodingKeys: String, CodingKey { case steps, optimizer, stepSize = "step_size" }
}
