import Datasets
import Foundation

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
    /// Clean test images not labelled as the target that are classified as it without any trigger: the
    /// floor under the ASR (a model that calls everything the target scores an ASR of 1 with no backdoor).
    public var cleanTargetRate: Double?
    /// The class the model predicts most often on the clean test set, and the share of images given it.
    public var dominantPrediction: DominantPrediction?
    /// Robust accuracy (R-Acc): triggered test images not labelled as the target that are still classified
    /// as their true label — what a defence recovers. (Absent from entries cached before it existed.)
    public var robustAccuracy: Double?

    public struct DominantPrediction: Sendable, Codable, Equatable {
        public var predictedClass: Int
        public var share: Double
        public init(predictedClass: Int, share: Double) {
            self.predictedClass = predictedClass
            self.share = share
        }
    }

    /// Accuracy below this multiple of chance (1 / classes) marks a model that learnt nothing.
    public static let nearChanceFactor = 1.5
    /// One class given to at least this share of the clean test images marks a collapsed model.
    public static let nearConstantShare = 0.8

    /// Why this model's numbers cannot be trusted: near-chance accuracy or near-constant predictions.
    /// Empty for a healthy model. (Entries cached before these fields existed are judged by accuracy.)
    public var flags: [String] {
        let classes = perClassAccuracy.count
        guard classes > 1 else { return [] }
        var out: [String] = []
        let chance = 1 / Double(classes)
        if naturalAccuracy < AttackMetrics.nearChanceFactor * chance {
            out.append(
                String(
                    format: "accuracy %.1f %% is near chance (%.1f %% for %d classes)", 100 * naturalAccuracy,
                    100 * chance, classes))
        }
        if let d = dominantPrediction, d.share >= AttackMetrics.nearConstantShare {
            out.append(
                String(
                    format: "%.1f %% of the clean test images are classified as class %d", 100 * d.share,
                    d.predictedClass))
        }
        return out
    }

    /// `clean` and `triggered` are predictions on the same test images, clean and with the trigger.
    public static func compute(labels: [Int], clean: [Int], triggered: [Int]?, target: Int?, classes: Int)
        -> AttackMetrics
    {
        let n = labels.count
        let acc = n == 0 ? 0 : Double(zip(clean, labels).filter { $0 == $1 }.count) / Double(n)
        var perClass = [Double](repeating: 0, count: classes)
        var counts = [Int](repeating: 0, count: classes)
        for (p, l) in zip(clean, labels) where l < classes {
            counts[l] += 1
            if p == l { perClass[l] += 1 }
        }
        for c in 0..<classes where counts[c] > 0 { perClass[c] /= Double(counts[c]) }
        var m = AttackMetrics(naturalAccuracy: acc, perClassAccuracy: perClass)
        var predicted = [Int](repeating: 0, count: classes)
        for p in clean where p >= 0 && p < classes { predicted[p] += 1 }
        if n > 0, let top = predicted.indices.max(by: { predicted[$0] < predicted[$1] }) {
            m.dominantPrediction = DominantPrediction(predictedClass: top, share: Double(predicted[top]) / Double(n))
        }
        guard let triggered, let target else { return m }
        let nonTarget = (0..<n).filter { labels[$0] != target }
        m.cleanTargetRate =
            nonTarget.isEmpty ? nil : Double(nonTarget.filter { clean[$0] == target }.count) / Double(nonTarget.count)
        func rate(_ keep: (Int) -> Bool) -> Double? {
            let idx = (0..<n).filter(keep)
            return idx.isEmpty ? nil : Double(idx.filter { triggered[$0] == target }.count) / Double(idx.count)
        }
        m.attackSuccessRate = rate { labels[$0] != target }
        m.robustAccuracy =
            nonTarget.isEmpty
            ? nil : Double(nonTarget.filter { triggered[$0] == labels[$0] }.count) / Double(nonTarget.count)
        m.attackSuccessRateExcludingClassified = rate { clean[$0] != target }
        m.perClassAttackSuccessRate = (0..<classes).map { c in c == target ? nil : rate { labels[$0] == c } }
        return m
    }
}

extension AttackMetrics {
    /// All-to-all: the ASR is the share of triggered test images classified as their class + 1 (mod
    /// `classes`), the robust accuracy the share still classified as their class, both over every image.
    public static func computeAllToAll(labels: [Int], clean: [Int], triggered: [Int], classes: Int)
        -> AttackMetrics
    {
        var m = compute(labels: labels, clean: clean, triggered: nil, target: nil, classes: classes)
        let n = labels.count
        guard n > 0, classes > 0 else { return m }
        let aimed = { (i: Int) in (labels[i] + 1) % classes }
        m.attackSuccessRate = Double((0..<n).filter { triggered[$0] == aimed($0) }.count) / Double(n)
        m.robustAccuracy = Double((0..<n).filter { triggered[$0] == labels[$0] }.count) / Double(n)
        m.cleanTargetRate = Double((0..<n).filter { clean[$0] == aimed($0) }.count) / Double(n)
        m.perClassAttackSuccessRate = (0..<classes).map { c in
            let idx = (0..<n).filter { labels[$0] == c }
            return idx.isEmpty ? nil : Double(idx.filter { triggered[$0] == aimed($0) }.count) / Double(idx.count)
        }
        return m
    }
}

/// The defence effectiveness rate (BackdoorBench): [max(0, ΔASR) − max(0, ΔC-Acc) + 1] / 2, with ΔASR the
/// ASR removed (before − after) and ΔC-Acc the clean accuracy lost (before − after). 1: the backdoor gone
/// at no cost; 0.5: nothing changed; below 0.5: accuracy lost for no ASR. (One public implementation adds
/// the accuracy term, rewarding a defence for losing accuracy; this subtracts it, as the definition says.)
public func defenceEffectivenessRate(asrBefore: Double, asrAfter: Double, accuracyBefore: Double, accuracyAfter: Double)
    -> Double
{
    (max(0, asrBefore - asrAfter) - max(0, accuracyBefore - accuracyAfter) + 1) / 2
}
