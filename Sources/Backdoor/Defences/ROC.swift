/// A detector's scores against the truth: the area under its ROC curve, and its rates at a cut.
public enum ROC {
    /// P(score of a positive > score of a negative) + ½ P(equal): the area under the ROC curve
    /// (Mann–Whitney), nil without both classes.
    public static func auroc(scores: [Double], positive: [Bool]) -> Double? {
        let pos = positive.filter { $0 }.count
        let neg = positive.count - pos
        guard pos > 0, neg > 0 else { return nil }
        // Average ranks over ties, then the rank-sum statistic of the positives.
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let mid = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = mid }
            i = j + 1
        }
        let sum = positive.indices.filter { positive[$0] }.reduce(0.0) { $0 + ranks[$1] }
        return (sum - Double(pos * (pos + 1)) / 2) / Double(pos * neg)
    }

    /// The points of the ROC curve (false-positive rate, true-positive rate), one per distinct score
    /// taken as the cut (flagged: score ≥ cut), from (0, 0) to (1, 1).
    public static func curve(scores: [Double], positive: [Bool]) -> [(fpr: Double, tpr: Double)] {
        let pos = Double(max(positive.filter { $0 }.count, 1))
        let neg = Double(max(positive.count - positive.filter { $0 }.count, 1))
        var points: [(Double, Double)] = [(0, 0)]
        var tp = 0.0
        var fp = 0.0
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        for (n, i) in order.enumerated() {
            if positive[i] { tp += 1 } else { fp += 1 }
            if n + 1 == order.count || scores[order[n + 1]] != scores[i] { points.append((fp / neg, tp / pos)) }
        }
        return points
    }
}
