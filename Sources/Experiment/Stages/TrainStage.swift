import Backdoor
import Datasets
import Foundation

extension Stage.Kind { public static let train = TrainStage.name }

/// The victim's training on its (possibly poisoned) training set, with its defence.
/// Inputs: the dataset, then the poison, the pre-training and a cleansing filter when the run has them.
public struct TrainStage: TrainsModel {
    public static let name = Stage.Kind(rawValue: "train")
    public static let outputsFile: String? = "training.json"
    public typealias Outputs = TrainingRecord

    public var architecture: ArchitectureParameters
    public var train: TrainingParameters
    public var defence: DefenceSpec
    public var seed: Int
    /// Stated whenever a defence trains (1: the DP set-up's averaged gradient, see `DPTrainer`).
    public var learningRateScale: Double?
    public var lossTracking: LossTrackingSpec?

    enum CodingKeys: String, CodingKey {
        case architecture, train, defence, seed
        case learningRateScale = "learning_rate_scale"
        case lossTracking = "loss_tracking"
    }

    public var totalSteps: Int? { train.steps }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        let victim = architecture.architecture()
        let f = model.shape(victim)
        let lastUnitOnly = defence.settings?.trainable == .lastUnit
        let batch = defence.settings?.lotSize ?? train.batchSize
        var cost = model.training(
            victim, steps: train.steps, batch: batch, trainableFlops: lastUnitOnly ? f.lastUnit : nil)
        if lastUnitOnly, !run.augments {
            // Without augmentation the frozen layers run once over the training set (DPTrainer caches
            // their outputs); each step runs only the last unit and the dense layer, forward and backward.
            let flops =
                Double(run.dataset.victimCount) * Double(f.forward - f.lastUnit)
                + Double(train.steps * batch) * 3 * Double(f.lastUnit)
            cost.flops = flops
            // The widest convolutions dominate here, the core's fastest: use the best measured training rate.
            cost.seconds = flops / ((model.rates.training.map(\.gflops).max() ?? 100) * 1e9)
            cost.memoryBytes += Double(run.dataset.victimCount * f.activations / 8 * 4)
        }
        if let tracking = lossTracking {
            // Each record evaluates the poisoned samples with and without the trigger, and a sample of all images.
            let records = Double(train.steps / tracking.every)
            let extra = model.inference(victim, images: records * Double(2 * run.poisonCount + 1000))
            cost.flops += extra.flops
            cost.seconds += extra.seconds
        }
        return cost
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        var images = data.train
        var tracking: (LossTracking, every: Int)?
        if let key = context.inputs(of: stage, PoisonStage.self).first?.key {
            let poison = try context.poison(key)
            // The same images as trained on, and as they were before the trigger (perturbed, if they were).
            var untriggered = images.subset(poison.indices)
            untriggered.labels = poison.labels
            if let perturbKey = context.plan.stage(key)?.inputs.dropFirst().first {
                let perturbed = try context.perturbedImages(perturbKey, imageSize: images.imageSize)
                let size = images.imageSize
                for (j, i) in poison.indices.enumerated() {
                    if let img = perturbed[i] {
                        untriggered.images.replaceSubrange((j * size)..<((j + 1) * size), with: img)
                    }
                }
            }
            images = poison.apply(to: images)
            if let spec = lossTracking {
                let tracker = LossTracking(
                    training: images, poisoned: images.subset(poison.indices), untriggered: untriggered,
                    seed: UInt64(seed))
                tracking = (tracker, spec.every)
            }
        }
        // A cleansing defence's removals: the victim retrains on the rest.
        if let filter = context.inputs(of: stage, FilterStage.self).first {
            let removed = Set(try Artifacts.readIndices(try context.dir(filter.key) + "/removed.npy"))
            images = images.subset((0..<images.count).filter { !removed.contains($0) })
            tracking = nil
        }
        let pretrained = try context.inputs(of: stage, PretrainStage.self).first.map {
            try context.dir($0.key) + "/model.safetensors"
        }
        var job = NetworkTraining(
            architecture: architecture.architecture(mean: data.mean, std: data.std), training: train, seed: seed,
            data: images, pretrained: pretrained, defence: defence)
        job.rateScale = learningRateScale ?? 1
        job.tracking = tracking
        if case .abl(let abl) = defence {
            // Local gradient ascent until the isolation, then plain training.
            let isolationStep = max(1, Int((abl.isolationShare * Double(train.steps)).rounded()))
            let gamma = Float(abl.gamma)
            job.lossScale = { loss, step in
                step < isolationStep ? AntiBackdoorLearning.localGradientAscentScale(loss: loss, gamma: gamma) : 1
            }
            job.isolation = (isolationStep, abl.isolationRate)
        }
        try context.write(try context.fit(stage, job, into: out), of: TrainStage.self, into: out)
    }
}
