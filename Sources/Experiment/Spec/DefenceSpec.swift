import Learning

/// Training-time defence (`defence`).
public enum DefenceSpec: Codable, Sendable, Hashable {
    case none
    /// Differentially private SGD in the thesis's transfer set-up (ch. 5).
    case dpSGD(DPSettings)
    /// The same set-up without clipping or noise.
    case sgdBaseline(DPSettings)

    enum CodingKeys: String, CodingKey { case kind }

    public init(from decoder: Decoder) throws {
        switch try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .kind) {
        case "none": self = .none
        case "dp_sgd": self = .dpSGD(try DPSettings(from: decoder))
        case "sgd_baseline": self = .sgdBaseline(try DPSettings(from: decoder))
        case let other: throw SpecDecodingError("defence kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none: try c.encode("none", forKey: .kind)
        case let .dpSGD(s):
            try c.encode("dp_sgd", forKey: .kind)
            try s.encode(to: encoder)
        case let .sgdBaseline(s):
            try c.encode("sgd_baseline", forKey: .kind)
            try s.encode(to: encoder)
        }
    }

    /// The transfer set-up's settings, when the defence uses it.
    public var settings: DPSettings? {
        switch self {
        case .none: return nil
        case let .dpSGD(s), let .sgdBaseline(s): return s
        }
    }
}

/// The settings DP-SGD and its baseline share.
public struct DPSettings: Codable, Sendable, Hashable {
    public var clip: Double
    public var noiseMultiplier: Double
    public var lotSize: Int
    public var microbatches: Int
    public var sampling: DPConfig.Sampling
    public var delta: Double
    public var trainable: Model.Trainable
    public var batchNorm: BatchNormMode
    public var pretrain: Pretraining

    enum CodingKeys: String, CodingKey {
        case clip, microbatches, sampling, delta, trainable, pretrain
        case noiseMultiplier = "noise_multiplier", lotSize = "lot_size", batchNorm = "batch_norm"
    }

    /// How the trained unit's batch norms normalise.
    public enum BatchNormMode: String, Codable, Sendable, Hashable {
        case frozen
        case batchStatistics = "batch_statistics"
    }
}

/// Pre-training before the defended fine-tuning: none, or on the public split or CIFAR-100.
public enum Pretraining: Codable, Sendable, Hashable {
    case none
    case on(dataset: String, path: String?, train: TrainSpec?)

    enum CodingKeys: String, CodingKey { case dataset, path, train }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer(), (try? c.decode(String.self)) == "none" {
            self = .none
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = .on(
            dataset: try c.decode(String.self, forKey: .dataset), path: try c.decodeIfPresent(String.self, forKey: .path),
            train: try c.decodeIfPresent(TrainSpec.self, forKey: .train))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .none:
            var c = encoder.singleValueContainer()
            try c.encode("none")
        case let .on(dataset, path, train):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(dataset, forKey: .dataset)
            try c.encodeIfPresent(path, forKey: .path)
            try c.encodeIfPresent(train, forKey: .train)
        }
    }
}
