/// Learning rate as a function of the step (0-based).
public enum LearningRate: Equatable, Hashable, Sendable, Codable {
    case constant(Float)
    /// values[i] while step < boundaries[i]; values.count == boundaries.count + 1.
    case piecewise(boundaries: [Int], values: [Float])
    /// Linear warm-up from 0 to `peak` over `warmup` steps, then linear decay to 0 at `total` (one-cycle style).
    case triangular(peak: Float, warmup: Int, total: Int)

    /// The same schedule with every rate multiplied by `factor`.
    public func scaled(_ factor: Float) -> LearningRate {
        switch self {
        case .constant(let v): return .constant(v * factor)
        case .piecewise(let b, let v): return .piecewise(boundaries: b, values: v.map { $0 * factor })
        case .triangular(let p, let w, let t): return .triangular(peak: p * factor, warmup: w, total: t)
        }
    }

    public func callAsFunction(_ step: Int) -> Float {
        switch self {
        case .constant(let v): return v
        case .piecewise(let b, let v):
            var i = 0
            while i < b.count && step >= b[i] { i += 1 }
            return v[min(i, v.count - 1)]
        case .triangular(let peak, let warmup, let total):
            if step < warmup { return peak * Float(step + 1) / Float(max(warmup, 1)) }
            return peak * max(0, Float(total - step) / Float(max(total - warmup, 1)))
        }
    }
}
