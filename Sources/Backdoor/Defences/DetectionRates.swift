/// The images a detector flagged (removed, isolated), judged against the known poisons.
public struct DetectionRates: Equatable, Sendable {
    public var flagged: Int
    public var poisons: Int
    public var flaggedPoisons: Int
    /// Flagged poisons ÷ poisons (0 without poisons).
    public var truePositiveRate: Double
    /// Flagged clean images ÷ clean images (0 without clean images).
    public var falsePositiveRate: Double
    /// Flagged poisons ÷ flagged (0 when nothing was flagged).
    public var precision: Double

    /// `flagged` and `poisons` are positions among `total` images (duplicates count once).
    public init(flagged: [Int], poisons: Set<Int>, total: Int) {
        let flaggedSet = Set(flagged)
        let hits = flaggedSet.intersection(poisons).count
        let clean = total - poisons.count
        self.flagged = flaggedSet.count
        self.poisons = poisons.count
        flaggedPoisons = hits
        truePositiveRate = poisons.isEmpty ? 0 : Double(hits) / Double(poisons.count)
        falsePositiveRate = clean <= 0 ? 0 : Double(flaggedSet.count - hits) / Double(clean)
        precision = flaggedSet.isEmpty ? 0 : Double(hits) / Double(flaggedSet.count)
    }
}
