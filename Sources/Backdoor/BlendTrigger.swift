import Tensor

/// Blended (Chen et al. 2017): the image becomes (1 − α)·x + α·p, p a fixed pattern as large as the
/// image, rounded to 0–255. α = 0 leaves the image alone, α = 1 replaces it by the pattern.
public struct BlendTrigger: ImageTrigger, Hashable {
    /// Where the pattern comes from.
    public enum Source: Sendable, Hashable {
        /// Seeded uniform noise, drawn anew for each image shape (same seed and shape, same pattern).
        case noise(seed: UInt64)
        /// A grey `side`×`side` picture, scaled to the image by nearest neighbour, the same on every channel.
        case picture(grey: [UInt8], side: Int)
    }

    public var source: Source
    public var alpha: Float

    public init(source: Source, alpha: Float) {
        self.source = source
        self.alpha = alpha
    }

    /// The pattern p for images of `height`×`width`×`channels` (HWC).
    public func pattern(height h: Int, width w: Int, channels c: Int) -> [UInt8] {
        switch source {
        case .noise(let seed):
            var r = RNG(seed: seed).split("blend-noise")
            return (0..<(h * w * c)).map { _ in UInt8(min(255, r.uniform() * 256)) }
        case .picture(let grey, let side):
            var out = [UInt8](repeating: 0, count: h * w * c)
            for y in 0..<h {
                for x in 0..<w {
                    let v = grey[(y * side / h) * side + x * side / w]
                    for k in 0..<c { out[(y * w + x) * c + k] = v }
                }
            }
            return out
        }
    }

    public func apply(to images: UnsafeMutablePointer<UInt8>, count: Int, height h: Int, width w: Int, channels c: Int)
    {
        let p = pattern(height: h, width: w, channels: c)
        let size = h * w * c
        for i in 0..<count {
            let x = images + i * size
            for j in 0..<size { x[j] = clipToByte((1 - alpha) * Float(x[j]) + alpha * Float(p[j])) }
        }
    }
}
