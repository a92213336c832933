/// Max pooling over NHWC, square window, no padding: x [N, H, W, C] → y [N, OH, OW, C].
public enum MaxPool {
    public static func outSize(_ size: Int, window: Int, stride: Int) -> Int { (size - window) / stride + 1 }

    /// Records the flat input index of each maximum in `argmax` for `backward`.
    public static func forward(
        batch: Int, height h: Int, width w: Int, channels c: Int, window k: Int, stride s: Int,
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let oh = outSize(h, window: k, stride: s)
        let ow = outSize(w, window: k, stride: s)
        var o = 0
        for n in 0..<batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ch in 0..<c {
                        var best = -Float.infinity
                        var bi = 0
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let i = ((n &* h &+ oy &* s &+ ky) &* w &+ ox &* s &+ kx) &* c &+ ch
                                if x[i] > best {
                                    best = x[i]
                                    bi = i
                                }
                            }
                        }
                        y[o] = best
                        argmax[o] = Int32(bi)
                        o &+= 1
                    }
                }
            }
        }
    }

    /// dx (zeroed here, `inputCount` floats) receives each dy at its maximum's position.
    public static func backward(
        outputCount: Int, inputCount: Int, dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
        dx: UnsafeMutablePointer<Float>
    ) {
        dx.update(repeating: 0, count: inputCount)
        for o in 0..<outputCount { dx[Int(argmax[o])] += dy[o] }
    }
}

/// Global average pooling: x [N, H, W, C] → y [N, C].
public enum GlobalAveragePool {
    public static func forward(
        batch: Int, pixels p: Int, channels c: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        let inv = 1 / Float(p)
        for n in 0..<batch {
            let o = y + n &* c
            o.update(repeating: 0, count: c)
            var r = x + n &* p &* c
            for _ in 0..<p {
                for j in 0..<c { o[j] += r[j] }
                r += c
            }
            for j in 0..<c { o[j] *= inv }
        }
    }

    public static func backward(
        batch: Int, pixels p: Int, channels c: Int, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    ) {
        let inv = 1 / Float(p)
        for n in 0..<batch {
            let g = dy + n &* c
            var r = dx + n &* p &* c
            for _ in 0..<p {
                for j in 0..<c { r[j] = g[j] * inv }
                r += c
            }
        }
    }
}
