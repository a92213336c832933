import Tensor

/// A classifier: 0–255 images [N, H, W, C] → logits [N, classes], with its parameters named as
/// a PyTorch `state_dict` would name them.
public final class Model {
    public let architecture: Architecture
    public let network: Sequential
    public let workspace: Workspace

    init(architecture: Architecture, layers: [(String, Layer)], workspace: Workspace) {
        self.architecture = architecture
        self.network = Sequential(layers)
        self.workspace = workspace
        network.needsInputGradient = false
    }

    /// Set when ∂loss/∂pixels is wanted (PGD, inversion); off for plain training, which saves the first layer's dx.
    public var needsInputGradient: Bool {
        get { network.needsInputGradient }
        set { network.needsInputGradient = newValue }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor { network.forward(x, training: training) }
    public func callAsFunction(_ x: Tensor) -> Tensor { network.forward(x, training: false) }
    /// Backpropagates dlogits; returns ∂/∂pixels when `needsInputGradient`.
    @discardableResult public func backward(_ dLogits: Tensor) -> Tensor? { network.backward(dLogits) }

    public var parameters: [Parameter] { network.parameters }

    /// Every layer that is not a container, in order (residual units opened up).
    public var leafLayers: [Layer] {
        func open(_ l: Layer) -> [Layer] {
            if let s = l as? Sequential { return s.layers.flatMap(open) }
            if let u = l as? ResidualUnit { return u.namedChildren.map(\.1) }
            return [l]
        }
        return open(network)
    }
    public var buffers: [Buffer] { network.buffers }
    public func zeroGradients() { for p in parameters { p.gradient.zero() } }

    /// Forward FLOPs (2 per multiply-add) of one image.
    public var flopsPerImage: Int {
        let s = architecture.inputShape
        return network.flops([1] + s)
    }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Fresh weights (He-normal convolutions, PyTorch-uniform dense layers) and reset statistics; deterministic in `rng`.
    public func initialize(_ rng: RNG) {
        var r = rng
        for p in parameters { p.initialize(&r) }
        for b in buffers { b.value.fill(b.name.hasSuffix("running_var") ? 1 : 0) }
    }
}
