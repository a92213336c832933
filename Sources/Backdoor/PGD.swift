import Foundation
import Learning
import Tensor

/// Projected gradient descent on the 0–255 pixel scale (Madry et al.): steps that increase the
/// model's loss on the true labels, each followed by projection onto the ε-ball around the
/// original image and onto [0, 255]. ℓ2 steps move by `stepSize` along the normalised gradient;
/// ℓ∞ steps by `stepSize` along its sign.
public struct PGD: Sendable, Equatable {
    public enum Norm: String, Sendable, Codable, CaseIterable { case l2, linf }
    public var norm: Norm
    public var epsilon: Float
    public var steps: Int
    public var stepSize: Float
    public var randomStart: Bool

    public init(norm: Norm, epsilon: Float, steps: Int, stepSize: Float? = nil, randomStart: Bool = false) {
        self.norm = norm
        self.epsilon = epsilon
        self.steps = steps
        self.stepSize = stepSize ?? 2.5 * epsilon / Float(max(steps, 1))
        self.randomStart = randomStart
    }

    /// Perturbs `images` [N, H, W, C] in place against `model` (inference mode; its weights are not
    /// touched and no weight gradients are computed).
    public func attack(_ model: Model, images: Tensor, labels: [Int32], rng: inout RNG) {
        let n = images.shape[0]
        let d = images.count / n
        let original = images.copy()
        let restore = model.freezeForInputGradients()
        defer { restore() }
        let x = images.pointer
        let x0 = original.pointer
        if randomStart {
            for i in 0..<n {
                switch norm {
                case .linf: for k in 0..<d { x[i * d + k] += (2 * rng.uniform() - 1) * epsilon }
                case .l2:
                    // Uniform in the ball: a Gaussian direction, radius ε·u^(1/d).
                    var dir = [Float](repeating: 0, count: d)
                    var s: Float = 0
                    for k in 0..<d {
                        dir[k] = rng.normal()
                        s += dir[k] * dir[k]
                    }
                    let r = epsilon * Float(pow(Double(rng.uniform()), 1 / Double(d))) / max(s.squareRoot(), 1e-12)
                    for k in 0..<d { x[i * d + k] += r * dir[k] }
                }
            }
            project(x, x0, n: n, d: d)
        }
        let loss = CrossEntropyLoss()
        for _ in 0..<steps {
            loss.forward(model.forward(images, training: false), labels: labels)
            guard let g = model.backward(loss.backward()) else { return }
            let gp = g.pointer
            for i in 0..<n {
                let gi = gp + i * d
                let xi = x + i * d
                switch norm {
                case .linf:
                    for k in 0..<d { xi[k] += gi[k] > 0 ? stepSize : (gi[k] < 0 ? -stepSize : 0) }
                case .l2:
                    var s: Float = 0
                    for k in 0..<d { s += gi[k] * gi[k] }
                    let scale = stepSize / max(s.squareRoot(), 1e-12)
                    for k in 0..<d { xi[k] += scale * gi[k] }
                }
            }
            project(x, x0, n: n, d: d)
        }
    }

    /// Onto the ε-ball around x0, then into [0, 255].
    func project(_ x: UnsafeMutablePointer<Float>, _ x0: UnsafeMutablePointer<Float>, n: Int, d: Int) {
        for i in 0..<n {
            let xi = x + i * d
            let oi = x0 + i * d
            switch norm {
            case .linf:
                for k in 0..<d { xi[k] = min(max(xi[k], oi[k] - epsilon), oi[k] + epsilon) }
            case .l2:
                var s: Float = 0
                for k in 0..<d {
                    let t = xi[k] - oi[k]
                    s += t * t
                }
                let r = s.squareRoot()
                if r > epsilon {
                    let f = epsilon / r
                    for k in 0..<d { xi[k] = oi[k] + (xi[k] - oi[k]) * f }
                }
            }
            for k in 0..<d { xi[k] = min(max(xi[k], 0), 255) }
        }
    }
}
