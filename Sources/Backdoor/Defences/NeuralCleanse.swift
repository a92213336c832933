import Datasets
import Foundation
import Learning
import Tensor

/// Neural Cleanse (Wang et al. 2019): for each class, the smallest trigger — a mask m and a pattern p,
/// stamped as x′ = (1 − m)·x + m·p — that turns clean images into that class. A backdoor's target needs a
/// far smaller mask than the others: the class whose mask ℓ1 norm is an outlier below the median (MAD
/// anomaly index above 2) is flagged.
public enum NeuralCleanse {
    /// How the reverse engineering runs.
    public struct Settings: Sendable, Codable, Hashable {
        /// Optimisation steps per class, images per step, Adam's rate on the unconstrained mask and pattern.
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Double
        /// Weight of the mask's ℓ1 norm against the classification loss (the adaptive schedule's start).
        public var lambda: Double
        /// Fixed λ when absent.
        public var schedule: LambdaSchedule?

        public init(
            steps: Int = 300, batchSize: Int = 128, learningRate: Double = 0.1, lambda: Double = 0.001,
            schedule: LambdaSchedule? = nil
        ) {
            self.steps = steps
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.lambda = lambda
            self.schedule = schedule
        }
    }

    /// How λ moves during the search.
    public enum LambdaSchedule: String, Sendable, Codable, Hashable, CaseIterable {
        case fixed
        /// The paper's code: after each pass over the clean images (a window of steps), count the windows in a
        /// row whose attack success is at least 99 % (or below it); after 5 such, λ ×1.5 (or ÷1.5^1.5). The
        /// trigger kept is the smallest mask of a successful window.
        case adaptive
    }

    /// The adaptive schedule's constants, as the paper's code.
    static let successThreshold = 0.99, patience = 5, up = 1.5, down = pow(1.5, 1.5)

    /// The adaptive λ: one window's success moves the counters, and λ after it.
    struct AdaptiveLambda {
        var lambda: Double
        var upCount = 0, downCount = 0

        mutating func update(success: Double) {
            if success >= NeuralCleanse.successThreshold {
                (upCount, downCount) = (upCount + 1, 0)
            } else {
                (upCount, downCount) = (0, downCount + 1)
            }
            if upCount >= NeuralCleanse.patience {
                upCount = 0
                lambda *= NeuralCleanse.up
            } else if downCount >= NeuralCleanse.patience {
                downCount = 0
                lambda /= NeuralCleanse.down
            }
        }
    }

    /// A reversed trigger: mask [H × W] in [0, 1] and pattern [H × W × C] on the 0–255 scale.
    public struct Trigger: Sendable, Codable, Equatable {
        public var mask: [Float]
        public var pattern: [Float]
        /// Share of the images it turned into the class at the last step.
        public var successRate: Double
        public init(mask: [Float], pattern: [Float], successRate: Double) {
            self.mask = mask
            self.pattern = pattern
            self.successRate = successRate
        }
        public var l1: Double { mask.reduce(0) { $0 + Double($1) } }
    }

    /// Stamps `t` on every image of `images` ([N, H, W, C] on the 0–255 scale), in place.
    public static func stamp(_ t: Trigger, on images: Tensor, height: Int, width: Int, channels: Int) {
        let n = images.shape[0]
        let x = images.pointer
        for i in 0..<n {
            for s in 0..<(height * width) {
                let m = t.mask[s]
                for c in 0..<channels {
                    let k = (i * height * width + s) * channels + c
                    x[k] = (1 - m) * x[k] + m * t.pattern[s * channels + c]
                }
            }
        }
    }

    /// The smallest trigger found that turns `clean` images into `target` under `model`.
    public static func reverse(
        _ model: Model, clean: Dataset, target: Int, settings: Settings, seed: UInt64
    ) -> Trigger {
        let (h, w, c) = (clean.height, clean.width, clean.channels)
        var rng = RNG(seed: seed).split("neural-cleanse-\(target)")
        // Unconstrained parameters: m = σ(a), p = 255·σ(b), started small and grey.
        var a = [Float](repeating: -3, count: h * w)
        var b = (0..<(h * w * c)).map { _ in 0.1 * rng.normal() }
        var adam = (
            ma: [Float](repeating: 0, count: a.count), va: [Float](repeating: 0, count: a.count),
            mb: [Float](repeating: 0, count: b.count), vb: [Float](repeating: 0, count: b.count)
        )
        let restore = model.freezeForInputGradients()
        defer { restore() }
        let images = Tensor(zeros: [1])
        var labels: [Int32] = []
        let loss = CrossEntropyLoss()
        var success = 0.0
        func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
        var lambda = AdaptiveLambda(lambda: settings.lambda)
        let window = max(1, clean.count / max(settings.batchSize, 1))
        var windowSuccess = 0.0
        var best: Trigger?
        for step in 1...max(settings.steps, 1) {
            let idx = (0..<min(settings.batchSize, clean.count)).map { _ in rng.below(clean.count) }
            loadBatch(clean, indices: idx[...], augmentation: .none, rng: &rng, into: images, labels: &labels)
            let x0 = images.copy()
            let mask = a.map(sigmoid)
            let pattern = b.map { 255 * sigmoid($0) }
            stamp(Trigger(mask: mask, pattern: pattern, successRate: 0), on: images, height: h, width: w, channels: c)
            let targets = [Int32](repeating: Int32(target), count: idx.count)
            let logits = model.forward(images, training: false)
            loss.forward(logits, labels: targets)
            success =
                Double(
                    (0..<idx.count).filter { i in
                        (0..<logits.shape[1]).max {
                            logits[i * logits.shape[1] + $0] < logits[i * logits.shape[1] + $1]
                        } == target
                    }.count) / Double(idx.count)
            guard let g = model.backward(loss.backward()) else { break }
            // Chain rule through the stamp: ∂x′/∂m = p − x, ∂x′/∂p = m; the ℓ1 term adds λ to ∂/∂m.
            var ga = [Float](repeating: Float(lambda.lambda), count: a.count)
            var gb = [Float](repeating: 0, count: b.count)
            for i in 0..<idx.count {
                for s in 0..<(h * w) {
                    for ch in 0..<c {
                        let k = (i * h * w + s) * c + ch
                        ga[s] += g[k] * (pattern[s * c + ch] - x0[k])
                        gb[s * c + ch] += g[k] * mask[s]
                    }
                }
            }
            for s in 0..<a.count { ga[s] *= mask[s] * (1 - mask[s]) }
            for k in 0..<b.count { gb[k] *= 255 * sigmoid(b[k]) * (1 - sigmoid(b[k])) }
            adamStep(&a, ga, &adam.ma, &adam.va, step: step, rate: Float(settings.learningRate))
            adamStep(&b, gb, &adam.mb, &adam.vb, step: step, rate: Float(settings.learningRate))
            windowSuccess += success
            if settings.schedule == .adaptive, step % window == 0 {
                let mean = windowSuccess / Double(window)
                windowSuccess = 0
                if mean >= successThreshold {
                    let t = Trigger(mask: a.map(sigmoid), pattern: b.map { 255 * sigmoid($0) }, successRate: mean)
                    if best.map({ t.l1 < $0.l1 }) ?? true { best = t }
                }
                lambda.update(success: mean)
            }
        }
        return best ?? Trigger(mask: a.map(sigmoid), pattern: b.map { 255 * sigmoid($0) }, successRate: success)
    }

    static func adamStep(
        _ x: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float], step: Int, rate: Float
    ) {
        let (b1, b2): (Float, Float) = (0.9, 0.999)
        let c1 = 1 - pow(b1, Float(step))
        let c2 = 1 - pow(b2, Float(step))
        for k in x.indices {
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
            x[k] -= rate * (m[k] / c1) / ((v[k] / c2).squareRoot() + 1e-8)
        }
    }

    /// The MAD anomaly index of each value: |x − median| / (1.4826 · median |x − median|), the constant 1/Φ⁻¹(0.75).
    public static func anomalyIndices(_ values: [Double]) -> [Double] {
        let m = median(values)
        let mad = 1.482602218505602 * median(values.map { abs($0 - m) })
        return values.map { mad > 0 ? abs($0 - m) / mad : 0 }
    }

    /// The flagged class: the smallest mask, when it lies below the median with an anomaly index over `threshold`.
    public static func flagged(l1: [Double], threshold: Double = 2) -> Int? {
        let index = anomalyIndices(l1)
        guard let smallest = l1.indices.min(by: { l1[$0] < l1[$1] }), l1[smallest] < median(l1),
            index[smallest] > threshold
        else { return nil }
        return smallest
    }

    /// The median (the mean of the middle two for an even count; 0 for none).
    public static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
