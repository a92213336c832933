import Tensor

/// Nearest-neighbour ×2 upsampling. x: [N, H, W, C] → y: [N, 2H, 2W, C]; each input pixel's
/// gradient is the sum over its four copies. With a following convolution it is the generator's
/// "resize-convolution", which avoids the checkerboard artefacts of strided transposed convolutions.
public final class Upsample2x: Layer {
    public var needsInputGradient = true
    private var output: Tensor?, inputGradient: Tensor?
    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let y = ensure(&output, [n, 2 * h, 2 * w, c])
        let xp = x.pointer
        let yp = y.pointer
        for b in 0..<n {
            for i in 0..<(2 * h) {
                for j in 0..<(2 * w) {
                    (yp + ((b * 2 * h + i) * 2 * w + j) * c).update(
                        from: xp + ((b * h + i / 2) * w + j / 2) * c, count: c)
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let (n, h2, w2, c) = (dy.shape[0], dy.shape[1], dy.shape[2], dy.shape[3])
        let dx = ensure(&inputGradient, [n, h2 / 2, w2 / 2, c])
        dx.zero()
        let gp = dy.pointer
        let dp = dx.pointer
        for b in 0..<n {
            for i in 0..<h2 {
                for j in 0..<w2 {
                    accumulate(
                        gp + ((b * h2 + i) * w2 + j) * c, into: dp + ((b * (h2 / 2) + i / 2) * (w2 / 2) + j / 2) * c,
                        count: c)
                }
            }
        }
        return dx
    }

    public func outputShape(_ s: [Int]) -> [Int] { [s[0], 2 * s[1], 2 * s[2], s[3]] }
}

/// Gives a flat [N, H·W·C] input its image shape [N, H, W, C] (a copy; the previous layer keeps its buffer).
public final class Unflatten: Layer {
    public let shape: [Int]
    public var needsInputGradient = true
    private var output: Tensor?, inputGradient: Tensor?
    public init(height: Int, width: Int, channels: Int) { shape = [height, width, channels] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = ensure(&output, [x.shape[0]] + shape)
        y.pointer.update(from: x.pointer, count: x.count)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let dx = ensure(&inputGradient, [dy.shape[0], shape.reduce(1, *)])
        dx.pointer.update(from: dy.pointer, count: dy.count)
        return dx
    }

    public func outputShape(_ s: [Int]) -> [Int] { [s[0]] + shape }
}

/// y = 1 / (1 + e^−x), any shape: the generator's output in [0, 1].
public final class SigmoidLayer: Layer {
    public var needsInputGradient = true
    private var output: Tensor?, inputGradient: Tensor?
    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = ensure(&output, x.shape)
        for i in 0..<x.count { y[i] = 1 / (1 + expf_(-x[i])) }
        return y
    }

    // dx = dy · y · (1 − y)
    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient, let y = output else { return nil }
        let dx = ensure(&inputGradient, y.shape)
        for i in 0..<y.count { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        return dx
    }

    public func outputShape(_ s: [Int]) -> [Int] { s }
}
