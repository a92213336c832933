import Learning

/// `train.augmentation` as written: `none`, `standard`, or the settings.
public enum AugmentationSpec: Codable, Sendable, Hashable {
    case none, standard
    case custom(cropPadding: Int, flip: Bool, perImageStandardization: Bool)

    /// The settings written as one word.
    public enum Preset: String, Codable, Sendable, CaseIterable { case none, standard }

    enum CodingKeys: String, CodingKey { case crop_padding, flip, per_image_standardization }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer(), let word = try? c.decode(String.self) {
            guard let preset = Preset(rawValue: word) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown augmentation '\(word)'")
            }
            switch preset {
            case .none: self = .none
            case .standard: self = .standard
            }
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = .custom(
            cropPadding: try c.decode(Int.self, forKey: .crop_padding), flip: try c.decode(Bool.self, forKey: .flip),
            perImageStandardization: try c.decode(Bool.self, forKey: .per_image_standardization))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .none, .standard:
            var c = encoder.singleValueContainer()
            try c.encode(self == .none ? Preset.none : Preset.standard)
        case .custom(let crop, let flip, let standardize):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(crop, forKey: .crop_padding)
            try c.encode(flip, forKey: .flip)
            try c.encode(standardize, forKey: .per_image_standardization)
        }
    }

    /// The random crop and flip.
    public var augmentation: Augmentation {
        switch self {
        case .none: return .none
        case .standard: return .standard
        case .custom(let crop, let flip, _): return Augmentation(cropPadding: crop, horizontalFlip: flip)
        }
    }

    /// Whether each image is standardised to zero mean and unit variance.
    public var perImageStandardization: Bool {
        switch self {
        case .none: return false
        case .standard: return true
        case .custom(_, _, let s): return s
        }
    }
}
