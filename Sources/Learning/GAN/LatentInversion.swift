import Tensor

/// Latent codes of images: z = argmin ‖x − G(z)‖₂, by gradient steps on z from z = 0 with the
/// generator in inference mode, each image independently (batched for speed).
public enum LatentInversion {
    public enum Method: String, Sendable, Codable, CaseIterable {
        case gradientDescent = "gradient_descent"
        case adam
    }

    /// images: [N, H, W, C] in [0, 1]. Returns codes [N·latent] and each image's final ‖x − G(z)‖₂.
    public static func encode(
        _ generator: Generator, images: [Float], count: Int, steps: Int, stepSize: Float,
        method: Method = .gradientDescent, batchSize: Int = 128,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> (codes: [Float], errors: [Float]) {
        let size = generator.imageShape.reduce(1, *)
        let latent = generator.latent
        let saved = generator.parameters.map(\.trainable)
        generator.parameters.forEach { $0.trainable = false }
        generator.network.needsInputGradient = true
        defer { for (p, t) in zip(generator.parameters, saved) { p.trainable = t } }
        var codes = [Float](repeating: 0, count: count * latent)
        var errors = [Float](repeating: 0, count: count)
        var start = 0
        while start < count {
            let b = min(batchSize, count - start)
            let z = Tensor(zeros: [b, latent])
            let target = Tensor(zeros: [b] + generator.imageShape)
            let dy = Tensor(zeros: [b] + generator.imageShape)
            images.withUnsafeBufferPointer {
                target.pointer.update(from: $0.baseAddress! + start * size, count: b * size)
            }
            let m = Tensor(zeros: [b, latent])
            let v = Tensor(zeros: [b, latent])
            let (beta1, beta2): (Float, Float) = (0.9, 0.999)
            var c1: Float = 1
            var c2: Float = 1
            for s in 0...steps {
                let y = generator(z, training: false)
                // ∂‖r‖/∂y = r / ‖r‖, per image.
                for e in 0..<b {
                    var n2: Float = 0
                    for j in 0..<size {
                        let r = y[e * size + j] - target[e * size + j]
                        dy[e * size + j] = r
                        n2 += r * r
                    }
                    let norm = n2.squareRoot()
                    errors[start + e] = norm
                    let inv = norm > 0 ? 1 / norm : 0
                    for j in 0..<size { dy[e * size + j] *= inv }
                }
                if s == steps { break }  // the last pass only measures the final error
                let dz = generator.backward(dy)!
                switch method {
                case .gradientDescent:
                    for i in 0..<z.count { z[i] -= stepSize * dz[i] }
                case .adam:
                    c1 *= beta1
                    c2 *= beta2
                    for i in 0..<z.count {
                        m[i] = beta1 * m[i] + (1 - beta1) * dz[i]
                        v[i] = beta2 * v[i] + (1 - beta2) * dz[i] * dz[i]
                        z[i] -= stepSize * (m[i] / (1 - c1)) / ((v[i] / (1 - c2)).squareRoot() + 1e-8)
                    }
                }
            }
            for i in 0..<(b * latent) { codes[start * latent + i] = z[i] }
            start += b
            progress(start, count)
        }
        return (codes, errors)
    }
}
