import Learning

/// Training-time defence (`defence`).
public enum DefenceSpec: Codable, Sendable, Hashable {
    case none
    /// Differentially private SGD in the thesis's transfer set-up (ch. 5).
    case dpSGD(DPSettings)
    /// The same set-up without clipping or noise.
    case sgdBaseline(DPSettings)

    enum CodingKeys: String, CodingKey { case kind }

    public init(from decoder: Decoder) throws {
        switch try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .kind) {
        case "none": self = .none
        case "dp_sgd": self = .dpSGD(try DPSettings(from: decoder))
        case "sgd_baseline": self = .sgdBaseline(try DPSettings(from: decoder))
        case let other: throw SpecDecodingError("defence kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none: try c.encode("none", forKey: .kind)
        case .dpSGD(let s):
            try c.encode("dp_sgd", forKey: .kind)
            try s.encode(to: encoder)
        case .sgdBaseline(let s):
            try c.encode("sgd_baseline", forKey: .kind)
            try s.encode(to: encoder)
        }
    }

    /// The transfer set-up's settings, when the defence uses it.
    public var settings: DPSettings? {
        switch self {
        case .none: return nil
        case .dpSGD(let s), .sgdBaseline(let s): return s
        }
    }
}
