import Datasets
import Learning
import Tensor

/// Detection by filtering (thesis §3.2, appendix A.1): a classifier trained on a small trusted clean
/// set ranks every training image by the probability it gives the image's label; the poisons should
/// gather among the lowest.
public enum FilteringDetection {
    /// What a detection found.
    public struct Result: Codable, Sendable, Equatable {
        /// How many of the lowest-ranked images were inspected.
        public var inspect: Int
        public var poisons: Int
        /// Poisons among the inspected images.
        public var found: Int
        /// Poisons a random pick of `inspect` images would hold on average.
        public var expectedByChance: Double
        public var ratioToChance: Double
        public var filterTestAccuracy: Double
        /// The inspected images, lowest probability first.
        public var lowest: [Int]?

        enum CodingKeys: String, CodingKey {
            case inspect, poisons, found, lowest
            case expectedByChance = "expected_by_chance"
            case ratioToChance = "ratio_to_chance"
            case filterTestAccuracy = "filter_test_accuracy"
        }
    }

    /// The trusted clean set: the first `count` non-poisons of a seeded order of `total` images.
    public static func cleanImages(count: Int, of total: Int, poisons: Set<Int>, seed: UInt64) -> [Int] {
        var order = RNG(seed: seed).split("detection-clean")
        return Array(order.permutation(total).filter { !poisons.contains($0) }.prefix(count))
    }

    /// Image indices of `images` from the lowest probability `filter` gives their label to the highest
    /// (ties by index).
    public static func ranking(_ filter: Model, on images: Dataset) -> [Int] {
        let prob = predict(filter, on: images).labelProbability
        return prob.indices.sorted { (prob[$0], $0) < (prob[$1], $1) }
    }

    /// How many poisons are among the first `inspect` of `ranked`, against chance.
    public static func result(ranked: [Int], poisons: Set<Int>, inspect: Int, filterTestAccuracy: Double) -> Result {
        let k = min(inspect, ranked.count)
        let found = ranked.prefix(k).filter(poisons.contains).count
        let expected = Double(k) * Double(poisons.count) / Double(max(ranked.count, 1))
        return Result(
            inspect: k, poisons: poisons.count, found: found, expectedByChance: expected,
            ratioToChance: expected > 0 ? Double(found) / expected : 0, filterTestAccuracy: filterTestAccuracy,
            lowest: Array(ranked.prefix(k)))
    }
}
