import Backdoor
import Foundation

/// A trigger as poison and evaluate stages carry it. An image pattern's signs are part of it, so
/// editing the file changes the keys; where the file lies is not (only its name), so a moved
/// checkout keeps its cache.
public struct TriggerParameters: Codable, Sendable, Hashable {
    public var pattern: Trigger.Pattern
    /// The image file's name, or "none".
    public var file: String
    public var size: Int
    /// Corner names, sorted.
    public var corners: [String]
    public var amplitude: Double
    /// An image pattern's signs (−1 black, 0 untouched, 1 white), row by row.
    public var mask: [Int]?

    /// The trigger of `t`; `file` is where its image opens from here.
    public init(_ t: TriggerSpec, file: String?) {
        pattern = t.pattern
        self.file = t.file ?? "none"
        size = t.size
        corners = t.corners.map(\.rawValue).sorted()
        amplitude = t.amplitude
        if t.pattern == .image, let file {
            // Validation has read this file; an empty mask makes the stage fail with a message if it changed since.
            mask = ((try? TriggerImage.signs(path: file, size: t.size)) ?? []).map { Int($0) }
            self.file = (file as NSString).lastPathComponent
        }
    }

    /// The trigger, stamped as at training or (with another amplitude) at test time.
    public func trigger() throws -> Trigger {
        if let mask, mask.count != size * size {
            throw StageFailure(
                "trigger file '\(file)' could not be read when the plan was made; run `validate` on the spec")
        }
        return Trigger(
            pattern: pattern, size: size, corners: corners.compactMap(Trigger.Corner.init(rawValue:)),
            amplitude: Float(amplitude), mask: mask.map { $0.map { Int8($0) } })
    }
}
