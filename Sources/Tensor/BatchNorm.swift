import CBLAS
import TensorKernels

/// Batch normalisation over the channels of NHWC data seen as rows, x [M, C] (M = N·H·W),
/// optionally fused with a residual add and a ReLU: y = relu(γ·x̂ + β + residual).
/// Rows are split over `Parallel.threads` workers; per-channel sums are reduced in worker order.
public enum BatchNorm {
    /// Per-channel statistics of a training-mode forward pass, kept for `backward`.
    public struct Saved {
        public var mean: UnsafeMutablePointer<Float>
        public var invStd: UnsafeMutablePointer<Float>
        public init(mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>) {
            self.mean = mean
            self.invStd = invStd
        }
    }

    /// Training mode: batch mean and biased variance normalise x; running statistics move by
    /// `momentum` towards the batch's (unbiased variance, as PyTorch does).
    public static func forwardTraining(
        rows m: Int, channels c: Int, x: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        residual: UnsafePointer<Float>? = nil, relu: Bool = false,
        y: UnsafeMutablePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        momentum: Float, epsilon: Float, saved: Saved
    ) {
        let workers = workerCount(m)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * c * workers) { acc in
            let accs = SharedPointer(acc.baseAddress!)
            let xs = SharedPointer(x)
            Parallel.forEach(workers) { w in
                let sum = accs.p + 2 * c * w
                let sq = sum + c
                sum.update(repeating: 0, count: 2 * c)
                statistics(rows: Parallel.range(w, of: workers, total: m), channels: c, x: xs.p, sum: sum, squares: sq)
            }
            let total = acc.baseAddress!
            for w in 1..<max(workers, 1) {
                for j in 0..<(2 * c) { total[j] += total[2 * c * w + j] }
            }
            for j in 0..<c {
                let mean = total[j] / Double(m)
                let v = max(0, total[c + j] / Double(m) - mean * mean)
                saved.mean[j] = Float(mean)
                saved.invStd[j] = Float(1 / (v + Double(epsilon)).squareRoot())
                let unbiased = m > 1 ? v * Double(m) / Double(m - 1) : v
                runningMean[j] = (1 - momentum) * runningMean[j] + momentum * Float(mean)
                runningVar[j] = (1 - momentum) * runningVar[j] + momentum * Float(unbiased)
            }
        }
        affine(
            rows: m, channels: c, x: x, mean: saved.mean, invStd: saved.invStd, gamma: gamma, beta: beta,
            residual: residual, relu: relu, y: y)
    }

    /// Inference mode: normalises with the running statistics; saves the 1/σ it used in `invStd`.
    public static func forwardInference(
        rows m: Int, channels c: Int, x: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        residual: UnsafePointer<Float>? = nil, relu: Bool = false,
        y: UnsafeMutablePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        epsilon: Float, invStd: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<c { invStd[j] = 1 / (runningVar[j] + epsilon).squareRoot() }
        affine(
            rows: m, channels: c, x: x, mean: runningMean, invStd: invStd, gamma: gamma, beta: beta,
            residual: residual, relu: relu, y: y)
    }

    /// sum[j] += Σ x[r, j], squares[j] += Σ x[r, j]² over `rows`, in Float over blocks of
    /// `sweepBlockRows` rows flushed to Double: a quarter of the time of per-element Double sums,
    /// and the rounding of 64 terms stays far below the statistics' own noise. The AVX-512 sweep where
    /// it applies; these loops sum in its order, so both give the same bits.
    static func statistics(
        rows: Range<Int>, channels c: Int, x: UnsafePointer<Float>, sum: UnsafeMutablePointer<Double>,
        squares sq: UnsafeMutablePointer<Double>
    ) {
        if sweeps(c) {
            return VectorKernels.kernels.sweepStatistics(rows: rows, channels: c, x: x, sum: sum, squares: sq)
        }
        blockSums(rows: rows, channels: c, into: sum, sq) { r, s, s2 in
            let p = x + r * c
            for j in 0..<c {
                let v = p[j]
                s[j] += v
                s2[j] += v * v
            }
        }
    }

    /// Two per-channel sums over `rows` in the sweeps' order: `row(r, s, t)` adds row r's terms to Float
    /// partials s and t (C each), which are flushed to `first` and `second` every `sweepBlockRows` rows.
    @inline(__always)
    static func blockSums(
        rows: Range<Int>, channels c: Int, into first: UnsafeMutablePointer<Double>,
        _ second: UnsafeMutablePointer<Double>,
        _ row: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * c) { t in
            let s = t.baseAddress!
            for r0 in stride(from: rows.lowerBound, to: rows.upperBound, by: sweepBlockRows) {
                s.update(repeating: 0, count: 2 * c)
                for r in r0..<min(r0 + sweepBlockRows, rows.upperBound) { row(r, s, s + c) }
                for j in 0..<c {
                    first[j] += Double(s[j])
                    second[j] += Double(s[c + j])
                }
            }
        }
    }

    /// Whether the sweeps of a multiple of 16 channels run on the vector kernels (`BatchNormSweeps`, AVX-512
    /// or AVX2): on by default where the CPU has them, unless `BACKDOORLAB_BN=portable`. Benchmarks and tests
    /// compare the two paths; asking for them on a CPU without either keeps the portable loops.
    nonisolated(unsafe) public private(set) static var usesSweeps = getenvString("BACKDOORLAB_BN") != "portable"

    /// Chooses the sweeps' path (not while a batch norm runs).
    public static func useSweeps(_ on: Bool) { usesSweeps = on }

    static func sweeps(_ c: Int) -> Bool { usesSweeps && VectorKernels.active != nil && c % 16 == 0 }

    static func workerCount(_ rows: Int) -> Int { max(1, min(Parallel.threads, rows / 4096)) }

    static func affine(
        rows m: Int, channels c: Int, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
        invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        residual: UnsafePointer<Float>?, relu: Bool, y: UnsafeMutablePointer<Float>
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * c) { tmp in
            // y = x·scale + shift (+ residual), one fused multiply-add per element.
            let scale = tmp.baseAddress!
            let shift = scale + c
            for j in 0..<c {
                scale[j] = gamma[j] * invStd[j]
                shift[j] = beta[j] - mean[j] * scale[j]
            }
            let sc = SharedPointer(scale)
            let sh = SharedPointer(shift)
            let xs = SharedPointer(x)
            let ys = SharedPointer(y)
            let rs = residual.map { SharedPointer($0) }
            let workers = workerCount(m)
            Parallel.forEach(workers) { w in
                let rows = Parallel.range(w, of: workers, total: m)
                if sweeps(c) {
                    return VectorKernels.kernels.sweepAffine(
                        rows: rows, channels: c, x: xs.p, scale: sc.p, shift: sh.p,
                        residual: rs.map { UnsafePointer($0.p) },
                        relu: relu, y: ys.p)
                }
                let a = UnsafePointer(sc.p)
                let b = UnsafePointer(sh.p)
                var r = UnsafePointer(xs.p) + rows.lowerBound * c
                var o = ys.p + rows.lowerBound * c
                if let rs {
                    var s = UnsafePointer(rs.p) + rows.lowerBound * c
                    if relu {
                        for _ in rows {
                            for j in 0..<c { o[j] = max(r[j] * a[j] + b[j] + s[j], 0) }
                            r += c
                            o += c
                            s += c
                        }
                    } else {
                        for _ in rows {
                            for j in 0..<c { o[j] = r[j] * a[j] + b[j] + s[j] }
                            r += c
                            o += c
                            s += c
                        }
                    }
                } else if relu {
                    for _ in rows {
                        for j in 0..<c { o[j] = max(r[j] * a[j] + b[j], 0) }
                        r += c
                        o += c
                    }
                } else {
                    for _ in rows {
                        for j in 0..<c { o[j] = r[j] * a[j] + b[j] }
                        r += c
                        o += c
                    }
                }
            }
        }
    }

    /// Where `backward` learns which outputs the fused ReLU zeroed.
    public enum ReLUMask {
        /// No ReLU was fused.
        case none
        /// From the forward output y (a residual was added before the ReLU).
        case output(UnsafePointer<Float>)
        /// From x: γ·x̂ + β > 0, recomputed with the very operations of the forward pass, so the same
        /// outputs are zeroed; y is not read (twice, a tensor each time).
        case recomputed(beta: UnsafePointer<Float>)
    }

    /// Backward of either mode. With a ReLU `mask`, dy is first zeroed where the ReLU zeroed the
    /// output; that masked gradient is also what the residual input receives, written to `dResidual`
    /// if given. Accumulates dγ, dβ (if given); writes dx (if given). In training mode the batch
    /// statistics depend on x, which adds the two centring terms.
    public static func backward(
        rows m: Int, channels c: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: ReLUMask,
        gamma: UnsafePointer<Float>, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
        training: Bool,
        dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?,
        dx: UnsafeMutablePointer<Float>?, dResidual: UnsafeMutablePointer<Float>?
    ) {
        let workers = workerCount(m)
        let needSums = training || dGamma != nil || dBeta != nil
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * c) { affine in
            // The forward pass's scale and shift, computed the same way (see `affine`).
            let scale = affine.baseAddress!
            let shift = scale + c
            var y: UnsafePointer<Float>?
            var recompute = false
            switch mask {
            case .none: break
            case .output(let p): y = p
            case .recomputed(let beta):
                recompute = true
                for j in 0..<c {
                    scale[j] = gamma[j] * invStd[j]
                    shift[j] = beta[j] - mean[j] * scale[j]
                }
            }
            let args = Pass(
                c: c, x: SharedPointer(x), y: SharedPointer(y ?? dy), dy: SharedPointer(dy),
                mean: SharedPointer(mean), invStd: SharedPointer(invStd), scale: SharedPointer(scale),
                shift: SharedPointer(shift), relu: y != nil || recompute, fromOutput: y != nil)
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * c * workers) { acc in
                let total = acc.baseAddress!
                total.update(repeating: 0, count: 2 * c * workers)
                let accs = SharedPointer(total)
                let drs = dResidual.map { SharedPointer($0) }
                if needSums || dResidual != nil {
                    Parallel.forEach(workers) { w in
                        args.sums(
                            rows: Parallel.range(w, of: workers, total: m), into: accs.p + 2 * c * w,
                            dResidual: drs?.p)
                    }
                    for w in 1..<max(workers, 1) { for j in 0..<(2 * c) { total[j] += total[2 * c * w + j] } }
                }
                if let dBeta { for j in 0..<c { dBeta[j] += Float(total[j]) } }
                if let dGamma { for j in 0..<c { dGamma[j] += Float(total[c + j]) } }
                guard let dx else { return }
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * c) { tmp in
                    let k = tmp.baseAddress!
                    let a = k + c
                    let b = a + c
                    for j in 0..<c {
                        k[j] = gamma[j] * invStd[j]
                        a[j] = training ? Float(total[j] / Double(m)) : 0
                        b[j] = training ? Float(total[c + j] / Double(m)) : 0
                    }
                    let coef = SharedPointer(k)
                    let dxs = SharedPointer(dx)
                    // The sums pass left the masked gradient in dResidual: read it instead of dy and y.
                    let second = dResidual.map { args.reading(maskedGradient: $0) } ?? args
                    Parallel.forEach(workers) { w in
                        second.inputGradient(
                            rows: Parallel.range(w, of: workers, total: m), coefficients: UnsafePointer(coef.p),
                            dx: dxs.p)
                    }
                }
            }
        }
    }

    /// The two sweeps of `backward` over a range of rows: `BatchNormSweeps` where it applies, else
    /// portable loops that compute the same values in the same order.
    struct Pass: Sendable {
        let c: Int
        let x, y, dy, mean, invStd, scale, shift: SharedPointer<Float>
        /// A ReLU was fused; its mask comes from y (`fromOutput`) or from x·scale + shift.
        let relu, fromOutput: Bool

        var mask: SweepMask {
            guard relu else { return .none }
            return fromOutput ? .output(y.p) : .affine(scale: scale.p, shift: shift.p)
        }

        /// dy at element i (channel j) masked by the ReLU.
        @inline(__always) func g(_ i: Int, _ j: Int) -> Float {
            guard relu else { return dy.p[i] }
            let out = fromOutput ? y.p[i] : x.p[i] * scale.p[j] + shift.p[j]
            return out <= 0 ? 0 : dy.p[i]
        }

        /// Σ g and Σ g·x̂ per channel into acc[0..<c], acc[c..<2c]; g copied to dResidual if given.
        func sums(rows: Range<Int>, into acc: UnsafeMutablePointer<Double>, dResidual: UnsafeMutablePointer<Float>?) {
            acc.update(repeating: 0, count: 2 * c)
            if sweeps(c) {
                return VectorKernels.kernels.sweepGradientSums(
                    rows: rows, channels: c, x: x.p, dy: dy.p, mask: mask, mean: mean.p, invStd: invStd.p, into: acc,
                    dResidual: dResidual)
            }
            blockSums(rows: rows, channels: c, into: acc, acc + c) { r, s, sx in
                for j in 0..<c {
                    let i = r * c + j
                    let g = g(i, j)
                    dResidual?[i] = g
                    s[j] += g
                    sx[j] += g * ((x.p[i] - mean.p[j]) * invStd.p[j])
                }
            }
        }

        /// This pass with `g` (dy already masked by the ReLU) in place of dy and the mask.
        func reading(maskedGradient g: UnsafeMutablePointer<Float>) -> Pass {
            Pass(
                c: c, x: x, y: y, dy: SharedPointer(g), mean: mean, invStd: invStd, scale: scale, shift: shift,
                relu: false, fromOutput: false)
        }

        /// dx = k·(g − a − x̂·b) with coefficients k, a, b back to back.
        func inputGradient(rows: Range<Int>, coefficients: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
            if sweeps(c) {
                return VectorKernels.kernels.sweepInputGradient(
                    rows: rows, channels: c, x: x.p, dy: dy.p, mask: mask, mean: mean.p, invStd: invStd.p,
                    coefficients: coefficients, dx: dx)
            }
            let k = coefficients
            let a = k + c
            let b = a + c
            for r in rows {
                for j in 0..<c {
                    let i = r * c + j
                    dx[i] = k[j] * (g(i, j) - a[j] - (x.p[i] - mean.p[j]) * invStd.p[j] * b[j])
                }
            }
        }
    }
}

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> { load16(UnsafePointer(p)) }
@inline(__always) func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
