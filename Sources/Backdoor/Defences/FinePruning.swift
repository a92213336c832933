import Learning

/// Fine-pruning (Liu, Dolan-Gavitt & Garg 2018): a backdoor hides in channels the clean data leaves
/// dormant. The last layer's input channels are pruned in ascending order of their mean activation on
/// clean images, as long as clean accuracy stays within a set drop, and the network is then fine-tuned.
/// Pruning a channel of the penultimate representation is zeroing its row of the dense layer.
public enum FinePruning {
    /// Channels in ascending order of mean activation over `rows` clean feature vectors (ties by index).
    public static func order(features: [Float], rows: Int, dim: Int) -> [Int] {
        var mean = [Double](repeating: 0, count: dim)
        for i in 0..<rows { for j in 0..<dim { mean[j] += Double(features[i * dim + j]) } }
        return (0..<dim).sorted { (mean[$0], $0) < (mean[$1], $1) }
    }

    /// Accuracy of a dense layer (`weight` [dim × classes] row-major, `bias`) on the features with the
    /// channels in `pruned` removed.
    public static func accuracy(
        features: [Float], rows: Int, dim: Int, labels: [Int], weight: [Float], bias: [Float], pruned: Set<Int>
    ) -> Double {
        let classes = bias.count
        var hits = 0
        var logits = [Float](repeating: 0, count: classes)
        for i in 0..<rows {
            for c in 0..<classes { logits[c] = bias[c] }
            for j in 0..<dim where !pruned.contains(j) {
                let x = features[i * dim + j]
                if x == 0 { continue }
                for c in 0..<classes { logits[c] += x * weight[j * classes + c] }
            }
            var best = 0
            for c in 1..<max(classes, 1) where logits[c] > logits[best] { best = c }
            if best == labels[i] { hits += 1 }
        }
        return rows == 0 ? 0 : Double(hits) / Double(rows)
    }

    /// The longest prefix of `order` whose pruning keeps accuracy at least `baseline − maxDrop`.
    public static func channelsToPrune(
        order: [Int], maxDrop: Double, accuracy: (Set<Int>) -> Double
    ) -> (channels: [Int], accuracies: [Double]) {
        let baseline = accuracy([])
        var pruned: [Int] = []
        var accuracies = [baseline]
        // Always keep one channel: a network with none left predicts the bias alone.
        for c in order.dropLast() {
            let a = accuracy(Set(pruned + [c]))
            if a < baseline - maxDrop { break }
            pruned.append(c)
            accuracies.append(a)
        }
        return (pruned, accuracies)
    }

    /// Zeroes the dense (last) layer's rows of `channels`, so they no longer reach the logits.
    public static func prune(_ model: Model, channels: [Int]) {
        guard let dense = model.network.layers.last as? Linear else { return }
        let classes = dense.bias.value.count
        for j in channels { for c in 0..<classes { dense.weight.value[j * classes + c] = 0 } }
    }
}
