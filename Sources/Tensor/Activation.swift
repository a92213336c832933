/// Element-wise activations; ReLU's backward reads the forward output, so x need not be kept.
public enum ReLU {
    // y = max(x, 0)
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] = max(x[i], 0) }
    }
    // dx = dy · [y > 0]; in SIMD lanes, since the scalar select does not vectorise here.
    public static func backward(
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count n: Int
    ) {
        let v = n / 16
        let yv = UnsafeRawPointer(y)
        let gv = UnsafeRawPointer(dy)
        let ov = UnsafeMutableRawPointer(dx)
        for i in 0..<v {
            let yy = yv.loadUnaligned(fromByteOffset: i * 64, as: SIMD16<Float>.self)
            let gg = gv.loadUnaligned(fromByteOffset: i * 64, as: SIMD16<Float>.self)
            ov.storeBytes(of: gg.replacing(with: 0, where: yy .<= 0), toByteOffset: i * 64, as: SIMD16<Float>.self)
        }
        for i in (v * 16)..<n { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}

public enum LeakyReLU {
    // y = x if x > 0 else slope·x
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, slope: Float)
    {
        for i in 0..<n { y[i] = x[i] > 0 ? x[i] : slope * x[i] }
    }
    public static func backward(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        count n: Int, slope: Float
    ) {
        for i in 0..<n { dx[i] = x[i] > 0 ? dy[i] : slope * dy[i] }
    }
}

/// y = a + b, element-wise (the residual join); its backward passes dy to both sides.
/// Large arrays are split over the workers: one core alone does not saturate the memory bus.
public func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
    let workers = max(1, min(Parallel.threads, n / 65_536))
    let (sa, sb, sy) = (SharedPointer(a), SharedPointer(b), SharedPointer(y))
    Parallel.forEach(workers) { w in
        let r = Parallel.range(w, of: workers, total: n / 16)
        for v in r {
            store16(load16(sa.p + 16 * v) + load16(sb.p + 16 * v), sy.p + 16 * v)
        }
        if w == workers - 1 { for i in (n / 16 * 16)..<n { sy.p[i] = sa.p[i] + sb.p[i] } }
    }
}

/// y += x
public func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n { y[i] += x[i] }
}
