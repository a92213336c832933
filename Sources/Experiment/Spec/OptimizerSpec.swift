import Learning

/// How weights are updated (`train.optimizer`).
public enum OptimizerSpec: Codable, Sendable, Hashable {
    case momentum(momentum: Double, weightDecay: Double)
    case adam(beta1: Double, beta2: Double, weightDecay: Double)

    enum CodingKeys: String, CodingKey { case kind, momentum, beta1, beta2, weight_decay }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let decay = try c.decode(Double.self, forKey: .weight_decay)
        switch try c.decode(String.self, forKey: .kind) {
        case "adam":
            self = .adam(
                beta1: try c.decode(Double.self, forKey: .beta1), beta2: try c.decode(Double.self, forKey: .beta2),
                weightDecay: decay)
        case "momentum": self = .momentum(momentum: try c.decode(Double.self, forKey: .momentum), weightDecay: decay)
        case let other: throw SpecDecodingError("optimizer kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .momentum(let m, let decay):
            try c.encode("momentum", forKey: .kind)
            try c.encode(m, forKey: .momentum)
            try c.encode(decay, forKey: .weight_decay)
        case .adam(let b1, let b2, let decay):
            try c.encode("adam", forKey: .kind)
            try c.encode(b1, forKey: .beta1)
            try c.encode(b2, forKey: .beta2)
            try c.encode(decay, forKey: .weight_decay)
        }
    }

    /// The optimizer, prepared for `parameters`.
    public func make(for parameters: [Parameter]) -> Optimizer {
        switch self {
        case .momentum(let m, let decay):
            let o = SGD(momentum: Float(m), weightDecay: Float(decay))
            o.prepare(parameters)
            return o
        case .adam(let b1, let b2, let decay):
            let o = Adam(beta1: Float(b1), beta2: Float(b2), weightDecay: Float(decay))
            o.prepare(parameters)
            return o
        }
    }
}
