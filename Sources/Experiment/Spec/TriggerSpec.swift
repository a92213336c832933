import Backdoor

/// The backdoor pattern (`attack.trigger`).
public struct TriggerSpec: Codable, Sendable, Hashable {
    public var pattern: Trigger.Pattern
    public var file: String?
    public var size: Int
    /// The corners stamped (`all` expanded).
    public var corners: [Trigger.Corner]
    public var amplitude: Double

    enum CodingKeys: String, CodingKey { case pattern, file, size, corners, amplitude }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pattern = try c.decode(Trigger.Pattern.self, forKey: .pattern)
        file = try c.decodeIfPresent(String.self, forKey: .file)
        size = try c.decode(Int.self, forKey: .size)
        amplitude = try c.decode(Double.self, forKey: .amplitude)
        if (try? c.decode(String.self, forKey: .corners)) == "all" {
            corners = Trigger.Corner.allCases
        } else {
            corners = try c.decode([Trigger.Corner].self, forKey: .corners)
        }
    }
}
