import Tensor

/// Softmax cross-entropy over logits [N, K] with integer labels; keeps per-example losses.
public final class CrossEntropyLoss {
    public private(set) var probabilities = Tensor(zeros: [1])
    public private(set) var losses = Tensor(zeros: [1])
    private var dLogits: Tensor?
    private var labels: [Int32] = []

    public init() {}

    /// Per-example losses of `logits` against `labels`; returns their mean.
    @discardableResult
    public func forward(_ logits: Tensor, labels: [Int32]) -> Float {
        let (n, k) = (logits.shape[0], logits.shape[1])
        probabilities.reshape([n, k])
        losses.reshape([n])
        self.labels = labels
        labels.withUnsafeBufferPointer { l in
            SoftmaxCrossEntropy.forward(
                batch: n, classes: k, logits: logits.pointer, labels: l.baseAddress!,
                probabilities: probabilities.pointer, losses: losses.pointer)
        }
        var s: Float = 0
        for i in 0..<n { s += losses[i] }
        return s / Float(n)
    }

    /// ∂(mean loss)/∂logits, or of Σ weights[n]·loss[n] when `weights` is given.
    public func backward(weights: [Float]? = nil) -> Tensor {
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        let d = ensure(&dLogits, [n, k])
        labels.withUnsafeBufferPointer { l in
            if let weights {
                weights.withUnsafeBufferPointer { w in
                    SoftmaxCrossEntropy.backward(
                        batch: n, classes: k, probabilities: probabilities.pointer, labels: l.baseAddress!,
                        weights: w.baseAddress!, dLogits: d.pointer)
                }
            } else {
                SoftmaxCrossEntropy.backward(
                    batch: n, classes: k, probabilities: probabilities.pointer, labels: l.baseAddress!,
                    weights: nil, dLogits: d.pointer)
            }
        }
        return d
    }
}
