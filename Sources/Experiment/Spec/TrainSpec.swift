import Learning

/// How a network is trained (`train`, and the trainings of reference, pre-training and filter).
public struct TrainSpec: Codable, Sendable, Hashable {
    public var optimizer: OptimizerSpec
    public var batchSize: Int
    public var steps: Int
    public var epochs: Double?
    public var learningRate: LearningRateSpec
    public var augmentation: AugmentationSpec
    public var checkpointEvery: Int

    enum CodingKeys: String, CodingKey {
        case optimizer, steps, epochs, augmentation
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case checkpointEvery = "checkpoint_every"
    }

    /// Steps for a training set of `count` images.
    public func totalSteps(count: Int) -> Int {
        if let e = epochs { return TrainingConfig.steps(epochs: e, count: count, batchSize: batchSize) }
        return steps
    }

    /// The resolved settings a training stage's key hashes (steps counted, augmentation spelt out).
    public func resolved(steps: Int) -> TrainingParameters {
        TrainingParameters(
            optimizer: optimizer, batchSize: batchSize, steps: steps, learningRate: learningRate,
            cropPadding: augmentation.augmentation.cropPadding, flip: augmentation.augmentation.horizontalFlip,
            perImageStandardization: augmentation.perImageStandardization)
    }
}
