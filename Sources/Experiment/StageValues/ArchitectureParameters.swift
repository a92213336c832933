import Learning

/// A network as a stage's parameters carry it (the dataset's normalisation comes from the cache).
public struct ArchitectureParameters: Codable, Sendable, Hashable {
    public var kind: Architecture.Kind
    public var input: [Int]
    public var classes: Int
    public var stem: Int
    public var widths: [Int]
    public var unitsPerGroup: Int
    public var perImageStandardization: Bool

    enum CodingKeys: String, CodingKey {
        case kind, input, classes, stem, widths
        case unitsPerGroup = "units_per_group"
        case perImageStandardization = "per_image_standardization"
    }

    public init(_ a: Architecture) {
        kind = a.kind
        input = a.inputShape
        classes = a.classes
        stem = a.stem
        widths = a.widths
        unitsPerGroup = a.unitsPerGroup
        perImageStandardization = a.perImageStandardization
    }

    /// The network, normalised by the victim's channel statistics.
    public func architecture(mean: [Float]? = nil, std: [Float]? = nil) -> Architecture {
        Architecture(
            kind: kind, inputShape: input, classes: classes, stem: stem, widths: widths, unitsPerGroup: unitsPerGroup,
            perImageStandardization: perImageStandardization, mean: mean, std: std)
    }
}
