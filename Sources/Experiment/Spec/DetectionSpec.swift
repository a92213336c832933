/// Detection by filtering (`detection`).
public struct DetectionSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var cleanImages: Int
    public var train: TrainSpec
    public var inspect: Int

    enum CodingKeys: String, CodingKey {
        case enabled, train, inspect
        case cleanImages = "clean_images"
    }
}
