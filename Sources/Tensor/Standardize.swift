/// Per-image standardisation (TensorFlow's `per_image_standardization`):
/// y = (x − μ) / max(σ, 1/√D) over each image's D values. x, y: [N, D].
public enum PerImageStandardize {
    /// Saves each image's divisor and whether σ was the one used (for `backward`).
    public static func forward(
        batch: Int, size d: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        divisor: UnsafeMutablePointer<Float>, usedSigma: UnsafeMutablePointer<Bool>
    ) {
        let floor = 1 / Double(d).squareRoot()
        for n in 0..<batch {
            let r = x + n &* d
            let o = y + n &* d
            var s = 0.0
            for i in 0..<d { s += Double(r[i]) }
            let mu = s / Double(d)
            var v = 0.0
            for i in 0..<d {
                let t = Double(r[i]) - mu
                v += t * t
            }
            let sigma = (v / Double(d)).squareRoot()
            let div = max(sigma, floor)
            divisor[n] = Float(div)
            usedSigma[n] = sigma > floor
            let m = Float(mu)
            let inv = Float(1 / div)
            for i in 0..<d { o[i] = (r[i] - m) * inv }
        }
    }

    /// dx = (dy − mean(dy) − y·mean(dy·y)) / div when σ was used, else (dy − mean(dy)) / div.
    public static func backward(
        batch: Int, size d: Int, y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        divisor: UnsafePointer<Float>, usedSigma: UnsafePointer<Bool>, dx: UnsafeMutablePointer<Float>
    ) {
        for n in 0..<batch {
            let o = y + n &* d
            let g = dy + n &* d
            let r = dx + n &* d
            var sg = 0.0
            var sgy = 0.0
            for i in 0..<d {
                sg += Double(g[i])
                sgy += Double(g[i] * o[i])
            }
            let mg = Float(sg / Double(d))
            let mgy = usedSigma[n] ? Float(sgy / Double(d)) : 0
            let inv = 1 / divisor[n]
            for i in 0..<d { r[i] = (g[i] - mg - o[i] * mgy) * inv }
        }
    }
}

/// Fixed normalisation of 0–255 pixels: y = (x/255 − mean[c]) / std[c] over NHWC rows.
public enum PixelNormalize {
    public static func forward(
        rows m: Int, channels c: Int, mean: [Float], std: [Float],
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * c) { t in
            let a = t.baseAddress!
            let b = a + c
            for j in 0..<c {
                a[j] = 1 / (255 * std[j])
                b[j] = -mean[j] / std[j]
            }
            var r = x
            var o = y
            for _ in 0..<m {
                for j in 0..<c { o[j] = r[j] * a[j] + b[j] }
                r += c
                o += c
            }
        }
    }

    public static func backward(
        rows m: Int, channels c: Int, std: [Float], dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { t in
            let a = t.baseAddress!
            for j in 0..<c { a[j] = 1 / (255 * std[j]) }
            var r = dy
            var o = dx
            for _ in 0..<m {
                for j in 0..<c { o[j] = r[j] * a[j] }
                r += c
                o += c
            }
        }
    }
}
