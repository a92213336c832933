import Datasets

/// What an attacked model scores.
public struct AttackMetrics: Sendable, Codable, Equatable {
    public var naturalAccuracy: Double
    /// Triggered test images classified as the target, among those not labelled as it (§2.1.1).
    public var attackSuccessRate: Double?
    /// The same among test images not classified as the target before the trigger (ch. 5).
    public var attackSuccessRateExcludingClassified: Double?
    public var perClassAccuracy: [Double]
    /// ASR by the true class of the triggered image (the target's own entry is nil).
    public var perClassAttackSuccessRate: [Double?]?

    /// `clean` and `triggered` are predictions on the same test images, clean and with the trigger.
    public static func compute(labels: [Int], clean: [Int], triggered: [Int]?, target: Int?, classes: Int) -> AttackMetrics {
        let n = labels.count
        let acc = n == 0 ? 0 : Double(zip(clean, labels).filter { $0 == $1 }.count) / Double(n)
        var perClass = [Double](repeating: 0, count: classes), counts = [Int](repeating: 0, count: classes)
        for (p, l) in zip(clean, labels) where l < classes { counts[l] += 1; if p == l { perClass[l] += 1 } }
        for c in 0..<classes where counts[c] > 0 { perClass[c] /= Double(counts[c]) }
        var m = AttackMetrics(naturalAccuracy: acc, perClassAccuracy: perClass)
        guard let triggered, let target else { return m }
        func rate(_ keep: (Int) -> Bool) -> Double? {
            let idx = (0..<n).filter(keep)
            return idx.isEmpty ? nil : Double(idx.filter { triggered[$0] == target }.count) / Double(idx.count)
        }
        m.attackSuccessRate = rate { labels[$0] != target }
        m.attackSuccessRateExcludingClassified = rate { clean[$0] != target }
        m.perClassAttackSuccessRate = (0..<classes).map { c in c == target ? nil : rate { labels[$0] == c } }
        return m
    }
}
