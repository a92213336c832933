import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let repair = RepairStage.name }

/// Repairs a trained victim with trusted clean images: fine-tuning, or fine-pruning (dormant last-layer
/// channels pruned while clean accuracy allows, then fine-tuning). Inputs: the dataset, the poison when the
/// run has one (its images are not among the clean ones), and the victim's training.
public struct RepairStage: TrainsModel {
    public static let name = Stage.Kind(rawValue: "repair")
    public static let outputsFile: String? = "training.json"
    public typealias Outputs = TrainingRecord

    public var method: DefenceSpec
    public var architecture: ArchitectureParameters
    /// The fine-tuning, steps counted for the clean images.
    public var train: TrainingParameters
    public var cleanImages: Int
    public var seed: Int

    enum CodingKeys: String, CodingKey {
        case method, architecture, train, seed
        case cleanImages = "clean_images"
    }

    /// What `repair.json` holds beside the fine-tuning's record.
    public struct Record: Codable, Sendable {
        public var cleanImages: Int
        /// Pruned channels, in pruning order, and the clean accuracy before and after each.
        public var prunedChannels: [Int]
        public var accuracies: [Double]

        enum CodingKeys: String, CodingKey {
            case accuracies
            case cleanImages = "clean_images"
            case prunedChannels = "pruned_channels"
        }
    }

    public var totalSteps: Int? { train.steps }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        var cost = model.training(architecture.architecture(), steps: train.steps, batch: train.batchSize)
        let scan = model.inference(architecture.architecture(), images: Double(cleanImages))
        cost.flops += scan.flops
        cost.seconds += scan.seconds
        return cost
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let clean = try context.trustedCleanImages(cleanImages, of: stage, data: data, seed: seed)
        guard let victimKey = context.inputs(of: stage, TrainStage.self).first?.key else {
            throw StageFailure("a repair needs the victim's training among its inputs")
        }
        var pruned: [Int] = []
        var accuracies: [Double] = []
        if case .finePruning(let settings) = method {
            let victim = try context.trainedModel(victimKey, data: data)
            (pruned, accuracies) = try channelsToPrune(victim, clean: clean, maxDrop: settings.maxAccuracyDrop ?? 0.05)
        }
        var job = NetworkTraining(
            architecture: architecture.architecture(mean: data.mean, std: data.std), training: train, seed: seed,
            data: try unlearningSet(clean, stage: stage, context: context),
            pretrained: try context.dir(victimKey) + "/model.safetensors")
        if case .abl = method {
            // ABL unlearns the images it isolated, as trained on, by gradient ascent.
            var poisoned = data.train
            if let p = context.inputs(of: stage, PoisonStage.self).first {
                poisoned = try context.poison(p.key).apply(to: poisoned)
            }
            job.data = poisoned.subset(try Artifacts.readIndices(try context.dir(victimKey) + "/isolated.npy"))
            job.lossScale = { _, _ in -1 }
        }
        if !pruned.isEmpty { job.constrain = { [pruned] model in FinePruning.prune(model, channels: pruned) } }
        try context.write(try context.fit(stage, job, into: out), of: RepairStage.self, into: out)
        try Artifacts.writeJSON(
            Record(cleanImages: clean.count, prunedChannels: pruned, accuracies: accuracies), out + "/repair.json")
    }

    /// Neural Cleanse's unlearning set: the clean images, a share of them carrying the flagged class's
    /// reversed trigger with their true labels; the clean images alone for the other repairs or when no
    /// class is flagged.
    func unlearningSet(_ clean: Dataset, stage: Stage, context: StageContext) throws -> Dataset {
        guard case .neuralCleanse(let settings) = method,
            let reverse = context.inputs(of: stage, ReverseStage.self).first,
            let flagged = try context.outputs(reverse.key, of: ReverseStage.self).flaggedClass
        else { return clean }
        let dir = try context.dir(reverse.key)
        guard case .float32(let masks) = try NPY.read(dir + "/masks.npy").values,
            case .float32(let patterns) = try NPY.read(dir + "/patterns.npy").values
        else { throw StageFailure("\(dir): the reversed triggers are not float32 arrays") }
        let pixels = clean.height * clean.width
        let trigger = NeuralCleanse.Trigger(
            mask: Array(masks[(flagged * pixels)..<((flagged + 1) * pixels)]),
            pattern: Array(patterns[(flagged * pixels * clean.channels)..<((flagged + 1) * pixels * clean.channels)]),
            successRate: 0)
        var order = RNG(seed: UInt64(seed)).split("unlearning")
        let stamped = Array(
            order.permutation(clean.count).prefix(Int((settings.stampedFraction * Double(clean.count)).rounded())))
        var out = clean
        for i in stamped {
            let x = Tensor(
                shape: [1, clean.height, clean.width, clean.channels], values: clean.image(i).map(Float.init))
            NeuralCleanse.stamp(trigger, on: x, height: clean.height, width: clean.width, channels: clean.channels)
            for k in 0..<clean.imageSize {
                out.images[i * clean.imageSize + k] = UInt8(max(0, min(255, x[k].rounded())))
            }
        }
        return out
    }

    /// Fine-pruning's channels: least active on the clean images first, while their accuracy allows.
    func channelsToPrune(_ victim: Model, clean: Dataset, maxDrop: Double) throws -> ([Int], [Double]) {
        guard let dense = victim.network.layers.last as? Linear else {
            throw StageFailure("fine-pruning needs a network that ends in a dense layer")
        }
        let (f, dim) = features(victim, on: clean)
        let weight = (0..<dense.weight.value.count).map { dense.weight.value[$0] }
        let bias = (0..<dense.bias.value.count).map { dense.bias.value[$0] }
        return FinePruning.channelsToPrune(
            order: FinePruning.order(features: f, rows: clean.count, dim: dim), maxDrop: maxDrop
        ) {
            FinePruning.accuracy(
                features: f, rows: clean.count, dim: dim, labels: clean.labels, weight: weight, bias: bias, pruned: $0)
        }
    }
}
