import Backdoor
import Learning

/// Training-time defence (`defence`).
public enum DefenceSpec: Codable, Sendable, Hashable {
    case none
    /// Differentially private SGD in the thesis's transfer set-up (ch. 5).
    case dpSGD(DPSettings)
    /// The same set-up without clipping or noise.
    case sgdBaseline(DPSettings)
    /// Cleanse the training set by spectral signatures, then retrain.
    case spectralSignatures(SpectralSettings)
    /// Cleanse the training set by the thesis's filtering, then retrain.
    case filtering(FilteringSettings)
    /// Cleanse the training set by activation clustering, then retrain.
    case activationClustering(ClusteringSettings)
    /// Reject triggered inputs at inference.
    case strip(STRIPSettings)
    /// Fine-tune the trained victim on trusted clean images.
    case fineTuning(RepairSettings)
    /// Prune its dormant last-layer channels, then fine-tune.
    case finePruning(RepairSettings)
    /// Anti-backdoor learning: isolate the lowest-loss images while training, unlearn them after.
    case abl(ABLSettings)
    /// Reverse-engineer each class's trigger, flag an outlier, unlearn it.
    case neuralCleanse(CleanseSettings)

    enum CodingKeys: String, CodingKey { case kind }

    public init(from decoder: Decoder) throws {
        let name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: name) else { throw SpecDecodingError("defence kind '\(name)'") }
        switch kind {
        case .none: self = .none
        case .dpSGD: self = .dpSGD(try DPSettings(from: decoder))
        case .sgdBaseline: self = .sgdBaseline(try DPSettings(from: decoder))
        case .spectralSignatures: self = .spectralSignatures(try SpectralSettings(from: decoder))
        case .filtering: self = .filtering(try FilteringSettings(from: decoder))
        case .activationClustering: self = .activationClustering(try ClusteringSettings(from: decoder))
        case .strip: self = .strip(try STRIPSettings(from: decoder))
        case .fineTuning: self = .fineTuning(try RepairSettings(from: decoder))
        case .finePruning: self = .finePruning(try RepairSettings(from: decoder))
        case .neuralCleanse: self = .neuralCleanse(try CleanseSettings(from: decoder))
        case .abl: self = .abl(try ABLSettings(from: decoder))
        }
    }

    /// `kind` beside the settings' own keys, in one object.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.rawValue, forKey: .kind)
        switch self {
        case .none: break
        case .dpSGD(let s), .sgdBaseline(let s): try s.encode(to: encoder)
        case .spectralSignatures(let s): try s.encode(to: encoder)
        case .filtering(let s): try s.encode(to: encoder)
        case .activationClustering(let s): try s.encode(to: encoder)
        case .strip(let s): try s.encode(to: encoder)
        case .fineTuning(let s), .finePruning(let s): try s.encode(to: encoder)
        case .neuralCleanse(let s): try s.encode(to: encoder)
        case .abl(let s): try s.encode(to: encoder)
        }
    }

    /// A defence's kind without its settings, by its spec spelling (`defence.kind`).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case none
        case dpSGD = "dp_sgd"
        case sgdBaseline = "sgd_baseline"
        case spectralSignatures = "spectral_signatures"
        case filtering
        case activationClustering = "activation_clustering"
        case strip
        case fineTuning = "fine_tuning"
        case finePruning = "fine_pruning"
        case abl
        case neuralCleanse = "neural_cleanse"
    }

    public var kind: Kind {
        switch self {
        case .none: return .none
        case .dpSGD: return .dpSGD
        case .sgdBaseline: return .sgdBaseline
        case .spectralSignatures: return .spectralSignatures
        case .filtering: return .filtering
        case .activationClustering: return .activationClustering
        case .strip: return .strip
        case .fineTuning: return .fineTuning
        case .finePruning: return .finePruning
        case .neuralCleanse: return .neuralCleanse
        case .abl: return .abl
        }
    }

    /// The stage kind a defence adds beside the victim's training, if any.
    public var stage: Stage.Kind? {
        switch self {
        case .spectralSignatures, .activationClustering, .filtering: return FilterStage.name
        case .strip: return STRIPStage.name
        case .fineTuning, .finePruning, .neuralCleanse, .abl: return RepairStage.name
        case .none, .dpSGD, .sgdBaseline: return nil
        }
    }

    /// The transfer set-up's settings, when the defence uses it.
    public var settings: DPSettings? {
        switch self {
        case .none, .spectralSignatures, .activationClustering, .filtering, .strip, .fineTuning, .finePruning,
            .neuralCleanse, .abl:
            return nil
        case .dpSGD(let s), .sgdBaseline(let s): return s
        }
    }
}

/// `defence: {kind: spectral_signatures}`.
public struct SpectralSettings: Codable, Sendable, Hashable {
    /// Images removed per class analysed, as a multiple of the poison count.
    public var remove: Double
    public var classes: Classes
    public var score: SpectralSignatures.Score

    /// Which classes are analysed: every class (an unknown target), or only the attack's target.
    public enum Classes: String, Codable, Sendable, Hashable, CaseIterable {
        case all, target
    }
}

/// `defence: {kind: activation_clustering}`.
public struct ClusteringSettings: Codable, Sendable, Hashable {
    public var components: Int
    /// PCA when absent (absent rather than defaulted, so the keys of runs from before ICA are unchanged).
    public var reduce: ActivationClustering.Reduction?
    public var analysis: ActivationClustering.Analysis
    public var sizeThreshold: Double
    public var silhouetteThreshold: Double

    enum CodingKeys: String, CodingKey {
        case components, analysis, reduce
        case sizeThreshold = "size_threshold"
        case silhouetteThreshold = "silhouette_threshold"
    }
}

/// `defence: {kind: strip}`.
public struct STRIPSettings: Codable, Sendable, Hashable {
    public var copies: Int
    public var falseRejectionRate: Double
    public var inputs: Int
    public var entropy: STRIP.Entropy
    public var blend: STRIP.Blend

    enum CodingKeys: String, CodingKey {
        case copies, inputs, entropy, blend
        case falseRejectionRate = "false_rejection_rate"
    }
}

/// `defence: {kind: fine_tuning | fine_pruning}`.
public struct RepairSettings: Codable, Sendable, Hashable {
    public var cleanFraction: Double
    public var epochs: Double
    public var learningRate: Double
    public var batchSize: Int
    /// Fine-pruning only.
    public var maxAccuracyDrop: Double?

    enum CodingKeys: String, CodingKey {
        case epochs
        case cleanFraction = "clean_fraction"
        case learningRate = "learning_rate"
        case batchSize = "batch_size"
        case maxAccuracyDrop = "max_accuracy_drop"
    }
}

/// `defence: {kind: neural_cleanse}`: the reverse engineering, its threshold, and the unlearning.
public struct CleanseSettings: Codable, Sendable, Hashable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var lambda: Double
    /// Fixed when absent (absent rather than defaulted, so keys from before the schedule are unchanged).
    public var lambdaSchedule: NeuralCleanse.LambdaSchedule?
    public var threshold: Double
    public var stampedFraction: Double
    /// The unlearning's fine-tuning.
    public var repair: RepairSettings

    enum CodingKeys: String, CodingKey {
        case lambda, threshold
        case steps = "reverse_steps"
        case batchSize = "reverse_batch_size"
        case learningRate = "reverse_learning_rate"
        case stampedFraction = "stamped_fraction"
        case lambdaSchedule = "lambda_schedule"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lambdaSchedule = try c.decodeIfPresent(NeuralCleanse.LambdaSchedule.self, forKey: .lambdaSchedule)
        steps = try c.decode(Int.self, forKey: .steps)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        lambda = try c.decode(Double.self, forKey: .lambda)
        threshold = try c.decode(Double.self, forKey: .threshold)
        stampedFraction = try c.decode(Double.self, forKey: .stampedFraction)
        repair = try RepairSettings(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(steps, forKey: .steps)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(lambda, forKey: .lambda)
        try c.encodeIfPresent(lambdaSchedule, forKey: .lambdaSchedule)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(stampedFraction, forKey: .stampedFraction)
        try repair.encode(to: encoder)
    }

    /// The reverse engineering's settings.
    public var reverse: NeuralCleanse.Settings {
        NeuralCleanse.Settings(
            steps: steps, batchSize: batchSize, learningRate: learningRate, lambda: lambda, schedule: lambdaSchedule)
    }
}

/// `defence: {kind: filtering}`.
public struct FilteringSettings: Codable, Sendable, Hashable {
    /// Images removed, as a multiple of the poison count.
    public var remove: Double
    public var cleanImages: Int
    public var train: TrainSpec

    enum CodingKeys: String, CodingKey {
        case remove, train
        case cleanImages = "clean_images"
    }
}

/// `defence: {kind: abl}`.
public struct ABLSettings: Codable, Sendable, Hashable {
    public var isolationShare: Double
    public var gamma: Double
    public var isolationRate: Double
    public var unlearningEpochs: Double
    public var unlearningRate: Double

    enum CodingKeys: String, CodingKey {
        case gamma
        case isolationShare = "isolation_share"
        case isolationRate = "isolation_rate"
        case unlearningEpochs = "unlearning_epochs"
        case unlearningRate = "unlearning_rate"
    }
}
