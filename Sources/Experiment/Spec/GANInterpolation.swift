import Backdoor
import Learning

/// Interpolation in a GAN's latent space (§3.3.1).
public struct GANInterpolation: Codable, Sendable, Hashable {
    public var tau: Double
    public var gan: GANSpec
    public var encode: EncodeSpec
}

/// WGAN-GP settings (`attack.perturbation.gan`).
public struct GANSpec: Codable, Sendable, Hashable {
    public var latent: Int
    public var classes: Classes
    public var steps: Int
    public var criticSteps: Int
    public var penalty: Double
    public var batchSize: Int
    public var learningRate: Double
    public var kernel: Int

    /// What the GAN learns to generate: the target and the next class (the thesis), or every class.
    public enum Classes: String, Codable, Sendable, Hashable, CaseIterable {
        case pair, all
    }

    enum CodingKeys: String, CodingKey {
        case latent, classes, steps, penalty, kernel
        case criticSteps = "critic_steps"
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
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

    enum CodingKeys: String, CodingKey {
        case steps, optimizer
        case stepSize = "step_size"
    }
}
