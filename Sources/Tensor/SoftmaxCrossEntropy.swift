/// Softmax cross-entropy: logits [N, K], integer labels → per-example losses [N].
public enum SoftmaxCrossEntropy {
    /// Writes per-example losses and the softmax probabilities (kept for `backward`).
    public static func forward(
        batch: Int, classes k: Int, logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
        probabilities: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>
    ) {
        for n in 0..<batch {
            let z = logits + n &* k
            let p = probabilities + n &* k
            var m = -Float.infinity
            for j in 0..<k { m = max(m, z[j]) }
            var s: Float = 0
            for j in 0..<k {
                p[j] = expf_(z[j] - m)
                s += p[j]
            }
            let inv = 1 / s
            for j in 0..<k { p[j] *= inv }
            // log-sum-exp form keeps the loss finite when p underflows.
            losses[n] = m + logf_(s) - z[Int(labels[n])]
        }
    }

    /// dlogits[n] = weight[n] · (p[n] − onehot(label[n])); `weights` nil means 1/N each (the mean loss).
    public static func backward(
        batch: Int, classes k: Int, probabilities: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
        weights: UnsafePointer<Float>?, dLogits: UnsafeMutablePointer<Float>
    ) {
        let mean = 1 / Float(batch)
        for n in 0..<batch {
            let w = weights?[n] ?? mean
            let p = probabilities + n &* k
            let d = dLogits + n &* k
            for j in 0..<k { d[j] = w * p[j] }
            d[Int(labels[n])] -= w
        }
    }
}
