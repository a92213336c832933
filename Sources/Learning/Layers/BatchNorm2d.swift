import Tensor

/// Batch normalisation over the last (channel) axis, optionally followed by a residual add and a
/// ReLU in the same pass (y = relu(bn(x) + residual)). x, y: [N, H, W, C] (or [N, C]).
/// Training uses batch statistics and updates the running ones; a frozen layer always uses the
/// running statistics and learns nothing (the thesis freezes them for DP-SGD).
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let momentum: Float, epsilon: Float
    /// A ReLU fused after the normalisation (and residual add).
    public let relu: Bool
    public let gamma: Parameter, beta: Parameter
    public let runningMean: Buffer, runningVar: Buffer
    public var needsInputGradient = true
    /// Inference statistics in training too, and γ, β fixed.
    public var frozen = false {
        didSet {
            gamma.trainable = !frozen
            beta.trainable = !frozen
        }
    }
    private var input: Tensor?, output: Tensor?, inputGradient: Tensor?, residualGradient: Tensor?
    private let mean: Tensor, invStd: Tensor
    private var usedBatchStatistics = false
    private var addedResidual = false

    public init(channels: Int, relu: Bool = false, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels
        self.relu = relu
        self.momentum = momentum
        self.epsilon = epsilon
        gamma = Parameter("weight", shape: [channels], decays: false, initializer: .constant(1))
        beta = Parameter("bias", shape: [channels], decays: false, initializer: .constant(0))
        runningMean = Buffer("running_mean", shape: [channels])
        runningVar = Buffer("running_var", shape: [channels], fill: 1)
        mean = Tensor(zeros: [channels])
        invStd = Tensor(zeros: [channels])
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, residual: nil, training: training) }

    /// y = [relu](bn(x) + residual); `residual` has x's shape.
    public func forward(_ x: Tensor, residual: Tensor?, training: Bool) -> Tensor {
        let y = ensure(&output, x.shape)
        let m = x.count / channels
        usedBatchStatistics = training && !frozen
        if usedBatchStatistics {
            BatchNorm.forwardTraining(
                rows: m, channels: channels, x: x.pointer, gamma: gamma.value.pointer,
                beta: beta.value.pointer, residual: residual?.pointer, relu: relu, y: y.pointer,
                runningMean: runningMean.value.pointer, runningVar: runningVar.value.pointer,
                momentum: momentum, epsilon: epsilon,
                saved: .init(mean: mean.pointer, invStd: invStd.pointer))
        } else {
            mean.copy(from: runningMean.value)
            BatchNorm.forwardInference(
                rows: m, channels: channels, x: x.pointer, gamma: gamma.value.pointer,
                beta: beta.value.pointer, residual: residual?.pointer, relu: relu, y: y.pointer,
                runningMean: runningMean.value.pointer, runningVar: runningVar.value.pointer,
                epsilon: epsilon, invStd: invStd.pointer)
        }
        input = x
        addedResidual = residual != nil
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? { backward(dy, residualGradient: false).dx }

    /// Returns dx (if `needsInputGradient`) and, if asked, the gradient reaching the residual input.
    public func backward(_ dy: Tensor, residualGradient wantResidual: Bool) -> (dx: Tensor?, dResidual: Tensor?) {
        guard let x = input, let y = output else { preconditionFailure("BatchNorm2d.backward before forward") }
        let dx = needsInputGradient ? ensure(&inputGradient, x.shape) : nil
        let dr = wantResidual ? ensure(&residualGradient, x.shape) : nil
        // Without a residual the ReLU's mask is recomputed from x, which backward reads anyway.
        let mask: BatchNorm.ReLUMask =
            !relu ? .none : addedResidual ? .output(y.pointer) : .recomputed(beta: beta.value.pointer)
        BatchNorm.backward(
            rows: x.count / channels, channels: channels, x: x.pointer, dy: dy.pointer, mask: mask,
            gamma: gamma.value.pointer, mean: mean.pointer, invStd: invStd.pointer,
            training: usedBatchStatistics,
            dGamma: gamma.trainable ? gamma.gradient.pointer : nil,
            dBeta: beta.trainable ? beta.gradient.pointer : nil,
            dx: dx?.pointer, dResidual: dr?.pointer)
        return (dx, dr)
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public var buffers: [Buffer] { [runningMean, runningVar] }
    public func outputShape(_ s: [Int]) -> [Int] { s }
}
