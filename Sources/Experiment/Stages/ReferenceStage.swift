import Backdoor
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let trainReference = ReferenceStage.name }

/// The model perturbations are crafted against: standard or PGD adversarial training, on the victim's
/// data (white box) or the public split (black box). Inputs: the dataset.
public struct ReferenceStage: StageKind {
    public static let name = Stage.Kind(rawValue: "train_reference")
    public static let outputsFile: String? = "training.json"
    /// 2: trains with `trainingSeed(seed)`, not the spec's seed itself.
    public static let version = 2
    public typealias Outputs = TrainingRecord

    public var architecture: ArchitectureParameters
    public var train: TrainingParameters
    public var training: ReferenceSpec.Training
    public var data: DataSplit
    public var seed: Int
    public var adversarial: PGDParameters?

    public var totalSteps: Int? { train.steps }

    /// The seed the reference trains with: a stream of `seed` apart from the victims'. A victim trains with the
    /// spec's seed itself; a reference of the same architecture and batch size trained with that seed would start
    /// from that victim's initial weights and see its batches in the same order, and perturbations crafted on it
    /// would transfer to that one victim far better than to an independent one (the thesis's reference and
    /// victim are independent networks).
    public static func trainingSeed(_ seed: Int) -> Int {
        Int(truncatingIfNeeded: RNG(seed: UInt64(truncatingIfNeeded: seed)).split("reference").seed >> 1)
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        // Adversarial training adds, per image, k PGD steps of a forward and an input-gradient backward.
        model.training(
            architecture.architecture(), steps: train.steps, batch: train.batchSize,
            extraForwardBackward: adversarial?.steps ?? 0)
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let prepared = try context.preparedData(stage.inputs[0])
        let images = data == .publicSplit ? prepared.publicSplit : prepared.train
        guard images.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
        let attack = adversarial?.attack
        var job = NetworkTraining(
            architecture: architecture.architecture(mean: prepared.mean, std: prepared.std), training: train,
            seed: Self.trainingSeed(seed),
            data: images, pretrained: nil)
        job.adversarial = attack
        var record = try context.fit(stage, job, into: out)
        // How robust it came out: accuracy on clean and on PGD-attacked test images (20 steps, same ε).
        let model = job.architecture.build()
        try model.load(from: out + "/model.safetensors")
        let sample = prepared.test.subset(Array(0..<min(1000, prepared.test.count)))
        record.testAccuracy = predict(model, on: sample).accuracy
        if let a = attack {
            var strong = a
            strong.steps = 20
            strong.stepSize = 2.5 * a.epsilon / 20
            var attacked = sample
            attacked.images = Perturbations.pgd(
                sample, indices: Array(0..<sample.count), model: model, attack: strong, seed: 99)
            record.adversarialTestAccuracy = predict(model, on: attacked).accuracy
        }
        try context.write(record, of: ReferenceStage.self, into: out)
    }
}
