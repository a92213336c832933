import Learning

/// `train.learning_rate`: a constant, or piecewise constant between step or fraction boundaries.
public enum LearningRateSpec: Codable, Sendable, Hashable {
    case constant(Double)
    case piecewise(Piecewise)

    public struct Piecewise: Codable, Sendable, Hashable {
        public var boundaries: [Int]?
        public var fractions: [Double]?
        public var values: [Double]
    }

    enum CodingKeys: String, CodingKey { case piecewise }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer(), let rate = try? c.decode(Double.self) {
            self = .constant(rate)
        } else {
            self = .piecewise(
                try decoder.container(keyedBy: CodingKeys.self).decode(Piecewise.self, forKey: .piecewise))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .constant(let r):
            var c = encoder.singleValueContainer()
            try c.encode(r)
        case .piecewise(let p):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(p, forKey: .piecewise)
        }
    }

    /// The schedule for a training of `total` steps (fractions become steps of it).
    public func schedule(total: Int) -> LearningRate {
        switch self {
        case .constant(let r): return .constant(Float(r))
        case .piecewise(let p):
            let bounds = p.boundaries ?? (p.fractions ?? []).map { Int(($0 * Double(total)).rounded()) }
            return .piecewise(boundaries: bounds, values: p.values.map { Float($0) })
        }
    }
}
