import Tensor

/// 2-D convolution. x: [N, H, W, inChannels] → y: [N, H', W', outChannels];
/// weight [k, k, in, out] (exported to PyTorch as [out, in, k, k]), optional bias [out].
public final class Conv2d: Layer {
    public let inChannels, outChannels, kernel, stride, padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var needsInputGradient = true
    /// When set, `backward` writes each example's own gradient here, [N, k·k·in·out + out]
    /// (weight, then bias), instead of summing into `weight.gradient` (per-example clipping).
    public var perExampleGradients: Tensor?
    let workspace: Workspace
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(
        inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = false, workspace: Workspace
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.workspace = workspace
        weight = Parameter(
            "weight", shape: [kernel, kernel, inChannels, outChannels], decays: true,
            initializer: .heNormal(fanIn: kernel * kernel * inChannels), exportPermutation: [3, 2, 0, 1])
        self.bias =
            bias
            ? Parameter(
                "bias", shape: [outChannels], decays: false,
                initializer: .uniform(fanIn: kernel * kernel * inChannels)) : nil
    }

    func geometry(_ s: [Int]) -> ConvGeometry {
        ConvGeometry(
            batch: s[0], height: s[1], width: s[2], inChannels: inChannels, outChannels: outChannels,
            kernel: kernel, stride: stride, padding: padding)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let g = geometry(x.shape)
        let y = ensure(&output, g.outputShape)
        Conv2D.forward(
            g, x: x.pointer, weight: weight.value.pointer, bias: bias?.value.pointer, y: y.pointer,
            scratch: workspace.convolution)
        input = x
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? { backward(dy, adding: nil) }

    /// As `backward`, with dx = `base` + the input gradient when `base` (x's shape) is given: a
    /// residual join's two gradients summed as dx is stored.
    public func backward(_ dy: Tensor, adding base: Tensor?) -> Tensor? {
        guard let x = input else { preconditionFailure("Conv2d.backward before forward") }
        let g = geometry(x.shape)
        let dx = needsInputGradient ? ensure(&inputGradient, x.shape) : nil
        if let pe = perExampleGradients, weight.trainable {
            pe.reshape([g.batch, weight.value.count + outChannels])
            Conv2D.backward(
                g, x: x.pointer, weight: weight.value.pointer, dy: dy.pointer, dWeight: weight.gradient.pointer,
                dBias: nil, dx: dx?.pointer, scratch: workspace.convolution, perExample: pe.pointer,
                dxAddend: base.map { UnsafePointer($0.pointer) })
        } else if weight.trainable || dx != nil {
            Conv2D.backward(
                g, x: x.pointer, weight: weight.value.pointer, dy: dy.pointer,
                dWeight: weight.trainable ? weight.gradient.pointer : nil,
                dBias: bias.flatMap { $0.trainable ? $0.gradient.pointer : nil },
                dx: dx?.pointer, scratch: workspace.convolution, dxAddend: base.map { UnsafePointer($0.pointer) })
        }
        return dx
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public func outputShape(_ s: [Int]) -> [Int] { geometry(s).outputShape }
    public func flops(_ s: [Int]) -> Int { geometry(s).forwardFLOPs }
}
