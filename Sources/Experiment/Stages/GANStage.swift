import Backdoor
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let trainGAN = GANStage.name }

/// WGAN-GP on the images of the classes the interpolation attack moves between. Inputs: the dataset.
public struct GANStage: StageKind {
    public static let name = Stage.Kind(rawValue: "train_gan")
    public static let outputsFile: String? = "training.json"

    public var gan: GANSpec
    public var classes: [Int]
    public var seed: Int

    /// What `training.json` holds.
    public struct Outputs: Codable, Sendable {
        public var steps: Int
        public var images: Int
        public var classes: [Int]
        public var lossCurveColumns = ["step", "critic_loss", "penalty", "generator_loss"]
        public var lossCurve: [[Double]]

        enum CodingKeys: String, CodingKey {
            case steps, images, classes
            case lossCurveColumns = "loss_curve_columns"
            case lossCurve = "loss_curve"
        }
    }

    /// What a checkpoint holds besides the tensors.
    struct State: CheckpointState {
        var step = 0
        var seconds = 0.0
        var lossCurve: [[Double]] = []
        enum CodingKeys: String, CodingKey {
            case step, seconds
            case lossCurve = "loss_curve"
        }
    }

    public var totalSteps: Int? { gan.steps }

    public func caption(_ file: String, inputs: Int) -> String? {
        file == "samples.png" ? "64 samples of the GAN from fixed latent codes." : nil
    }

    /// The trained generator of the train_gan stage `key`.
    static func generator(_ key: String, in context: StageContext, shape: [Int]) throws -> Generator {
        let gan = try context.work(key, as: GANStage.self).gan
        let g = Generator(latent: gan.latent, imageShape: shape, kernel: gan.kernel)
        try g.load(from: try context.dir(key) + "/generator.safetensors")
        return g
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        // WGAN-GP on the chosen classes; its cost from the generator's and critic's layer shapes.
        let flops = Double(gan.steps) * WGAN.flopsPerStep(gan.config(seed: seed), imageShape: run.dataset.shape)
        return Cost(
            flops: flops, seconds: flops / (model.rates.gan(for: run.dataset.shape).training * 1e9),
            memoryBytes: Double(gan.batchSize) * run.imageBytes * 4 * 40 + 2e8, diskBytes: 2e7)
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let chosen = Set(classes)
        let indices = data.train.labels.indices.filter { chosen.contains(data.train.labels[$0]) }
        guard !indices.isEmpty else {
            throw StageFailure("no training images of classes \(chosen.sorted()) to train the GAN on")
        }
        let config = gan.config(seed: seed)
        let wgan = WGAN(
            images: LatentInterpolation.unitImages(data.train, indices), count: indices.count,
            imageShape: data.train.shape, config: config)
        let training = ResumableGAN(wgan)
        var state = State()
        try context.runCheckpointed(stage, training, total: config.steps, state: &state, defaultEvery: 100) {
            step, _, state in
            guard step % max(1, config.steps / 100) == 0 || step == config.steps else { return nil }
            let l = training.last
            state.lossCurve.append([Double(step), Double(l.critic), Double(l.penalty), Double(l.generator)])
            return String(format: "critic %.3f, penalty %.3f", l.critic, l.penalty)
        }
        try wgan.generator.save(to: out + "/generator.safetensors", metadata: ["stage": stage.key])
        try wgan.critic.save(to: out + "/critic.safetensors", metadata: ["stage": stage.key])
        // 64 samples from fixed latents, to look at.
        var r = RNG(seed: UInt64(seed)).split("gan-samples")
        let z = (0..<(64 * config.latent)).map { _ in r.normal() }
        let samples = LatentInterpolation.generate(wgan.generator, codes: z, count: 64)
        try Artifacts.writeBytes(gridPNG([samples], columns: 8, shape: data.train.shape), out + "/samples.png")
        try context.write(
            Outputs(steps: config.steps, images: indices.count, classes: chosen.sorted(), lossCurve: state.lossCurve),
            of: GANStage.self, into: out)
    }
}

/// A WGAN-GP as a resumable training: generator, critic and both optimizers.
final class ResumableGAN: Resumable {
    let wgan: WGAN
    private(set) var last: (critic: Float, penalty: Float, generator: Float) = (0, 0, 0)
    init(_ wgan: WGAN) { self.wgan = wgan }

    var step: Int { wgan.step }
    func advance() -> Float {
        last = wgan.runStep()
        return last.critic + last.generator
    }
    func resume(at step: Int) { wgan.resume(at: step) }
    var holders: [any StateHolder] { [wgan.generator, wgan.critic] }
    func save(into dir: String) throws {
        try wgan.generator.save(to: dir + "/generator.safetensors")
        try wgan.critic.save(to: dir + "/critic.safetensors")
        try SafeTensors.write(wgan.generatorOptimizer.state, to: dir + "/generator_optimizer.safetensors")
        try SafeTensors.write(wgan.criticOptimizer.state, to: dir + "/critic_optimizer.safetensors")
    }
    func load(from dir: String) throws {
        try wgan.generator.load(from: dir + "/generator.safetensors")
        try wgan.critic.load(from: dir + "/critic.safetensors")
        try wgan.generatorOptimizer.loadState(try SafeTensors.read(dir + "/generator_optimizer.safetensors").tensors)
        try wgan.criticOptimizer.loadState(try SafeTensors.read(dir + "/critic_optimizer.safetensors").tensors)
    }
}
