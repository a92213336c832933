import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let perturb = PerturbStage.name }

/// Perturbed versions of the target class's training images, shared by every poisoning fraction.
/// Inputs: the dataset; for PGD the reference model; for GAN interpolation the GAN and the encoding.
public struct PerturbStage: StageKind {
    public static let name = Stage.Kind(rawValue: "perturb")

    public var method: Method
    public var target: Int
    public var seed: Int

    /// How the images are perturbed.
    public enum Method: Sendable, Hashable {
        case pgd(PGDParameters)
        case gaussianNoise(sigma: Double)
        case pixelInterpolation(tau: Double, source: DataSplit)
        /// The `count` images that become poisons, moved `tau` towards another class.
        case ganInterpolation(count: Int, tau: Double)
    }

    // Flat, with the method's name as `kind`: the keys of every version so far.
    enum CodingKeys: String, CodingKey { case kind, target, seed, sigma, tau, source, count }

    public init(method: Method, target: Int, seed: Int) {
        self.method = method
        self.target = target
        self.seed = seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decode(Int.self, forKey: .target)
        seed = try c.decode(Int.self, forKey: .seed)
        switch try c.decode(String.self, forKey: .kind) {
        case "pgd": method = .pgd(try PGDParameters(from: decoder))
        case "gaussian_noise": method = .gaussianNoise(sigma: try c.decode(Double.self, forKey: .sigma))
        case "pixel_interpolation":
            method = .pixelInterpolation(
                tau: try c.decode(Double.self, forKey: .tau), source: try c.decode(DataSplit.self, forKey: .source))
        case "gan_interpolation":
            method = .ganInterpolation(
                count: try c.decode(Int.self, forKey: .count), tau: try c.decode(Double.self, forKey: .tau))
        case let other: throw SpecDecodingError("perturbation kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(seed, forKey: .seed)
        switch method {
        case .pgd(let p):
            try c.encode("pgd", forKey: .kind)
            try p.encode(to: encoder)
        case .gaussianNoise(let sigma):
            try c.encode("gaussian_noise", forKey: .kind)
            try c.encode(sigma, forKey: .sigma)
        case .pixelInterpolation(let tau, let source):
            try c.encode("pixel_interpolation", forKey: .kind)
            try c.encode(tau, forKey: .tau)
            try c.encode(source, forKey: .source)
        case .ganInterpolation(let count, let tau):
            try c.encode("gan_interpolation", forKey: .kind)
            try c.encode(count, forKey: .count)
            try c.encode(tau, forKey: .tau)
        }
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        let images = Double(run.classImages)
        var cost = Cost(flops: images * run.imageBytes * 4, diskBytes: images * run.imageBytes)
        switch method {
        case .pgd(let p):
            guard let reference = inputs.compactMap({ $0 as? ReferenceStage }).first?.architecture.architecture() else {
                return cost
            }
            // The reference network's own rate for forward + input-gradient steps (ResNet-8 and ResNet-32 differ).
            let steps = model.inputGradient(reference, images: images * Double(p.steps))
            (cost.flops, cost.seconds) = (steps.flops, steps.seconds)
            cost.memoryBytes = Double(model.shape(reference).activations * 500 * 4)
        case .ganInterpolation(let count, _):
            let gan = inputs.compactMap { ($0 as? GANStage)?.gan }.first
            let g = Double(
                Generator(latent: gan?.latent ?? 64, imageShape: run.dataset.shape, kernel: gan?.kernel ?? 5)
                    .flopsPerImage)
            let n = Double(count)
            cost = Cost(
                flops: n * g, seconds: n * g / (model.rates.inference(for: run.dataset.shape) * 1e9), memoryBytes: 2e8,
                diskBytes: n * run.imageBytes)
        case .gaussianNoise, .pixelInterpolation: break
        }
        return cost
    }

    public func caption(_ file: String, inputs: Int) -> String? {
        guard case .ganInterpolation(_, let tau) = method else { return nil }
        switch file {
        case "interpolations.png":
            return
                "Top row: the target-class images; below, one row per τ of {0, 0.1, 0.2, 0.3, \(Value.number(tau).text)} in increasing order, moving towards another class's image."
        case "strips.png":
            return
                "Each row: the target-class image, G((1 − τ)z₁ + τz₂) for τ = 0, 0.1, …, 1, then the other class's image."
        default: return nil
        }
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        var indices = data.train.indices(of: target)
        let images: [UInt8]
        switch method {
        case .ganInterpolation(_, let tau):
            (indices, images) = try interpolate(stage, tau: Float(tau), data: data, in: context, into: out)
        case .gaussianNoise(let sigma):
            images = Perturbations.gaussianNoise(data.train, indices: indices, sigma: Float(sigma), seed: UInt64(seed))
        case .pixelInterpolation(let tau, let source):
            let from = source == .publicSplit ? data.publicSplit : data.train
            guard from.count > 0 else {
                throw StageFailure("the public split is empty: set dataset.public_fraction > 0")
            }
            images = Perturbations.pixelInterpolation(
                data.train, indices: indices, tau: Float(tau), source: from, seed: UInt64(seed))
        case .pgd(let p):
            let reference = try context.work(stage.inputs[1], as: ReferenceStage.self)
            let model = try context.model(stage.inputs[1], architecture: reference.architecture, data: data)
            let title = "perturb \(stage.shortKey)"
            images = Perturbations.pgd(data.train, indices: indices, model: model, attack: p.attack, seed: UInt64(seed))
            {
                done, total in
                context.progress.update(title, done: min(done, total), total: total)
            }
        }
        try Artifacts.writeIndices(indices, out + "/indices.npy")
        try Artifacts.writeImages(images, count: indices.count, shape: data.train.shape, out + "/images.npy")
    }

    /// G((1 − τ)z₁ + τz₂) for every encoded poison; writes the interpolation figures beside.
    private func interpolate(_ stage: Stage, tau: Float, data: PreparedData, in context: StageContext, into out: String)
        throws -> (indices: [Int], images: [UInt8])
    {
        let g = try GANStage.generator(stage.inputs[1], in: context, shape: data.train.shape)
        let encoding = try context.dir(stage.inputs[2])
        guard case .float32(let codes) = try NPY.read(encoding + "/codes.npy").values else {
            throw StageFailure("codes.npy: expected float32")
        }
        let targets = try Artifacts.readIndices(encoding + "/targets.npy")
        let sources = try Artifacts.readIndices(encoding + "/sources.npy")
        let n = targets.count
        func mix(_ t: Float, _ i: Int) -> [Float] {
            LatentInterpolation.mix(codes, pairs: n, latent: g.latent, tau: t, pair: i)
        }
        let images = LatentInterpolation.interpolated(g, codes: codes, pairs: n, tau: tau)
        // Strips from τ = 0 to 1 between the first five pairs, originals at both ends (thesis fig 3-3).
        let taus = (0...10).map { Float($0) / 10 }
        let strips = (0..<min(5, n)).map { i -> [UInt8] in
            Array(data.train.image(targets[i]))
                + LatentInterpolation.generate(g, codes: taus.flatMap { mix($0, i) }, count: taus.count)
                + Array(data.train.image(sources[i]))
        }
        try Artifacts.writeBytes(gridPNG(strips, columns: 13, shape: data.train.shape), out + "/strips.png")
        // Originals above their interpolations at τ = 0, 0.1, 0.2, 0.3 and this stage's τ (appendix A.3.1).
        let m = min(10, n)
        var rows = [targets.prefix(m).flatMap { Array(data.train.image($0)) }]
        for t in Array(Set([0, 0.1, 0.2, 0.3, tau])).sorted() {
            rows.append(LatentInterpolation.generate(g, codes: (0..<m).flatMap { mix(t, $0) }, count: m))
        }
        try Artifacts.writeBytes(gridPNG(rows, columns: m, shape: data.train.shape), out + "/interpolations.png")
        return (targets, images)
    }
}
