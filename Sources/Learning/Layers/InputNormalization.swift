import Tensor

/// First layer of every model: maps 0–255 pixels to the network's scale, so attacks and
/// input gradients work in pixel units. x, y: [N, H, W, C].
public final class InputNormalization: Layer {
    public enum Mode: Equatable, Sendable {
        /// (x/255 − mean[c]) / std[c]
        case fixed(mean: [Float], std: [Float])
        /// Each image to zero mean and unit variance (TensorFlow's per-image standardisation; the thesis's augmentation).
        case perImage
    }
    public let mode: Mode
    public var needsInputGradient = true
    private var output: Tensor?, inputGradient: Tensor?
    private var divisor = Tensor(zeros: [1])
    private var usedSigma: [Bool] = []

    public init(_ mode: Mode) { self.mode = mode }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = ensure(&output, x.shape)
        let c = x.shape[x.shape.count - 1]
        let n = x.shape[0]
        switch mode {
        case .fixed(let mean, let std):
            PixelNormalize.forward(rows: x.count / c, channels: c, mean: mean, std: std, x: x.pointer, y: y.pointer)
        case .perImage:
            if divisor.count != n { divisor.reshape([n]) }
            if usedSigma.count != n { usedSigma = Array(repeating: false, count: n) }
            usedSigma.withUnsafeMutableBufferPointer { u in
                PerImageStandardize.forward(
                    batch: n, size: x.count / n, x: x.pointer, y: y.pointer,
                    divisor: divisor.pointer, usedSigma: u.baseAddress!)
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient, let y = output else { return nil }
        let dx = ensure(&inputGradient, y.shape)
        let c = y.shape[y.shape.count - 1]
        let n = y.shape[0]
        switch mode {
        case .fixed(_, let std):
            PixelNormalize.backward(rows: y.count / c, channels: c, std: std, dy: dy.pointer, dx: dx.pointer)
        case .perImage:
            usedSigma.withUnsafeBufferPointer { u in
                PerImageStandardize.backward(
                    batch: n, size: y.count / n, y: y.pointer, dy: dy.pointer,
                    divisor: divisor.pointer, usedSigma: u.baseAddress!, dx: dx.pointer)
            }
        }
        return dx
    }

    public func outputShape(_ s: [Int]) -> [Int] { s }
}
