/// Fully connected layer: x [N, I] → y [N, O] = x · W + b, W: [I, O].
public enum Dense {
    public static func forward(
        batch: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        gemm(batch, outputs, inputs, x, weight, y)
        var r = y
        for _ in 0..<batch {
            for j in 0..<outputs { r[j] += bias[j] }
            r += outputs
        }
    }

    /// Accumulates dW = xᵀ·dy and db = Σ dy; writes dx = dy·Wᵀ if asked.
    public static func backward(
        batch: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?
    ) {
        gemm(inputs, outputs, batch, x, transA: true, dy, dWeight, beta: 1)
        var r = dy
        for _ in 0..<batch {
            for j in 0..<outputs { dBias[j] += r[j] }
            r += outputs
        }
        if let dx { gemm(batch, inputs, outputs, dy, weight, transB: true, dx) }
    }
}
