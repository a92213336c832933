import Backdoor
import Learning

/// How poisoned images are made hard to classify before the trigger (`attack.perturbation`).
public enum PerturbationSpec: Codable, Sendable, Hashable {
    case none
    case pgd(PGDPerturbation)
    case ganInterpolation(GANInterpolation)
    case pixelInterpolation(tau: Double, source: DataSplit)
    case gaussianNoise(sigma: Double)

    enum CodingKeys: String, CodingKey { case kind, tau, source, sigma }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "none": self = .none
        case "pgd": self = .pgd(try PGDPerturbation(from: decoder))
        case "gan_interpolation": self = .ganInterpolation(try GANInterpolation(from: decoder))
        case "pixel_interpolation":
            self = .pixelInterpolation(
                tau: try c.decode(Double.self, forKey: .tau), source: try c.decode(DataSplit.self, forKey: .source))
        case "gaussian_noise": self = .gaussianNoise(sigma: try c.decode(Double.self, forKey: .sigma))
        case let other: throw SpecDecodingError("perturbation kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .none: break
        case .pgd(let p): try p.encode(to: encoder)
        case .ganInterpolation(let g): try g.encode(to: encoder)
        case .pixelInterpolation(let tau, let source):
            try c.encode(tau, forKey: .tau)
            try c.encode(source, forKey: .source)
        case .gaussianNoise(let sigma): try c.encode(sigma, forKey: .sigma)
        }
    }

    /// Its name in the spec language.
    public var kind: String {
        switch self {
        case .none: return "none"
        case .pgd: return "pgd"
        case .ganInterpolation: return "gan_interpolation"
        case .pixelInterpolation: return "pixel_interpolation"
        case .gaussianNoise: return "gaussian_noise"
        }
    }
}
