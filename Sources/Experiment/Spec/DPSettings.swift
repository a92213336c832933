import Learning

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
        case noiseMultiplier = "noise_multiplier"
        case lotSize = "lot_size"
        case batchNorm = "batch_norm"
    }

    /// How the trained unit's batch norms normalise.
    public enum BatchNormMode: String, Codable, Sendable, Hashable, CaseIterable {
        case frozen
        case batchStatistics = "batch_statistics"
    }
}
