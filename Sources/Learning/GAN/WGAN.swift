import Tensor

/// WGAN-GP training (Gulrajani et al.): per generator step, `criticSteps` critic steps on
/// mean D(fake) − mean D(real) + penalty · mean (‖∇D(x̂)‖ − 1)² with x̂ a random point between a real
/// and a fake image, then one generator step on −mean D(G(z)); Adam with β = (0.5, 0.9) for both.
/// Batches, latents and mixing weights are functions of (seed, step), so a resumed run is identical.
public final class WGAN {
    public struct Config: Sendable {
        public var latent = 64, kernel = 5
        public var steps = 2500, criticSteps = 5, batchSize = 256
        public var penalty: Float = 10, learningRate: Float = 1e-4
        public var seed: UInt64 = 0
        public init() {}
    }

    public let config: Config
    public let generator: Generator
    public let critic: Critic
    public let generatorOptimizer = Adam(beta1: 0.5, beta2: 0.9), criticOptimizer = Adam(beta1: 0.5, beta2: 0.9)
    public private(set) var step = 0
    /// Real images in [0, 1], [count, H, W, C] flattened.
    let images: [Float]
    let count: Int, imageSize: Int
    private let both: Tensor, xhat: Tensor, z: Tensor, dScores: Tensor, dGenerator: Tensor

    public init(images: [Float], count: Int, imageShape: [Int], config: Config) {
        precondition(count > 0 && images.count == count * imageShape.reduce(1, *))
        self.images = images
        self.count = count
        self.config = config
        imageSize = imageShape.reduce(1, *)
        generator = Generator(latent: config.latent, imageShape: imageShape, kernel: config.kernel)
        critic = Critic(imageShape: imageShape, kernel: config.kernel)
        let rng = RNG(seed: config.seed)
        generator.initialize(rng.split("generator"))
        critic.initialize(rng.split("critic"))
        // Slots exist from the start, so a checkpoint's optimizer state loads into them.
        generatorOptimizer.prepare(generator.parameters)
        criticOptimizer.prepare(critic.parameters)
        let b = config.batchSize
        both = Tensor(zeros: [2 * b] + imageShape)
        xhat = Tensor(zeros: [b] + imageShape)
        z = Tensor(zeros: [b, config.latent])
        dScores = Tensor(zeros: [2 * b, 1])
        dGenerator = Tensor(zeros: [b, 1])
    }

    public func resume(at step: Int) { self.step = step }

    /// One generator step with its critic steps; returns the last critic loss (without the penalty), the penalty and −mean D(G(z)).
    @discardableResult
    public func runStep() -> (critic: Float, penalty: Float, generator: Float) {
        let b = config.batchSize
        let lr = config.learningRate
        let stepRNG = RNG(seed: config.seed).split("step").split(UInt64(step))
        var criticLoss: Float = 0
        var penalty: Float = 0
        critic.network.needsInputGradient = false
        for c in 0..<config.criticSteps {
            var r = stepRNG.split(UInt64(c))
            // Real images first, then fakes, in one batch of 2b.
            for i in 0..<b {
                let src = r.below(count) * imageSize
                images.withUnsafeBufferPointer {
                    (both.pointer + i * imageSize).update(from: $0.baseAddress! + src, count: imageSize)
                }
            }
            for i in 0..<z.count { z[i] = r.normal() }
            let fake = generator(z, training: true)
            (both.pointer + b * imageSize).update(from: fake.pointer, count: b * imageSize)
            critic.parameters.forEach { $0.gradient.zero() }
            let scores = critic(both)
            criticLoss = 0
            for i in 0..<b {
                criticLoss += (scores[b + i] - scores[i]) / Float(b)
                dScores[i] = -1 / Float(b)
                dScores[b + i] = 1 / Float(b)
            }
            critic.backward(dScores)
            for i in 0..<b {
                let eps = r.uniform()
                let real = both.pointer + i * imageSize
                let fk = both.pointer + (b + i) * imageSize
                let x = xhat.pointer + i * imageSize
                for j in 0..<imageSize { x[j] = eps * real[j] + (1 - eps) * fk[j] }
            }
            penalty = critic.gradientPenalty(xhat, weight: config.penalty)
            criticOptimizer.step(critic.parameters, learningRate: lr)
        }
        // Generator: −mean D(G(z)), the gradient reaching the images through the critic.
        var r = stepRNG.split("generator")
        for i in 0..<z.count { z[i] = r.normal() }
        let fake = generator(z, training: true)
        critic.network.needsInputGradient = true
        let scores = critic(fake)
        var generatorLoss: Float = 0
        for i in 0..<b {
            generatorLoss -= scores[i] / Float(b)
            dGenerator[i] = -1 / Float(b)
        }
        let dImages = critic.backward(dGenerator)!
        generator.parameters.forEach { $0.gradient.zero() }
        generator.backward(dImages)
        generatorOptimizer.step(generator.parameters, learningRate: lr)
        step += 1
        return (criticLoss, penalty, generatorLoss)
    }

    /// Forward FLOPs of one generator step (critic steps included), for the cost model.
    public static func flopsPerStep(_ config: Config, imageShape: [Int]) -> Double {
        let g = Double(Generator(latent: config.latent, imageShape: imageShape, kernel: config.kernel).flopsPerImage)
        let c = Double(Critic(imageShape: imageShape, kernel: config.kernel).network.flops([1] + imageShape))
        // Critic step: G forward; critic forward + backward on 2b; penalty ≈ forward + 4 convolution passes.
        let criticStep = Double(config.batchSize) * (g + 2 * 3 * c + 3 * c)
        return Double(config.criticSteps) * criticStep + Double(config.batchSize) * 3 * (g + c)
    }
}
