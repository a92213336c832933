/// The compute a stage took (`timing.json` in its entry), over all of its sittings.
public struct StageTiming: Codable, Sendable {
    public var seconds: Double
    /// Of `seconds`, what sittings before the last spent (read from the checkpoint it resumed).
    public var earlierSittingsSeconds: Double

    enum CodingKeys: String, CodingKey {
        case seconds
        case earlierSittingsSeconds = "earlier_sittings_seconds"
    }
}
