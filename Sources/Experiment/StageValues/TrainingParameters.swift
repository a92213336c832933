import Learning

/// A training as a stage runs it: the step count fixed and the augmentation spelt out.
public struct TrainingParameters: Codable, Sendable, Hashable {
    public var optimizer: OptimizerSpec
    public var batchSize: Int
    public var steps: Int
    public var learningRate: LearningRateSpec
    public var cropPadding: Int
    public var flip: Bool
    public var perImageStandardization: Bool

    enum CodingKeys: String, CodingKey {
        case optimizer, steps, flip
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case cropPadding = "crop_padding"
        case perImageStandardization = "per_image_standardization"
    }

    public var augmentation: Augmentation { Augmentation(cropPadding: cropPadding, horizontalFlip: flip) }

    /// The loop's settings, the rate scaled by `rateScale`.
    public func config(seed: Int, rateScale: Double = 1) -> TrainingConfig {
        TrainingConfig(
            batchSize: batchSize, steps: steps,
            learningRate: learningRate.schedule(total: steps).scaled(Float(rateScale)), augmentation: augmentation,
            seed: UInt64(seed))
    }
}
