import Tensor

/// y = max(x, 0), any shape.
public final class ReLULayer: Layer {
    public var needsInputGradient = true
    private var output: Tensor?, inputGradient: Tensor?
    public init() {}
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = ensure(&output, x.shape)
        ReLU.forward(x.pointer, y.pointer, count: x.count)
        return y
    }
    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient, let y = output else { return nil }
        let dx = ensure(&inputGradient, y.shape)
        ReLU.backward(y: y.pointer, dy: dy.pointer, dx: dx.pointer, count: y.count)
        return dx
    }
    public func outputShape(_ s: [Int]) -> [Int] { s }
}

/// y = x for x > 0, slope·x otherwise, any shape.
public final class LeakyReLULayer: Layer {
    public let slope: Float
    public var needsInputGradient = true
    private var input: Tensor?, output: Tensor?, inputGradient: Tensor?
    public init(slope: Float = 0.2) { self.slope = slope }
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = ensure(&output, x.shape)
        LeakyReLU.forward(x.pointer, y.pointer, count: x.count, slope: slope)
        input = x
        return y
    }
    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient, let x = input else { return nil }
        let dx = ensure(&inputGradient, x.shape)
        LeakyReLU.backward(x: x.pointer, dy: dy.pointer, dx: dx.pointer, count: x.count, slope: slope)
        return dx
    }
    public func outputShape(_ s: [Int]) -> [Int] { s }
}
