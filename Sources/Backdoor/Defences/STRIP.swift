import Foundation

/// STRIP (Gao et al. 2019): an input carrying a trigger keeps its (target) prediction when clean
/// images are superimposed on it, so the predictions of its blended copies have low entropy.
public enum STRIP {
    /// How the entropy of an input's blended copies is measured.
    public enum Entropy: String, Sendable, Codable, CaseIterable {
        /// The paper's: each copy's entropy over the classes, averaged over the copies.
        case acrossClasses = "across_classes"
        /// The Adversarial Robustness Toolbox's: for each class, the entropy of its probabilities across the
        /// copies (normalised to sum to 1), summed over classes and divided by the number of copies.
        case acrossCopies = "across_copies"
    }

    /// How an input and a clean image are superimposed.
    public enum Blend: String, Sendable, Codable, CaseIterable {
        /// The paper's: pixel values added, saturating at 255.
        case add
        /// The Adversarial Robustness Toolbox's: their mean.
        case average
    }

    /// The entropy (bits) of one input from its copies' predicted probabilities (copies × classes).
    public static func entropy(_ p: [Float], copies: Int, classes: Int, method: Entropy = .acrossClasses) -> Double {
        func h(_ v: [Double]) -> Double {
            let total = v.reduce(0, +)
            guard total > 0 else { return 0 }
            return -v.reduce(0) { s, x in x > 0 ? s + x / total * log2(x / total) : s }
        }
        switch method {
        case .acrossClasses:
            let each = (0..<copies).map { n in h((0..<classes).map { Double(p[n * classes + $0]) }) }
            return each.reduce(0, +) / Double(max(copies, 1))
        case .acrossCopies:
            let each = (0..<classes).map { c in h((0..<copies).map { Double(p[$0 * classes + c]) }) }
            return each.reduce(0, +) / Double(max(copies, 1))
        }
    }

    /// `a` and `b` (8-bit pixels of one image shape) superimposed.
    public static func superimpose(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>, blend: Blend = .add) -> [UInt8] {
        zip(a, b).map { x, y in
            switch blend {
            case .add: return UInt8(min(255, Int(x) + Int(y)))
            case .average: return UInt8(((Int(x) + Int(y)) / 2))
            }
        }
    }

    /// The entropy below which an input is rejected as triggered: the `falseRejectionRate` quantile of
    /// a normal distribution fitted (maximum likelihood) to clean inputs' entropies, as the paper does.
    public static func threshold(cleanEntropies e: [Double], falseRejectionRate: Double) -> Double {
        let n = Double(max(e.count, 1))
        let mean = e.reduce(0, +) / n
        let sd = (e.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        return mean + sd * inverseNormal(falseRejectionRate)
    }

    /// Φ⁻¹(p) of the standard normal: Acklam's rational approximation refined by one Halley step
    /// (relative error below 1e-15).
    public static func inverseNormal(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability in (0, 1)")
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x =
                -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // Halley's step on Φ(x) − p.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
