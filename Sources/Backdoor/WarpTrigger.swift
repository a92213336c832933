import Tensor

/// WaNet (Nguyen & Tran 2021): a fixed, smooth warp of the image.
///
/// A k×k grid of random offsets (uniform in [−1, 1], divided by their mean absolute value) is upsampled
/// bicubically (corners aligned) to the image's size; the sampling grid is the identity plus
/// strength × offsets ÷ height, clamped to [−1, 1], in the [−1, 1] coordinates of corner-aligned bilinear
/// sampling. At strength 0 it is the identity. The paper's "noise mode" warps other images with the same
/// grid plus uniform noise in [−1, 1] ÷ height per pixel and keeps their labels, so that the network learns
/// the fixed warp and not warping in general.
public struct WarpTrigger: ImageTrigger, Hashable {
    /// Offsets of the control grid, channel-major: k×k horizontal, then k×k vertical.
    public var control: [Float]
    /// k, the control grid's side (the paper: 4).
    public var gridSize: Int
    /// s (the paper: 0.5).
    public var strength: Float

    public init(control: [Float], gridSize: Int, strength: Float) {
        precondition(control.count == 2 * gridSize * gridSize, "a \(gridSize)×\(gridSize) control grid has two planes")
        self.control = control
        self.gridSize = gridSize
        self.strength = strength
    }

    /// The seeded random control grid of the paper.
    public static func random(gridSize k: Int, strength: Float, seed: UInt64) -> WarpTrigger {
        var r = RNG(seed: seed).split("wanet-grid")
        var c = (0..<(2 * k * k)).map { _ in r.uniform() * 2 - 1 }
        let meanAbs = c.reduce(0) { $0 + abs($1) } / Float(c.count)
        if meanAbs > 0 { c = c.map { $0 / meanAbs } }
        return WarpTrigger(control: c, gridSize: k, strength: strength)
    }

    /// The sampling grid for `height`×`width` images: (x, y) in [−1, 1] per pixel, row-major.
    public func field(height h: Int, width w: Int) -> [Float] {
        let k = gridSize
        var out = [Float](repeating: 0, count: h * w * 2)
        for plane in 0..<2 {
            let up = WarpTrigger.bicubic(Array(control[(plane * k * k)..<((plane + 1) * k * k)]), side: k, to: h, w)
            for p in 0..<(h * w) {
                let (y, x) = (p / w, p % w)
                let identity = plane == 0 ? WarpTrigger.linspace(x, w) : WarpTrigger.linspace(y, h)
                out[p * 2 + plane] = min(1, max(-1, identity + strength * up[p] / Float(h)))
            }
        }
        return out
    }

    /// The noise mode's field: `field` (this trigger's, for `height`) plus uniform noise in [−1, 1] ÷ height,
    /// clamped. The field is passed in so a batch of noise images computes its upsampling once.
    public static func noisy(_ field: [Float], height h: Int, rng: inout RNG) -> [Float] {
        field.map { min(1, max(-1, $0 + (rng.uniform() * 2 - 1) / Float(h))) }
    }

    public func apply(to images: UnsafeMutablePointer<UInt8>, count: Int, height h: Int, width w: Int, channels c: Int)
    {
        let f = field(height: h, width: w)
        for i in 0..<count { WarpTrigger.warp(images + i * h * w * c, field: f, height: h, width: w, channels: c) }
    }

    /// Resamples one image in place along `field`: bilinear, corners aligned, zero outside.
    public static func warp(
        _ image: UnsafeMutablePointer<UInt8>, field: [Float], height h: Int, width w: Int, channels c: Int
    ) {
        let source = Array(UnsafeBufferPointer(start: image, count: h * w * c))
        for p in 0..<(h * w) {
            let ix = (field[p * 2] + 1) / 2 * Float(w - 1)
            let iy = (field[p * 2 + 1] + 1) / 2 * Float(h - 1)
            let (x0, y0) = (Int(ix.rounded(.down)), Int(iy.rounded(.down)))
            let (tx, ty) = (ix - Float(x0), iy - Float(y0))
            for k in 0..<c {
                func at(_ y: Int, _ x: Int) -> Float {
                    y >= 0 && y < h && x >= 0 && x < w ? Float(source[(y * w + x) * c + k]) : 0
                }
                let v =
                    (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1))
                    + ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1))
                image[p * c + k] = clipToByte(v)
            }
        }
    }

    /// The i-th of n points evenly spaced over [−1, 1].
    static func linspace(_ i: Int, _ n: Int) -> Float { n == 1 ? -1 : -1 + 2 * Float(i) / Float(n - 1) }

    /// Bicubic upsampling of a side×side plane to h×w with corners aligned (cubic convolution, a = −0.75,
    /// edge values repeated), as PyTorch's `interpolate(mode="bicubic", align_corners=True)`.
    static func bicubic(_ plane: [Float], side k: Int, to h: Int, _ w: Int) -> [Float] {
        let a: Float = -0.75
        func weights(_ t: Float) -> [Float] {
            func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
            func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return [far(t + 1), near(t), near(1 - t), far(2 - t)]
        }
        func source(_ i: Int, _ n: Int) -> (Int, [Float]) {
            let real = n > 1 ? Float(i) * Float(k - 1) / Float(n - 1) : 0
            let base = Int(real.rounded(.down))
            return (base, weights(real - Float(base)))
        }
        var out = [Float](repeating: 0, count: h * w)
        for y in 0..<h {
            let (by, wy) = source(y, h)
            for x in 0..<w {
                let (bx, wx) = source(x, w)
                var v: Float = 0
                for m in 0..<4 {
                    let row = min(max(by - 1 + m, 0), k - 1)
                    var r: Float = 0
                    for n in 0..<4 { r += wx[n] * plane[row * k + min(max(bx - 1 + n, 0), k - 1)] }
                    v += wy[m] * r
                }
                out[y * w + x] = v
            }
        }
        return out
    }
}
