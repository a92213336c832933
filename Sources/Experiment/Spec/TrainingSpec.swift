import Learning

/// How weights are updated (`train.optimizer`).
public enum OptimizerSpec: Codable, Sendable, Hashable {
    case momentum(momentum: Double, weightDecay: Double)
    case adam(beta1: Double, beta2: Double, weightDecay: Double)

    enum CodingKeys: String, CodingKey { case kind, momentum, beta1, beta2, weight_decay }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let decay = try c.decode(Double.self, forKey: .weight_decay)
        switch try c.decode(String.self, forKey: .kind) {
        case "adam":
            self = .adam(
                beta1: try c.decode(Double.self, forKey: .beta1), beta2: try c.decode(Double.self, forKey: .beta2),
                weightDecay: decay)
        case "momentum": self = .momentum(momentum: try c.decode(Double.self, forKey: .momentum), weightDecay: decay)
        case let other: throw SpecDecodingError("optimizer kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .momentum(m, decay):
            try c.encode("momentum", forKey: .kind)
            try c.encode(m, forKey: .momentum)
            try c.encode(decay, forKey: .weight_decay)
        case let .adam(b1, b2, decay):
            try c.encode("adam", forKey: .kind)
            try c.encode(b1, forKey: .beta1)
            try c.encode(b2, forKey: .beta2)
            try c.encode(decay, forKey: .weight_decay)
        }
    }

    /// The optimizer, prepared for `parameters`.
    public func make(for parameters: [Parameter]) -> Optimizer {
        switch self {
        case let .momentum(m, decay):
            let o = SGD(momentum: Float(m), weightDecay: Float(decay))
            o.prepare(parameters)
            return o
        case let .adam(b1, b2, decay):
            let o = Adam(beta1: Float(b1), beta2: Float(b2), weightDecay: Float(decay))
            o.prepare(parameters)
            return o
        }
    }
}

/// `train.learning_rate`: a constant, or piecewise constant between step or fraction boundaries.
public enum LearningRateSpec: Codable, Sendable, Hashable {
    case constant(Double)
    case piecewise(Piecewise)

    public struct Piecewise: Codable, Sendable, Hashable {
        public var boundaries: [Int]?
        public var fractions: [Double]?
        public var values: [Double]
    }

    enum CodingKeys: String, CodingKey { case piecewise }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer(), let rate = try? c.decode(Double.self) {
            self = .constant(rate)
        } else {
            self = .piecewise(try decoder.container(keyedBy: CodingKeys.self).decode(Piecewise.self, forKey: .piecewise))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case let .constant(r):
            var c = encoder.singleValueContainer()
            try c.encode(r)
        case let .piecewise(p):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(p, forKey: .piecewise)
        }
    }

    /// The schedule for a training of `total` steps (fractions become steps of it).
    public func schedule(total: Int) -> LearningRate {
        switch self {
        case let .constant(r): return .constant(Float(r))
        case let .piecewise(p):
            let bounds = p.boundaries ?? (p.fractions ?? []).map { Int(($0 * Double(total)).rounded()) }
            return .piecewise(boundaries: bounds, values: p.values.map { Float($0) })
        }
    }
}

/// `train.augmentation` as written: `none`, `standard`, or the settings.
public enum AugmentationSpec: Codable, Sendable, Hashable {
    case none, standard
    case custom(cropPadding: Int, flip: Bool, perImageStandardization: Bool)

    enum CodingKeys: String, CodingKey { case crop_padding, flip, per_image_standardization }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer(), let s = try? c.decode(String.self) {
            self = s == "standard" ? .standard : .none
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = .custom(
            cropPadding: try c.decode(Int.self, forKey: .crop_padding), flip: try c.decode(Bool.self, forKey: .flip),
            perImageStandardization: try c.decode(Bool.self, forKey: .per_image_standardization))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .none, .standard:
            var c = encoder.singleValueContainer()
            try c.encode(self == .none ? "none" : "standard")
        case let .custom(crop, flip, standardize):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(crop, forKey: .crop_padding)
            try c.encode(flip, forKey: .flip)
            try c.encode(standardize, forKey: .per_image_standardization)
        }
    }

    /// The random crop and flip.
    public var augmentation: Augmentation {
        switch self {
        case .none: return .none
        case .standard: return .standard
        case let .custom(crop, flip, _): return Augmentation(cropPadding: crop, horizontalFlip: flip)
        }
    }

    /// Whether each image is standardised to zero mean and unit variance.
    public var perImageStandardization: Bool {
        switch self {
        case .none: return false
        case .standard: return true
        case let .custom(_, _, s): return s
        }
    }
}

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
        case batchSize = "batch_size", learningRate = "learning_rate", checkpointEvery = "checkpoint_every"
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
        case batchSize = "batch_size", learningRate = "learning_rate", cropPadding = "crop_padding"
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

/// A validated spec section that does not decode: a schema this code does not follow.
public struct SpecDecodingError: Error, CustomStringConvertible {
    public var description: String
    init(_ what: String) { description = "\(what) is accepted by the spec language but not handled by this version" }
}
