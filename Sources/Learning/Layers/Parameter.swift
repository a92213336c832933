import Tensor

/// A trainable tensor, its gradient, and how it is treated and exported.
public final class Parameter: @unchecked Sendable {
    /// Dotted name, as in a PyTorch `state_dict` (`units.0.conv1.weight`); set by the model.
    public var name: String
    public let value: Tensor
    public let gradient: Tensor
    /// Frozen parameters keep their value: no gradient is computed for them.
    public var trainable = true
    /// Whether weight decay applies (convolution and dense weights; not biases or batch-norm scales).
    public let decays: Bool
    /// How to lay the value out for PyTorch: the permutation of `value.shape` that gives its shape.
    public let exportPermutation: [Int]

    /// How fresh weights are drawn.
    public enum Initializer: Sendable {
        case constant(Float)
        /// N(0, 2/fanIn), He et al.
        case heNormal(fanIn: Int)
        /// U(−1/√fanIn, 1/√fanIn), PyTorch's default for dense layers and biases.
        case uniform(fanIn: Int)
    }
    public let initializer: Initializer

    public init(_ name: String, shape: [Int], decays: Bool, initializer: Initializer, exportPermutation: [Int]? = nil) {
        self.name = name
        self.initializer = initializer
        value = Tensor(zeros: shape)
        gradient = Tensor(zeros: shape)
        self.decays = decays
        self.exportPermutation = exportPermutation ?? Array(shape.indices)
        if case .constant(let v) = initializer { value.fill(v) }
    }

    /// Draws fresh values from `initializer`.
    public func initialize(_ rng: inout RNG) {
        switch initializer {
        case .constant(let v): value.fill(v)
        case .heNormal(let fanIn):
            let std = (2 / Float(fanIn)).squareRoot()
            for i in 0..<value.count { value[i] = rng.normal() * std }
        case .uniform(let fanIn):
            let b = 1 / Float(fanIn).squareRoot()
            for i in 0..<value.count { value[i] = (2 * rng.uniform() - 1) * b }
        }
    }
}

/// A non-trainable state tensor saved with the model (batch-norm running statistics).
public final class Buffer: @unchecked Sendable {
    public var name: String
    public let value: Tensor
    public init(_ name: String, shape: [Int], fill: Float = 0) {
        self.name = name
        value = Tensor(zeros: shape)
        value.fill(fill)
    }
}
