/// Two or more samples binned on one axis, drawn as grouped bars of the share of each sample per bin:
/// how a detector's scores of poisons and of clean inputs overlap.
public enum Histogram {
    /// `bins` equal bins spanning every sample; nil without values.
    public static func svg(title: String, xLabel: String, samples: [(name: String, values: [Double])], bins: Int = 12)
        -> String?
    {
        let all = samples.flatMap(\.values).filter(\.isFinite)
        guard let lo = all.min(), let hi = all.max(), bins > 0 else { return nil }
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        func bin(_ v: Double) -> Int { min(bins - 1, max(0, Int((v - lo) / width))) }
        let categories = (0..<bins).map { b in shortNumber(lo + (Double(b) + 0.5) * width) }
        let series = samples.map { s -> BarChart.Series in
            var counts = [Double](repeating: 0, count: bins)
            for v in s.values where v.isFinite { counts[bin(v)] += 1 }
            let n = Double(max(s.values.count, 1))
            return BarChart.Series(name: s.name, values: counts.map { 100 * $0 / n })
        }
        return BarChart(
            title: title, xLabel: xLabel, yLabel: "share of the sample (%)", categories: categories, series: series
        )
        .svg
    }
}
