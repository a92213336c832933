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

    /// sum[j] += Σ x[r, j], squares[j] += Σ x[r, j]² over `rows`. With a multiple of 16 channels the
    /// sums run in Float vectors over blocks of 64 rows and are flushed to Double (as `Pass.sums`):
    /// a quarter of the time of per-element Double sums, and the rounding of 64 terms stays far below
    /// the statistics' own noise.
    static func statistics(
        rows: Range<Int>, channels c: Int, x: UnsafePointer<Float>, sum: UnsafeMutablePointer<Double>,
        squares sq: UnsafeMutablePointer<Double>
    ) {
        guard c % 16 == 0 else {
            var r = x + rows.lowerBound * c
            for _ in rows {
                for j in 0..<c {
                    let v = Double(r[j])
                    sum[j] += v
                    sq[j] += v * v
                }
                r += c
            }
            return
        }
        for r0 in stride(from: rows.lowerBound, to: rows.upperBound, by: 64) {
            let r1 = min(r0 + 64, rows.upperBound)
            for j in stride(from: 0, to: c, by: 16) {
                var s = SIMD16<Float>()
                var s2 = SIMD16<Float>()
                var p = x + r0 * c + j
                for _ in r0..<r1 {
                    let v = load16(p)
                    s += v
                    s2 += v * v
                    p += c
                }
                for l in 0..<16 {
                    sum[j + l] += Double(s[l])
                    sq[j + l] += Double(s2[l])
                }
            }
        }
    }

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

    /// The two sweeps of `backward` over a range of rows. The ReLU mask and the products are done in
    /// 16-lane SIMD when C is a multiple of 16 (every thesis width), since the scalar select does not vectorise.
    struct Pass: Sendable {
        let c: Int
        let x, y, dy, mean, invStd, scale, shift: SharedPointer<Float>
        /// A ReLU was fused; its mask comes from y (`fromOutput`) or from x·scale + shift.
        let relu, fromOutput: Bool

        /// dy masked by the ReLU at (row, j…j+15), given x there.
        @inline(__always) func g16(_ row: Int, _ j: Int, x xv: SIMD16<Float>) -> SIMD16<Float> {
            let d = load16(dy.p + row * c + j)
            guard relu else { return d }
            if fromOutput { return d.replacing(with: 0, where: load16(y.p + row * c + j) .<= 0) }
            return d.replacing(with: 0, where: xv * load16(scale.p + j) + load16(shift.p + j) .<= 0)
        }

        /// The scalar `g16`.
        @inline(__always) func g(_ i: Int, _ j: Int) -> Float {
            guard relu else { return dy.p[i] }
            let out = fromOutput ? y.p[i] : x.p[i] * scale.p[j] + shift.p[j]
            return out <= 0 ? 0 : dy.p[i]
        }

        /// Σ g and Σ g·x̂ per channel into acc[0..<c], acc[c..<2c]; g copied to dResidual if given.
        func sums(rows: Range<Int>, into acc: UnsafeMutablePointer<Double>, dResidual: UnsafeMutablePointer<Float>?) {
            acc.update(repeating: 0, count: 2 * c)
            if c % 16 != 0 {
                for r in rows {
                    for j in 0..<c {
                        let i = r * c + j
                        let g = g(i, j)
                        dResidual?[i] = g
                        acc[j] += Double(g)
                        acc[c + j] += Double(g * (x.p[i] - mean.p[j]) * invStd.p[j])
                    }
                }
                return
            }
            // Float partial sums over blocks of rows, flushed to Double, keep both speed and accuracy.
            let block = 64
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let r1 = min(r0 + block, rows.upperBound)
                for j in stride(from: 0, to: c, by: 16) {
                    let mu = load16(mean.p + j)
                    let inv = load16(invStd.p + j)
                    var s = SIMD16<Float>()
                    var sx = SIMD16<Float>()
                    for r in r0..<r1 {
                        let xv = load16(x.p + r * c + j)
                        let g = g16(r, j, x: xv)
                        if let q = dResidual { store16(g, q + r * c + j) }
                        s += g
                        sx += g * ((xv - mu) * inv)
                    }
                    for l in 0..<16 {
                        acc[j + l] += Double(s[l])
                        acc[c + j + l] += Double(sx[l])
                    }
                }
                r0 = r1
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
            let k = coefficients
            let a = k + c
            let b = a + c
            if c % 16 != 0 {
                for r in rows {
                    for j in 0..<c {
                        let i = r * c + j
                        dx[i] = k[j] * (g(i, j) - a[j] - (x.p[i] - mean.p[j]) * invStd.p[j] * b[j])
                    }
                }
                return
            }
            for j in stride(from: 0, to: c, by: 16) {
                let kk = load16(k + j)
                let aa = load16(a + j)
                let bb = load16(b + j)
                let mu = load16(mean.p + j)
                let inv = load16(invStd.p + j)
                for r in rows {
                    let xv = load16(x.p + r * c + j)
                    let xhat = (xv - mu) * inv
                    store16(kk * (g16(r, j, x: xv) - aa - xhat * bb), dx + r * c + j)
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
