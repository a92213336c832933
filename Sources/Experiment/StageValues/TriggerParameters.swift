import Backdoor
import Foundation

/// A trigger as poison and evaluate stages carry it. An image pattern's signs (and a blend picture's
/// pixels) are part of it, so editing the file changes the keys; where the file lies is not (only its
/// name), so a moved checkout keeps its cache. A pattern's own settings are present, defaults filled,
/// only for that pattern, so the patch triggers' keys are those they had before the other patterns.
public struct TriggerParameters: Codable, Sendable, Hashable {
    public var pattern: TriggerSpec.Pattern
    /// The image file's name, or "none".
    public var file: String
    public var size: Int
    /// Corner names, sorted.
    public var corners: [String]
    public var amplitude: Double
    /// An image pattern's signs (−1 black, 0 untouched, 1 white), row by row.
    public var mask: [Int]?
    /// Blend: the picture's grey pixels (row by row, square) when a file gives the pattern.
    public var picture: [Int]?
    /// The pattern's own settings with their defaults filled (only this pattern's).
    public var settings: PatternSettings

    enum CodingKeys: String, CodingKey { case pattern, file, size, corners, amplitude, mask, picture }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pattern = try c.decode(TriggerSpec.Pattern.self, forKey: .pattern)
        file = try c.decode(String.self, forKey: .file)
        size = try c.decode(Int.self, forKey: .size)
        corners = try c.decode([String].self, forKey: .corners)
        amplitude = try c.decode(Double.self, forKey: .amplitude)
        mask = try c.decodeIfPresent([Int].self, forKey: .mask)
        picture = try c.decodeIfPresent([Int].self, forKey: .picture)
        settings = try PatternSettings(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pattern, forKey: .pattern)
        try c.encode(file, forKey: .file)
        try c.encode(size, forKey: .size)
        try c.encode(corners, forKey: .corners)
        try c.encode(amplitude, forKey: .amplitude)
        try c.encodeIfPresent(mask, forKey: .mask)
        try c.encodeIfPresent(picture, forKey: .picture)
        try settings.encode(to: encoder)
    }

    // Shorthands for the settings.
    public var alpha: Double? {
        get { settings.alpha }
        set { settings.alpha = newValue }
    }
    public var noise: Double? { settings.noise }

    /// The defaults of the papers: Blended α 0.2; SIG Δ 20, f 6; WaNet k 4, s 0.5, noise ×2.
    public static let defaultAlpha = 0.2
    public static let defaultDelta = 20.0
    public static let defaultFrequency = 6.0
    public static let defaultGrid = 4
    public static let defaultStrength = 0.5
    public static let defaultNoise = 2.0

    /// The trigger of `t`; `file` is where its image opens from here.
    public init(_ t: TriggerSpec, file: String?) {
        pattern = t.pattern
        self.file = t.file ?? "none"
        size = t.size
        corners = t.corners.map(\.rawValue).sorted()
        amplitude = t.amplitude
        settings = PatternSettings()
        let given = t.settings
        switch t.pattern {
        case .checkerboard, .x: break
        case .image:
            guard let file else { break }
            // Validation has read this file; an empty mask makes the stage fail with a message if it changed since.
            mask = ((try? TriggerImage.signs(path: file, size: t.size)) ?? []).map { Int($0) }
            self.file = (file as NSString).lastPathComponent
        case .blend:
            settings.alpha = given.alpha ?? Self.defaultAlpha
            settings.seed = given.seed ?? 0
            if let file {
                picture = ((try? TriggerImage.grey(path: file)) ?? []).map { Int($0) }
                self.file = (file as NSString).lastPathComponent
            }
        case .sinusoid:
            settings.delta = given.delta ?? Self.defaultDelta
            settings.frequency = given.frequency ?? Self.defaultFrequency
        case .warp:
            settings.grid = given.grid ?? Self.defaultGrid
            settings.strength = given.strength ?? Self.defaultStrength
            settings.noise = given.noise ?? Self.defaultNoise
            settings.seed = given.seed ?? 0
        }
    }

    /// The trigger, applied as at training or (with another amplitude or α) at test time.
    public func trigger() throws -> any ImageTrigger {
        switch pattern {
        case .checkerboard, .x, .image:
            if let mask, mask.count != size * size { throw unreadable }
            let p: Trigger.Pattern = pattern == .x ? .x : pattern == .image ? .image : .checkerboard
            return Trigger(
                pattern: p, size: size, corners: corners.compactMap(Trigger.Corner.init(rawValue:)),
                amplitude: Float(amplitude), mask: mask.map { $0.map { Int8($0) } })
        case .blend:
            let source: BlendTrigger.Source
            if let picture {
                let side = Int(Double(picture.count).squareRoot())
                guard side > 0, side * side == picture.count else { throw unreadable }
                source = .picture(grey: picture.map { UInt8(clamping: $0) }, side: side)
            } else {
                source = .noise(seed: UInt64(settings.seed ?? 0))
            }
            return BlendTrigger(source: source, alpha: Float(settings.alpha ?? Self.defaultAlpha))
        case .sinusoid:
            return SinusoidalSignal(
                delta: Float(settings.delta ?? Self.defaultDelta),
                frequency: Float(settings.frequency ?? Self.defaultFrequency))
        case .warp:
            return warpTrigger()
        }
    }

    /// WaNet's warp (whatever the pattern says; the poison stage asks for it only with `warp`).
    public func warpTrigger() -> WarpTrigger {
        WarpTrigger.random(
            gridSize: settings.grid ?? Self.defaultGrid, strength: Float(settings.strength ?? Self.defaultStrength),
            seed: UInt64(settings.seed ?? 0))
    }

    var unreadable: StageFailure {
        StageFailure("trigger file '\(file)' could not be read when the plan was made; run `validate` on the spec")
    }
}
