import Tensor

/// Updates trainable parameters from their accumulated gradients. Frozen parameters are skipped.
public protocol Optimizer: AnyObject {
    func step(_ parameters: [Parameter], learningRate: Float)
    /// Per-parameter state (momentum, moments) by parameter name, for checkpoints.
    var state: [String: Tensor] { get }
    func loadState(_ state: [String: Tensor]) throws
}

/// Momentum SGD with L2 weight decay, as PyTorch applies it:
/// g ← ∇ + λ·w (decaying parameters only); v ← μ·v + g; w ← w − lr·v.
public final class SGD: Optimizer {
    public let momentum: Float, weightDecay: Float
    private var velocity: [ObjectIdentifier: (name: String, v: Tensor)] = [:]

    public init(momentum: Float = 0.9, weightDecay: Float = 0) {
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        for p in parameters where p.trainable {
            let v = slot(p)
            let w = p.value.pointer
            let g = p.gradient.pointer
            let vp = v.pointer
            let wd = p.decays ? weightDecay : 0
            let mu = momentum
            for i in 0..<p.value.count {
                let d = g[i] + wd * w[i]
                vp[i] = mu * vp[i] + d
                w[i] -= lr * vp[i]
            }
        }
    }

    private func slot(_ p: Parameter) -> Tensor {
        if let s = velocity[ObjectIdentifier(p)] { return s.v }
        let t = Tensor(zeros: p.value.shape)
        velocity[ObjectIdentifier(p)] = (p.name, t)
        return t
    }

    public var state: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: velocity.values.map { ("momentum." + $0.name, $0.v) })
    }

    public func loadState(_ state: [String: Tensor]) throws {
        for (_, s) in velocity {
            guard let t = state["momentum." + s.name], t.count == s.v.count else {
                throw CheckpointError.missingTensor("momentum." + s.name)
            }
            s.v.copy(from: t)
        }
    }

    /// Registers state slots for `parameters` (so a restored optimizer knows their names).
    public func prepare(_ parameters: [Parameter]) { for p in parameters where p.trainable { _ = slot(p) } }
}

/// Adam (Kingma & Ba) with bias correction; `weightDecay` is L2 added to the gradient.
public final class Adam: Optimizer {
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public private(set) var steps = 0
    private var moments: [ObjectIdentifier: (name: String, m: Tensor, v: Tensor)] = [:]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        steps += 1
        let c1 = 1 - pow(beta1, steps)
        let c2 = 1 - pow(beta2, steps)
        for p in parameters where p.trainable {
            let s = slot(p)
            let w = p.value.pointer
            let g = p.gradient.pointer
            let m = s.m.pointer
            let v = s.v.pointer
            let wd = p.decays ? weightDecay : 0
            for i in 0..<p.value.count {
                let d = g[i] + wd * w[i]
                m[i] = beta1 * m[i] + (1 - beta1) * d
                v[i] = beta2 * v[i] + (1 - beta2) * d * d
                w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
            }
        }
    }

    private func pow(_ b: Float, _ n: Int) -> Float {
        var r: Float = 1
        for _ in 0..<n { r *= b }
        return r
    }

    private func slot(_ p: Parameter) -> (name: String, m: Tensor, v: Tensor) {
        if let s = moments[ObjectIdentifier(p)] { return s }
        let s = (p.name, Tensor(zeros: p.value.shape), Tensor(zeros: p.value.shape))
        moments[ObjectIdentifier(p)] = s
        return s
    }

    public var state: [String: Tensor] {
        var d: [String: Tensor] = ["adam.steps": Tensor(shape: [1], values: [Float(steps)])]
        for s in moments.values {
            d["adam.m." + s.name] = s.m
            d["adam.v." + s.name] = s.v
        }
        return d
    }

    public func loadState(_ state: [String: Tensor]) throws {
        guard let st = state["adam.steps"] else { throw CheckpointError.missingTensor("adam.steps") }
        steps = Int(st[0])
        for s in moments.values {
            guard let m = state["adam.m." + s.name], let v = state["adam.v." + s.name] else {
                throw CheckpointError.missingTensor("adam.m." + s.name)
            }
            s.m.copy(from: m)
            s.v.copy(from: v)
        }
    }

    public func prepare(_ parameters: [Parameter]) { for p in parameters where p.trainable { _ = slot(p) } }
}
