import Foundation

extension Stage.Kind { public static let pretrain = PretrainStage.name }

/// Pre-training for the defended transfer set-up: on the public split, or on CIFAR-100's superclasses.
/// Inputs: the dataset.
public struct PretrainStage: StageKind {
    public static let name = Stage.Kind(rawValue: "pretrain")
    public static let outputsFile: String? = "training.json"
    public typealias Outputs = TrainingRecord

    public var architecture: ArchitectureParameters
    public var train: TrainingParameters
    public var data: Pretraining.Source
    /// CIFAR-100's directory; "default" otherwise.
    public var path: String
    public var seed: Int

    public var totalSteps: Int? { train.steps }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        model.training(architecture.architecture(), steps: train.steps, batch: train.batchSize)
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        var arch = architecture.architecture(mean: data.mean, std: data.std)
        var images = data.publicSplit
        if self.data == .cifar100 {
            images = try context.data.load(.init(name: .cifar100, path: path, labels: .coarse)).train
            arch.classes = images.classes
            guard images.shape == arch.inputShape else {
                throw StageFailure("CIFAR-100 images are \(images.shape), the victim's \(arch.inputShape)")
            }
        }
        guard images.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
        let record = try context.fit(
            stage, NetworkTraining(architecture: arch, training: train, seed: seed, data: images, pretrained: nil),
            into: out)
        try context.write(record, of: PretrainStage.self, into: out)
    }
}
