import Tensor

/// Fully connected layer; flattens its input. x: [N, …] with `inputs` values per example → y: [N, outputs].
/// weight [inputs, outputs] (exported to PyTorch as [outputs, inputs]), bias [outputs].
public final class Linear: Layer {
    public let inputs, outputs: Int
    public let weight: Parameter, bias: Parameter
    public var needsInputGradient = true
    /// When set, `backward` writes each example's own gradient here, [N, inputs·outputs + outputs]
    /// (weight, then bias), instead of summing into the parameters' gradients.
    public var perExampleGradients: Tensor?
    private var input: Tensor?, output: Tensor?, inputGradient: Tensor?

    public init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
        weight = Parameter(
            "weight", shape: [inputs, outputs], decays: true, initializer: .uniform(fanIn: inputs),
            exportPermutation: [1, 0])
        bias = Parameter("bias", shape: [outputs], decays: false, initializer: .uniform(fanIn: inputs))
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let n = x.shape[0]
        precondition(x.count == n * inputs, "Linear expects \(inputs) values per example, got shape \(x.shape)")
        let y = ensure(&output, [n, outputs])
        Dense.forward(
            batch: n, inputs: inputs, outputs: outputs, x: x.pointer, weight: weight.value.pointer,
            bias: bias.value.pointer, y: y.pointer)
        input = x
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let n = x.shape[0]
        let dx = needsInputGradient ? ensure(&inputGradient, x.shape) : nil
        if let pe = perExampleGradients, weight.trainable {
            // Per example: dW = xᵢ ⊗ dyᵢ, db = dyᵢ.
            let w = inputs * outputs
            pe.reshape([n, w + outputs])
            for i in 0..<n {
                let xi = x.pointer + i * inputs
                let gi = dy.pointer + i * outputs
                let o = pe.pointer + i * (w + outputs)
                for a in 0..<inputs {
                    let v = xi[a]
                    let row = o + a * outputs
                    for b in 0..<outputs { row[b] = v * gi[b] }
                }
                (o + w).update(from: gi, count: outputs)
            }
            if let dx { gemm(n, inputs, outputs, dy.pointer, weight.value.pointer, transB: true, dx.pointer) }
        } else if weight.trainable {
            Dense.backward(
                batch: n, inputs: inputs, outputs: outputs, x: x.pointer, weight: weight.value.pointer,
                dy: dy.pointer, dWeight: weight.gradient.pointer, dBias: bias.gradient.pointer, dx: dx?.pointer)
        } else if let dx {
            gemm(n, inputs, outputs, dy.pointer, weight.value.pointer, transB: true, dx.pointer)
        }
        return dx
    }

    public var parameters: [Parameter] { [weight, bias] }
    public func outputShape(_ s: [Int]) -> [Int] { [s[0], outputs] }
    public func flops(_ s: [Int]) -> Int { 2 * s[0] * inputs * outputs }
}
