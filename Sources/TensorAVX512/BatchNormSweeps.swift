import TensorKernels

/// Batch norm's sweeps over rows of NHWC data, x [rows, C] with C a multiple of 16: a block of 16
/// channels is one 512-bit register. `Tensor.BatchNorm` splits the rows over its workers and calls
/// these on CPUs with AVX-512 (compiled for SSE2 the same loops spill and run 8–12 % of a ResNet-8
/// step slower); its portable loops compute the same values in the same order, so the two agree to
/// the bit. Sums run in Float over blocks of 64 rows and are flushed to Double.
public enum BatchNormSweeps {
    /// Rows per Float partial sum before it is added to the Double total.
    public static let block = sweepBlockRows

    /// sum[j] += Σ x[r, j], squares[j] += Σ x[r, j]² over `rows`.
    public static func statistics(
        rows: Range<Int>, channels c: Int, x: UnsafePointer<Float>, sum: UnsafeMutablePointer<Double>,
        squares sq: UnsafeMutablePointer<Double>
    ) {
        for r0 in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
            let r1 = min(r0 + block, rows.upperBound)
            for j in stride(from: 0, to: c, by: 16) {
                var s = SIMD16<Float>()
                var s2 = SIMD16<Float>()
                var p = x + r0 * c + j
                for _ in r0..<r1 {
                    let v = load(p)
                    s += v
                    s2 += v * v
                    p += c
                }
                flush(s, into: sum + j)
                flush(s2, into: sq + j)
            }
        }
    }

    /// y = x·scale + shift (+ residual), then max(·, 0) with `relu`, over `rows`.
    public static func affine(
        rows: Range<Int>, channels c: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, residual: UnsafePointer<Float>?, relu: Bool, y: UnsafeMutablePointer<Float>
    ) {
        switch (residual, relu) {
        case (let s?, true): affine(rows, c, x, scale, shift, y) { v, i in rectified(v + load(s + i)) }
        case (let s?, false): affine(rows, c, x, scale, shift, y) { v, i in v + load(s + i) }
        case (nil, true): affine(rows, c, x, scale, shift, y) { v, _ in rectified(v) }
        case (nil, false): affine(rows, c, x, scale, shift, y) { v, _ in v }
        }
    }

    @inline(__always)
    static func affine(
        _ rows: Range<Int>, _ c: Int, _ x: UnsafePointer<Float>, _ scale: UnsafePointer<Float>,
        _ shift: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ finish: (SIMD16<Float>, Int) -> SIMD16<Float>
    ) {
        // Row by row, all channels of a row before the next: the sweep reads and writes memory in order
        // (a channel block at a time over all rows would touch every cache line once per block).
        for r in rows {
            for j in stride(from: 0, to: c, by: 16) {
                let i = r * c + j
                store(finish(load(x + i) * load(scale + j) + load(shift + j), i), y + i)
            }
        }
    }

    /// Where the backward sweeps learn which outputs the forward's fused ReLU zeroed.
    public typealias Mask = SweepMask

    /// With g = dy masked: acc[j] += Σ g, acc[C + j] += Σ g·(x − mean)·invStd over `rows`; g stored to
    /// `dResidual` if given.
    public static func gradientSums(
        rows: Range<Int>, channels c: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: Mask,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Double>,
        dResidual: UnsafeMutablePointer<Float>?
    ) {
        switch mask {
        case .none: sums(rows, c, x, dy, mean, invStd, acc, dResidual, NoMask())
        case .output(let y): sums(rows, c, x, dy, mean, invStd, acc, dResidual, OutputMask(y: y))
        case .affine(let a, let b): sums(rows, c, x, dy, mean, invStd, acc, dResidual, AffineMask(scale: a, shift: b))
        }
    }

    @inline(__always)
    static func sums<M: MaskRule>(
        _ rows: Range<Int>, _ c: Int, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ mean: UnsafePointer<Float>, _ invStd: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Double>,
        _ dResidual: UnsafeMutablePointer<Float>?, _ mask: M
    ) {
        for r0 in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
            let r1 = min(r0 + block, rows.upperBound)
            for j in stride(from: 0, to: c, by: 16) {
                let mu = load(mean + j)
                let inv = load(invStd + j)
                var s = SIMD16<Float>()
                var sx = SIMD16<Float>()
                for r in r0..<r1 {
                    let i = r * c + j
                    let xv = load(x + i)
                    let g = mask.apply(load(dy + i), at: i, channel: j, x: xv)
                    if let q = dResidual { store(g, q + i) }
                    s += g
                    sx += g * ((xv - mu) * inv)
                }
                flush(s, into: acc + j)
                flush(sx, into: acc + c + j)
            }
        }
    }

    /// dx = k·(g − a − (x − mean)·invStd·b) over `rows`, with g = dy masked and k, a, b back to back in
    /// `coefficients` (3C floats).
    public static func inputGradient(
        rows: Range<Int>, channels c: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: Mask,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, coefficients: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        switch mask {
        case .none: inputGradient(rows, c, x, dy, mean, invStd, coefficients, dx, NoMask())
        case .output(let y): inputGradient(rows, c, x, dy, mean, invStd, coefficients, dx, OutputMask(y: y))
        case .affine(let a, let b):
            inputGradient(rows, c, x, dy, mean, invStd, coefficients, dx, AffineMask(scale: a, shift: b))
        }
    }

    @inline(__always)
    static func inputGradient<M: MaskRule>(
        _ rows: Range<Int>, _ c: Int, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ mean: UnsafePointer<Float>, _ invStd: UnsafePointer<Float>, _ k: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, _ mask: M
    ) {
        for r in rows {
            for j in stride(from: 0, to: c, by: 16) {
                let i = r * c + j
                let xv = load(x + i)
                let xhat = (xv - load(mean + j)) * load(invStd + j)
                let g = mask.apply(load(dy + i), at: i, channel: j, x: xv)
                store(load(k + j) * (g - load(k + c + j) - xhat * load(k + 2 * c + j)), dx + i)
            }
        }
    }

    @inline(__always) static func rectified(_ v: SIMD16<Float>) -> SIMD16<Float> {
        // As Swift's max(v, 0): +0 for v ≤ 0 (−0 too), NaN kept so a diverging run is still seen.
        v.replacing(with: 0, where: v .<= 0)
    }

    @inline(__always) static func flush(_ v: SIMD16<Float>, into d: UnsafeMutablePointer<Double>) {
        for l in 0..<16 { d[l] += Double(v[l]) }
    }
}

/// How dy is masked at element i (channel block j) given x there; specialised per rule so the
/// sweeps' loops carry no branch on it.
protocol MaskRule {
    func apply(_ d: SIMD16<Float>, at i: Int, channel j: Int, x: SIMD16<Float>) -> SIMD16<Float>
}

struct NoMask: MaskRule {
    @inline(__always) func apply(_ d: SIMD16<Float>, at i: Int, channel j: Int, x: SIMD16<Float>) -> SIMD16<Float> {
        d
    }
}

struct OutputMask: MaskRule {
    let y: UnsafePointer<Float>
    @inline(__always) func apply(_ d: SIMD16<Float>, at i: Int, channel j: Int, x: SIMD16<Float>) -> SIMD16<Float> {
        d.replacing(with: 0, where: load(y + i) .<= 0)
    }
}

struct AffineMask: MaskRule {
    let scale, shift: UnsafePointer<Float>
    @inline(__always) func apply(_ d: SIMD16<Float>, at i: Int, channel j: Int, x: SIMD16<Float>) -> SIMD16<Float> {
        d.replacing(with: 0, where: x * load(scale + j) + load(shift + j) .<= 0)
    }
}

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) private func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> { load(UnsafePointer(p)) }
@inline(__always) private func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
