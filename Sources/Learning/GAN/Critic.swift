import Tensor

/// WGAN critic: two k×k stride-2 convolutions (C → 64 → 128) with leaky ReLU and a dense score; no
/// batch norm, since the gradient penalty is per example. x: [N, H, W, C] in [0, 1] → scores [N, 1].
public final class Critic: StateHolder {
    public let conv1: Conv2d, conv2: Conv2d, dense: Linear
    let act1 = LeakyReLULayer(slope: 0.2), act2 = LeakyReLULayer(slope: 0.2)
    public let network: Sequential
    let workspace = Workspace()
    // Buffers of the penalty's double backward.
    private var g2: Tensor?, t1: Tensor?, g: Tensor?, u: Tensor?, v1: Tensor?, v2: Tensor?

    public init(imageShape: [Int], kernel: Int = 5, widths: (Int, Int) = (64, 128)) {
        let c = imageShape[2]
        conv1 = Conv2d(
            inChannels: c, outChannels: widths.0, kernel: kernel, stride: 2, padding: kernel / 2, bias: true,
            workspace: workspace)
        conv2 = Conv2d(
            inChannels: widths.0, outChannels: widths.1, kernel: kernel, stride: 2, padding: kernel / 2, bias: true,
            workspace: workspace)
        let out = conv2.outputShape(conv1.outputShape([1] + imageShape))
        dense = Linear(inputs: out[1] * out[2] * out[3], outputs: 1)
        network = Sequential([("conv1", conv1), ("", act1), ("conv2", conv2), ("", act2), ("dense", dense)])
        for p in network.parameters { p.name = "critic." + p.name }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { network.forward(x, training: true) }
    /// dScores → dx (when `network.needsInputGradient`); accumulates the parameters' gradients.
    @discardableResult public func backward(_ dScores: Tensor) -> Tensor? { network.backward(dScores) }

    public var parameters: [Parameter] { network.parameters }
    public var buffers: [Buffer] { [] }

    public func initialize(_ rng: RNG) {
        var r = rng
        for p in parameters { p.initialize(&r) }
    }

    /// The input gradient ∇ₓD(x) of every example, [N, H, W, C] (no parameter gradients are touched).
    public func inputGradients(_ x: Tensor) -> Tensor { inputGradient(x).g }

    /// Adds to the parameters' gradients ∂P/∂θ of P = weight · mean over the batch of (‖∇ₓD(x̂ₙ)‖₂ − 1)²
    /// (Gulrajani et al.'s penalty) and returns P. Exact double backward: with the leaky ReLUs' slopes m
    /// fixed (their own derivative is zero almost everywhere), ∇ₓD = C₁ᵀ(m₁ ⊙ C₂ᵀ(m₂ ⊙ w)), which is linear
    /// in each of C₁, C₂ and w; u = ∂P/∂∇ₓD is pushed back through that expression.
    @discardableResult
    public func gradientPenalty(_ xhat: Tensor, weight: Float) -> Float {
        let (grad, a1, a2) = inputGradient(xhat)
        let n = xhat.shape[0]
        let per = xhat.count / n
        let u = ensure(&self.u, xhat.shape)
        var penalty = 0.0
        for e in 0..<n {
            let gp = grad.pointer + e * per
            let up = u.pointer + e * per
            var s = 0.0
            for i in 0..<per { s += Double(gp[i]) * Double(gp[i]) }
            let norm = Float(s.squareRoot())
            penalty += (s.squareRoot() - 1) * (s.squareRoot() - 1)
            let scale = norm > 0 ? weight * 2 * (norm - 1) / (norm * Float(n)) : 0
            for i in 0..<per { up[i] = scale * gp[i] }
        }
        // ⟨u, C₁ᵀ g₁⟩ = ⟨C₁u, g₁⟩: dC₁ = weight gradient with input u and output gradient g₁; v₁ = C₁u.
        let g1 = self.t1!
        let g2 = self.g2!
        let geo1 = conv1.geometry(xhat.shape)
        let geo2 = conv2.geometry(a1.shape)
        let v1 = ensure(&self.v1, a1.shape)
        let v2 = ensure(&self.v2, a2.shape)
        Conv2D.forward(
            geo1, x: u.pointer, weight: conv1.weight.value.pointer, bias: nil, y: v1.pointer,
            scratch: workspace.convolution)
        Conv2D.backward(
            geo1, x: u.pointer, weight: conv1.weight.value.pointer, dy: g1.pointer,
            dWeight: conv1.weight.gradient.pointer,
            dBias: nil, dx: nil, scratch: workspace.convolution)
        // g₁ = m₁ ⊙ C₂ᵀg₂: r₁ = m₁ ⊙ v₁ (in v₁'s buffer); dC₂ with input r₁ and output gradient g₂; v₂ = C₂r₁.
        for i in 0..<v1.count where a1[i] <= 0 { v1[i] *= act1.slope }
        Conv2D.forward(
            geo2, x: v1.pointer, weight: conv2.weight.value.pointer, bias: nil, y: v2.pointer,
            scratch: workspace.convolution)
        Conv2D.backward(
            geo2, x: v1.pointer, weight: conv2.weight.value.pointer, dy: g2.pointer,
            dWeight: conv2.weight.gradient.pointer,
            dBias: nil, dx: nil, scratch: workspace.convolution)
        // g₂ = m₂ ⊙ w: dw = Σₙ m₂ ⊙ v₂.
        let m = a2.count / n
        let dw = dense.weight.gradient.pointer
        for e in 0..<n {
            let ap = a2.pointer + e * m
            let vp = v2.pointer + e * m
            for j in 0..<m { dw[j] += ap[j] > 0 ? vp[j] : act2.slope * vp[j] }
        }
        return weight * Float(penalty / Double(n))
    }

    /// ∇ₓD(x) = g with g₂ = m₂ ⊙ w, g₁ = m₁ ⊙ C₂ᵀg₂, g = C₁ᵀg₁; keeps g₂ and g₁, returns the pre-activations a₁, a₂.
    private func inputGradient(_ x: Tensor) -> (g: Tensor, a1: Tensor, a2: Tensor) {
        let a1 = conv1.forward(x, training: true)
        let h1 = act1.forward(a1, training: true)
        let a2 = conv2.forward(h1, training: true)
        let n = x.shape[0]
        let m = a2.count / n
        let g2 = ensure(&self.g2, a2.shape)
        let w = dense.weight.value.pointer
        for e in 0..<n {
            let ap = a2.pointer + e * m
            let gp = g2.pointer + e * m
            for j in 0..<m { gp[j] = ap[j] > 0 ? w[j] : act2.slope * w[j] }
        }
        let t1 = ensure(&self.t1, a1.shape)
        let g = ensure(&self.g, x.shape)
        Conv2D.backward(
            conv2.geometry(a1.shape), x: h1.pointer, weight: conv2.weight.value.pointer, dy: g2.pointer,
            dWeight: nil, dBias: nil, dx: t1.pointer, scratch: workspace.convolution)
        for i in 0..<t1.count where a1[i] <= 0 { t1[i] *= act1.slope }
        Conv2D.backward(
            conv1.geometry(x.shape), x: x.pointer, weight: conv1.weight.value.pointer, dy: t1.pointer,
            dWeight: nil, dBias: nil, dx: g.pointer, scratch: workspace.convolution)
        return (g, a1, a2)
    }
}
