import Datasets
import Learning
import Tensor

/// The GAN interpolation attack's arithmetic (thesis §3.3.1): images x₁ (to be poisoned) and x₂ (of
/// another class) are encoded as z₁ and z₂; the poison is G((1 − τ)z₁ + τz₂).
public enum LatentInterpolation {
    /// Images of `d` at `indices` on the [0, 1] scale, [N, H, W, C] flattened.
    public static func unitImages(_ d: Dataset, _ indices: [Int]) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(indices.count * d.imageSize)
        for i in indices { for v in d.image(i) { out.append(Float(v) / 255) } }
        return out
    }

    /// 8-bit images G(z) for `count` codes [count, latent], in batches of 256, the generator in inference mode.
    public static func generate(_ g: Generator, codes: [Float], count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count * g.imageShape.reduce(1, *))
        var start = 0
        while start < count {
            let b = min(256, count - start)
            let z = Tensor(shape: [b, g.latent], values: Array(codes[(start * g.latent)..<((start + b) * g.latent)]))
            let y = g(z)
            for i in 0..<y.count { out.append(UInt8(max(0, min(255, (y[i] * 255).rounded())))) }
            start += b
        }
        return out
    }

    /// (1 − τ)z₁ + τz₂ for pair `i` of `codes`, which hold the n codes z₁ and then the n codes z₂.
    public static func mix(_ codes: [Float], pairs n: Int, latent k: Int, tau: Float, pair i: Int) -> [Float] {
        (0..<k).map { j in (1 - tau) * codes[i * k + j] + tau * codes[(n + i) * k + j] }
    }

    /// The poisons of all `n` pairs at `tau`.
    public static func interpolated(_ g: Generator, codes: [Float], pairs n: Int, tau: Float) -> [UInt8] {
        generate(g, codes: (0..<n).flatMap { mix(codes, pairs: n, latent: g.latent, tau: tau, pair: $0) }, count: n)
    }
}
