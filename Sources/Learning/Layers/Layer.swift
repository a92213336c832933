import Tensor

/// One differentiable step of a network. Layers own their outputs and input gradients and
/// reuse them across calls, so a training step allocates nothing once shapes are stable.
public protocol Layer: AnyObject {
    /// x → y; `training` selects batch statistics and caching for `backward`.
    func forward(_ x: Tensor, training: Bool) -> Tensor
    /// dy → dx for the most recent `forward`, accumulating the gradients of trainable parameters.
    /// Returns nil when `needsInputGradient` is false.
    func backward(_ dy: Tensor) -> Tensor?
    /// Set false on a network's first layer when nobody needs ∂loss/∂input.
    var needsInputGradient: Bool { get set }
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
    /// Output shape for an input shape (no computation).
    func outputShape(_ input: [Int]) -> [Int]
    /// Forward multiply-adds × 2 for an input shape, for the cost model and `bench`.
    func flops(_ input: [Int]) -> Int
}

extension Layer {
    public var buffers: [Buffer] { [] }
    public var parameters: [Parameter] { [] }
    public func flops(_ input: [Int]) -> Int { 0 }
    /// Inference: y = layer(x).
    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x, training: false) }
    var hasTrainable: Bool { parameters.contains { $0.trainable } }
    /// Whether any parameter of the layer learns.
    public var hasTrainableParameters: Bool { hasTrainable }
}

/// Prefixes the names of a child's parameters and buffers (`prefix.name`).
func rename(_ layer: Layer, prefix: String) {
    for p in layer.parameters { p.name = prefix + "." + p.name }
    for b in layer.buffers { b.name = prefix + "." + b.name }
}

/// Layers applied in order.
public final class Sequential: Layer {
    public let layers: [Layer]
    public var needsInputGradient = true

    /// Children named by `names` (`stem`, `units.0`, …), which prefix their parameters.
    public init(_ layers: [(String, Layer)]) {
        for (n, l) in layers where !n.isEmpty { rename(l, prefix: n) }
        self.layers = layers.map(\.1)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var h = x
        for l in layers { h = l.forward(h, training: training) }
        return h
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        // Stop at the lowest layer that has something to learn: frozen prefixes (transfer learning) cost nothing.
        let lowest = needsInputGradient ? 0 : (layers.firstIndex { $0.hasTrainable } ?? layers.count)
        var g = dy
        for i in stride(from: layers.count - 1, through: lowest, by: -1) {
            layers[i].needsInputGradient = i > lowest || needsInputGradient
            guard let d = layers[i].backward(g) else { return nil }
            g = d
        }
        return needsInputGradient ? g : nil
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var buffers: [Buffer] { layers.flatMap(\.buffers) }
    public func outputShape(_ input: [Int]) -> [Int] { layers.reduce(input) { $1.outputShape($0) } }
    public func flops(_ input: [Int]) -> Int {
        var s = input
        var f = 0
        for l in layers {
            f += l.flops(s)
            s = l.outputShape(s)
        }
        return f
    }
}
