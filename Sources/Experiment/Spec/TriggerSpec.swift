import Backdoor

/// The backdoor pattern (`attack.trigger`). The settings of one pattern are absent for the others
/// (their defaults live in `TriggerParameters`), so a setting the pattern ignores is a spec error.
public struct TriggerSpec: Codable, Sendable, Hashable {
    /// How the trigger marks an image.
    public enum Pattern: String, Codable, Sendable, Hashable, CaseIterable {
        /// Patches stamped in corners or the centre (BadNets, the thesis).
        case checkerboard, x, image
        /// Blended: (1 − α)·x + α·pattern.
        case blend
        /// SIG's horizontal sinusoid.
        case sinusoid
        /// WaNet's smooth warp.
        case warp

        /// A patch pattern stamped at `size` in corners or the centre.
        public var isPatch: Bool { self == .checkerboard || self == .x || self == .image }
    }

    public var pattern: Pattern
    public var file: String?
    public var size: Int
    /// The corners stamped (`all` expanded).
    public var corners: [Trigger.Corner]
    public var amplitude: Double
    /// The blend, sinusoid and warp patterns' settings, as written (absent: the papers' defaults).
    public var settings: PatternSettings

    enum CodingKeys: String, CodingKey { case pattern, file, size, corners, amplitude }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pattern = try c.decode(Pattern.self, forKey: .pattern)
        file = try c.decodeIfPresent(String.self, forKey: .file)
        size = try c.decode(Int.self, forKey: .size)
        amplitude = try c.decode(Double.self, forKey: .amplitude)
        if (try? c.decode(String.self, forKey: .corners)) == "all" {
            corners = Trigger.Corner.allCases
        } else {
            corners = try c.decode([Trigger.Corner].self, forKey: .corners)
        }
        settings = try PatternSettings(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pattern, forKey: .pattern)
        try c.encodeIfPresent(file, forKey: .file)
        try c.encode(size, forKey: .size)
        try c.encode(corners, forKey: .corners)
        try c.encode(amplitude, forKey: .amplitude)
        try settings.encode(to: encoder)
    }

    /// The settings each pattern reads besides `pattern` (the others must be left out).
    static let settings: [Pattern: Set<String>] = [
        .checkerboard: ["size", "corners", "amplitude"], .x: ["size", "amplitude"],
        .image: ["file", "size", "corners", "amplitude"], .blend: ["file", "alpha", "seed"],
        .sinusoid: ["delta", "frequency"], .warp: ["grid", "strength", "noise", "seed"],
    ]
}

/// The settings of the blend, sinusoid and warp patterns, side by side with the trigger's own keys.
public struct PatternSettings: Codable, Sendable, Hashable {
    /// Blend: the pattern's weight α.
    public var alpha: Double?
    /// Sinusoid: Δ and f.
    public var delta: Double?
    public var frequency: Double?
    /// Warp: the control grid's side k, the strength s, and the noise-mode images per poison.
    public var grid: Int?
    public var strength: Double?
    public var noise: Double?
    /// Blend noise and warp grid: the seed that draws them.
    public var seed: Int?
}
