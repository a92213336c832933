import Tensor

/// A training whose loss or weights stopped being finite. Whatever it would go on to produce is
/// meaningless (a model of NaNs predicts one class everywhere, which reads as a perfect attack).
public struct TrainingDiverged: Error, CustomStringConvertible, Equatable {
    public var step: Int
    /// What was found: "the loss is nan", "weight units.0.conv1.weight has inf values".
    public var finding: String

    public var description: String {
        "training diverged at step \(step): \(finding); nothing of it was cached (a lower learning rate usually helps)"
    }
}

public enum Divergence {
    /// Throws when a step's loss is not finite.
    public static func check(loss: Float, step: Int) throws {
        guard loss.isFinite else {
            throw TrainingDiverged(step: step, finding: "the loss is \(loss.isNaN ? "NaN" : "\(loss)")")
        }
    }

    /// Throws when a parameter or running statistic of `holders` has a non-finite value.
    public static func check(_ holders: [any StateHolder], step: Int) throws {
        for h in holders {
            for (name, t) in h.parameters.map({ ($0.name, $0.value) }) + h.buffers.map({ ($0.name, $0.value) }) {
                if let bad = firstNonFinite(t) {
                    throw TrainingDiverged(step: step, finding: "\(name) has a value \(bad.isNaN ? "NaN" : "\(bad)")")
                }
            }
        }
    }

    static func firstNonFinite(_ t: Tensor) -> Float? {
        let p = t.pointer
        // x·0 is 0 for a finite x and NaN otherwise: one vectorisable pass decides, a second finds the value.
        var sum: Float = 0
        for i in 0..<t.count { sum += p[i] * 0 }
        if sum.isFinite { return nil }
        for i in 0..<t.count where !p[i].isFinite { return p[i] }
        return nil
    }
}
