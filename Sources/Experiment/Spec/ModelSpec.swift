import Learning

/// A network as a spec names it (`model`, `attack.perturbation.reference.model`).
public struct ModelSpec: Codable, Sendable, Hashable {
    public var arch: Architecture.Kind
    public var stem: Int
    public var widths: [Int]
    public var unitsPerGroup: Int

    enum CodingKeys: String, CodingKey {
        case arch, stem, widths
        case unitsPerGroup = "units_per_group"
    }

    /// The black-box reference model of the thesis (§4.5): a VGG-style network.
    public static let blackBoxReference = ModelSpec(arch: .vgg, stem: 16, widths: [64, 128, 256], unitsPerGroup: 2)
}
