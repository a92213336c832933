/// Loss tracking over training (`loss_tracking`).
public struct LossTrackingSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var every: Int
}
