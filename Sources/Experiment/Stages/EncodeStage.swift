import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let encode = EncodeStage.name }

/// Latent codes of the images that become poisons and, for each, of a random image of another class
/// to move towards. Inputs: the dataset and the GAN.
public struct EncodeStage: StageKind {
    public static let name = Stage.Kind(rawValue: "encode")
    public static let outputsFile: String? = "encoding.json"

    public var encode: EncodeSpec
    public var classes: [Int]
    public var target: Int
    public var count: Int
    public var seed: Int

    /// What `encoding.json` holds: how well the GAN reconstructs the images.
    public struct Outputs: Codable, Sendable {
        public var images: Int
        public var medianError: Double
        public var meanError: Double
        public var error = "‖x − G(z)‖₂ on the [0, 1] scale"

        enum CodingKeys: String, CodingKey {
            case images, error
            case medianError = "median_error"
            case meanError = "mean_error"
        }
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        // Only the images that become poisons are encoded, with as many images of other classes to move towards.
        let gan = inputs.compactMap { ($0 as? GANStage)?.gan }.first
        let g = Double(
            Generator(latent: gan?.latent ?? 64, imageShape: run.dataset.shape, kernel: gan?.kernel ?? 5).flopsPerImage)
        let flops = Double(2 * count) * Double(encode.steps) * 3 * g
        return Cost(
            flops: flops, seconds: flops / (model.rates.gan(for: run.dataset.shape).encode * 1e9), memoryBytes: 3e8,
            diskBytes: Double(2 * count * (gan?.latent ?? 64)) * 4)
    }

    public func caption(_ file: String, inputs: Int) -> String? {
        file == "reconstructions.png"
            ? "Top row: the images to encode; below: the GAN's reconstruction G(z) of each." : nil
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let g = try GANStage.generator(stage.inputs[1], in: context, shape: data.train.shape)
        let candidates = data.train.indices(of: target)
        guard count <= candidates.count else {
            throw StageFailure("asked to encode \(count) images of class \(target), which has \(candidates.count)")
        }
        // The images that become poisons (the poison stage's order) and, for each, a random image of another class.
        let targets = Array(Poisoning.order(candidates, seed: UInt64(seed), salt: "clean").prefix(count))
        let others = Set(classes).subtracting([target])
        let pool = data.train.labels.indices.filter { others.contains(data.train.labels[$0]) }
        guard !pool.isEmpty else { throw StageFailure("no images of another class to interpolate towards") }
        var r = RNG(seed: UInt64(seed)).split("gan-source")
        let sources = targets.map { _ in pool[r.below(pool.count)] }
        let title = "encode \(stage.shortKey)"
        let (codes, errors) = LatentInversion.encode(
            g, images: LatentInterpolation.unitImages(data.train, targets + sources), count: 2 * count,
            steps: encode.steps,
            stepSize: Float(encode.stepSize), method: encode.optimizer
        ) { done, total in
            context.progress.update(title, done: done, total: total)
        }
        try NPY.write(NPYArray(shape: [2 * count, g.latent], values: .float32(codes)), to: out + "/codes.npy")
        try NPY.write(NPYArray(shape: [2 * count], values: .float32(errors)), to: out + "/errors.npy")
        try Artifacts.writeIndices(targets, out + "/targets.npy")
        try Artifacts.writeIndices(sources, out + "/sources.npy")
        let sorted = errors.sorted()
        try context.write(
            Outputs(
                images: 2 * count, medianError: Double(sorted[sorted.count / 2]),
                meanError: Double(errors.reduce(0, +) / Float(errors.count))), of: EncodeStage.self, into: out)
        // Originals above their reconstructions, for the first ten poisons.
        let n = min(10, count)
        let size = data.train.imageSize
        let recon = LatentInterpolation.generate(g, codes: Array(codes.prefix(n * g.latent)), count: n)
        let originals = targets.prefix(n).flatMap { Array(data.train.image($0)) }
        try Artifacts.writeBytes(
            gridPNG([originals, Array(recon.prefix(n * size))], columns: n, shape: data.train.shape),
            out + "/reconstructions.png")
    }
}
