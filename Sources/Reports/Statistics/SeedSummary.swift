import Foundation

/// A metric over seeds: mean, sample standard deviation and a two-sided confidence interval.
public struct SeedSummary: Sendable, Equatable {
    public var values: [Double]
    public var mean: Double
    /// Sample standard deviation (n − 1); 0 for one value.
    public var standardDeviation: Double
    /// The interval's ends; equal to the mean for one value (nothing is known of the spread).
    public var lower: Double, upper: Double
    public var confidence: Double

    public var count: Int { values.count }
    public var halfWidth: Double { (upper - lower) / 2 }

    /// Student-t interval: mean ± t(1 − (1 − confidence)/2, n − 1) · s / √n.
    public init(_ values: [Double], confidence: Double = 0.95) {
        precondition(!values.isEmpty, "a summary needs at least one value")
        self.values = values
        self.confidence = confidence
        let n = Double(values.count)
        mean = values.reduce(0, +) / n
        let m = mean
        standardDeviation =
            values.count > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / (n - 1)).squareRoot() : 0
        if values.count > 1 {
            let h =
                SeedSummary.tFactor(count: values.count, confidence: confidence) * standardDeviation / n.squareRoot()
            (lower, upper) = (mean - h, mean + h)
        } else {
            (lower, upper) = (mean, mean)
        }
    }

    /// Percentile bootstrap of the mean (for ratios, whose spread is skewed): `resamples` seeded resamples.
    public init(bootstrap values: [Double], confidence: Double = 0.95, resamples: Int = 10_000, seed: UInt64 = 0) {
        self.init(values, confidence: confidence)
        guard values.count > 1 else { return }
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            // splitmix64: a small, fixed generator, so the same values give the same interval everywhere.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(values.count))
        }
        var means = (0..<resamples).map { _ in (0..<values.count).map { _ in values[next()] }.reduce(0, +) }
        means = means.map { $0 / Double(values.count) }.sorted()
        let tail = (1 - confidence) / 2
        lower = means[Int((tail * Double(resamples - 1)).rounded())]
        upper = means[Int(((1 - tail) * Double(resamples - 1)).rounded())]
    }

    /// t(1 − (1 − confidence)/2, n − 1).
    public static func tFactor(count n: Int, confidence: Double) -> Double {
        StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: Double(n - 1))
    }

    /// Seeds whose t interval, at this standard deviation, would be narrower than |mean − threshold| — how many
    /// an undecided comparison would need; nil when the spread is 0 or more than `limit` would be needed.
    public func seedsToDecide(against threshold: Double, limit: Int = 1000) -> Int? {
        let gap = abs(mean - threshold)
        guard standardDeviation > 0, gap > 0 else { return nil }
        for n in max(2, count)...limit
        where SeedSummary.tFactor(count: n, confidence: confidence) * standardDeviation / Double(n).squareRoot() < gap {
            return n
        }
        return nil
    }
}
