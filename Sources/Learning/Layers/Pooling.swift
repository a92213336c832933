import Tensor

/// Max pooling, square window, no padding. x: [N, H, W, C] → y: [N, H', W', C].
public final class MaxPool2d: Layer {
    public let window, stride: Int
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    private var output: Tensor?, inputGradient: Tensor?
    private var argmax: UnsafeMutableBufferPointer<Int32> = .allocate(capacity: 0)

    public init(window: Int = 2, stride: Int? = nil) {
        self.window = window
        self.stride = stride ?? window
    }
    deinit { argmax.deallocate() }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = ensure(&output, outputShape(x.shape))
        if argmax.count < y.count {
            argmax.deallocate()
            argmax = .allocate(capacity: y.count)
        }
        let s = x.shape
        MaxPool.forward(
            batch: s[0], height: s[1], width: s[2], channels: s[3], window: window, stride: stride,
            x: x.pointer, y: y.pointer, argmax: argmax.baseAddress!)
        inputShape = s
        return y
    }
    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let dx = ensure(&inputGradient, inputShape)
        MaxPool.backward(
            outputCount: dy.count, inputCount: dx.count, dy: dy.pointer, argmax: argmax.baseAddress!, dx: dx.pointer)
        return dx
    }
    public func outputShape(_ s: [Int]) -> [Int] {
        [
            s[0], MaxPool.outSize(s[1], window: window, stride: stride),
            MaxPool.outSize(s[2], window: window, stride: stride), s[3],
        ]
    }
}

/// Global average pooling. x: [N, H, W, C] → y: [N, C].
public final class GlobalAvgPool: Layer {
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    private var output: Tensor?, inputGradient: Tensor?
    public init() {}
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let s = x.shape
        let y = ensure(&output, [s[0], s[3]])
        GlobalAveragePool.forward(batch: s[0], pixels: s[1] * s[2], channels: s[3], x: x.pointer, y: y.pointer)
        inputShape = s
        return y
    }
    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let s = inputShape
        let dx = ensure(&inputGradient, s)
        GlobalAveragePool.backward(batch: s[0], pixels: s[1] * s[2], channels: s[3], dy: dy.pointer, dx: dx.pointer)
        return dx
    }
    public func outputShape(_ s: [Int]) -> [Int] { [s[0], s[3]] }
}
