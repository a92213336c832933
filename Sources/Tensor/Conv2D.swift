/// Geometry of a 2-D convolution over NHWC input with HWIO weights.
///
/// x: [N, H, W, C] → y: [N, OH, OW, K]; weights: [KH, KW, C, K]; one GEMM per call:
/// y[N·OH·OW, K] = cols[N·OH·OW, KH·KW·C] · w[KH·KW·C, K].
public struct ConvGeometry: Equatable, Sendable {
    public var batch, height, width, inChannels, outChannels: Int
    public var kernel, stride, padding: Int

    public init(
        batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
        kernel: Int, stride: Int = 1, padding: Int = 0
    ) {
        self.batch = batch
        self.height = height
        self.width = width
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the GEMM: one per output pixel.
    public var rows: Int { batch * outHeight * outWidth }
    /// Inner dimension of the GEMM: one patch.
    public var patch: Int { kernel * kernel * inChannels }
    /// A 1×1, stride-1, unpadded convolution is a plain GEMM on the input: no im2col.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    public var inputShape: [Int] { [batch, height, width, inChannels] }
    public var outputShape: [Int] { [batch, outHeight, outWidth, outChannels] }
    public var weightShape: [Int] { [kernel, kernel, inChannels, outChannels] }
    /// Multiply-adds × 2 of the forward GEMM.
    public var forwardFLOPs: Int { 2 * rows * patch * outChannels }
}

public enum Conv2D {
    /// Lays every receptive field of `x` out as one row of `cols` [rows, patch]; padding reads as 0.
    public static func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let c = g.inChannels
        let k = g.kernel
        let oh = g.outHeight
        let ow = g.outWidth
        let h = g.height
        let w = g.width
        let s = g.stride
        let p = g.padding
        var row = cols
        for n in 0..<g.batch {
            let img = x + n &* h &* w &* c
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let iy0 = oy &* s &- p
                    let ix0 = ox &* s &- p
                    var dst = row
                    for ky in 0..<k {
                        let iy = iy0 &+ ky
                        if iy < 0 || iy >= h {
                            for i in 0..<(k &* c) { dst[i] = 0 }
                            dst += k &* c
                            continue
                        }
                        // Contiguous run of columns inside the image: one copy of ≤ k·C floats.
                        let lo = min(k, max(0, -ix0))
                        let hi = max(lo, min(k, w &- ix0))
                        // Runs are short (k·C floats): inline loops beat memmove/memset calls here.
                        for i in 0..<(lo &* c) { dst[i] = 0 }
                        let src = img + (iy &* w &+ ix0 &+ lo) &* c
                        let d = dst + lo &* c
                        for i in 0..<((hi &- lo) &* c) { d[i] = src[i] }
                        for i in (hi &* c)..<(k &* c) { dst[i] = 0 }
                        dst += k &* c
                    }
                    row += g.patch
                }
            }
        }
    }

    /// Adds every row of `cols` back onto the pixels it was read from (the adjoint of `im2col`); `dx` must be zeroed.
    public static func col2im(_ g: ConvGeometry, _ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let c = g.inChannels
        let k = g.kernel
        let oh = g.outHeight
        let ow = g.outWidth
        let h = g.height
        let w = g.width
        let s = g.stride
        let p = g.padding
        var row = cols
        for n in 0..<g.batch {
            let img = dx + n &* h &* w &* c
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let iy0 = oy &* s &- p
                    let ix0 = ox &* s &- p
                    for ky in 0..<k {
                        let iy = iy0 &+ ky
                        if iy < 0 || iy >= h { continue }
                        let lo = min(k, max(0, -ix0))
                        let hi = min(k, w &- ix0)
                        if hi <= lo { continue }
                        let src = row + (ky &* k &+ lo) &* c
                        let dst = img + (iy &* w &+ ix0 &+ lo) &* c
                        for i in 0..<((hi &- lo) &* c) { dst[i] += src[i] }
                    }
                    row += g.patch
                }
            }
        }
    }

    /// y = conv(x, w) + bias (bias optional, length K).
    /// Images are split over `Parallel.threads` workers; each lays out chunks of about
    /// `scratch.chunkRows` output pixels at a time, so the columns stay in cache.
    public static func forward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, scratch: ConvScratch
    ) {
        if WinogradConvolution.coversForward(g) {
            winogradForward(g, x: x, weight: weight, bias: bias, y: y, scratch: scratch)
        } else if DirectConvolution.coversForward(g) {
            directForward(g, x: x, weight: weight, bias: bias, y: y, scratch: scratch)
        } else {
            im2colForward(g, x: x, weight: weight, bias: bias, y: y, scratch: scratch)
        }
    }

    /// `forward` by Winograd's F(4×4, 3×3) (or F(2×2, 3×3)), images split over the workers.
    static func winogradForward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, scratch: ConvScratch
    ) {
        let workers = min(Parallel.threads, g.batch)
        scratch.preparePads(workers: workers, floats: WinogradConvolution.workerFloats(g), flipped: 0)
        scratch.prepareTransformed(WinogradConvolution.transformedFloats(g))
        WinogradConvolution.transformWeights(g, weight, into: scratch.transformed)
        let xs = SharedPointer(x)
        let us = SharedPointer(scratch.transformed)
        let ys = SharedPointer(y)
        forEachWorkersImages(g, bias: bias, y: y) { w, images in
            WinogradConvolution.forward(g, x: xs, transformed: us, y: ys, images: images, scratch: scratch.pad(w))
        }
    }

    /// `forward` through the direct kernels, images split over the workers.
    static func directForward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, scratch: ConvScratch
    ) {
        let xs = SharedPointer(x)
        let ws = SharedPointer(weight)
        let ys = SharedPointer(y)
        scratch.preparePads(workers: min(Parallel.threads, g.batch), floats: DirectConvolution.padFloats(g), flipped: 0)
        forEachWorkersImages(g, bias: bias, y: y) { w, images in
            DirectConvolution.forward(g, x: xs, weight: ws, y: ys, images: images, pad: scratch.pad(w))
        }
    }

    /// Runs `body(worker, images)` on each worker's share of the batch, then adds the bias to those
    /// images' outputs on the same worker.
    static func forEachWorkersImages(
        _ g: ConvGeometry, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
        _ body: @Sendable (Int, Range<Int>) -> Void
    ) {
        let workers = min(Parallel.threads, g.batch)
        let ys = SharedPointer(y)
        let bs = bias.map { SharedPointer($0) }
        let outImage = g.outHeight * g.outWidth * g.outChannels
        Parallel.forEach(workers) { w in
            let images = Parallel.range(w, of: workers, total: g.batch)
            body(w, images)
            if let bs {
                addBias(
                    bs.p, to: ys.p + images.lowerBound * outImage, rows: images.count * g.outHeight * g.outWidth,
                    g.outChannels)
            }
        }
    }

    /// `forward` through im2col and a GEMM, in chunks of images that keep the columns in cache.
    static func im2colForward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, scratch: ConvScratch
    ) {
        let workers = min(Parallel.threads, g.batch)
        let xs = SharedPointer(x)
        let ws = SharedPointer(weight)
        let ys = SharedPointer(y)
        let bs = bias.map { SharedPointer($0) }
        let inImage = g.height * g.width * g.inChannels
        let outImage = g.outHeight * g.outWidth * g.outChannels
        let chunk = scratch.imagesPerChunk(g)
        scratch.prepare(workers: workers, columns: chunk * g.outHeight * g.outWidth * g.patch, weights: 0)
        Parallel.forEach(workers) { w in
            let cols = scratch.columns(w)
            var n0 = Parallel.range(w, of: workers, total: g.batch).lowerBound
            let hi = Parallel.range(w, of: workers, total: g.batch).upperBound
            while n0 < hi {
                var sub = g
                sub.batch = min(chunk, hi - n0)
                let xi = UnsafePointer(xs.p + n0 * inImage)
                let yo = ys.p + n0 * outImage
                if g.isPointwise {
                    gemm(sub.rows, g.outChannels, g.patch, xi, UnsafePointer(ws.p), yo)
                } else {
                    im2col(sub, xi, cols)
                    gemm(sub.rows, g.outChannels, g.patch, cols, UnsafePointer(ws.p), yo)
                }
                if let bs { addBias(bs.p, to: yo, rows: sub.rows, g.outChannels) }
                n0 += sub.batch
            }
        }
    }

    /// Given dy, accumulates dW (and dBias) when they are given and writes dx when it is given.
    /// Each worker sums its images' dW separately; the partial sums are added in worker order.
    /// With `perExample`, each image's own dW (then dBias) is written to `perExample + n·(patch·K + K)`
    /// instead of being summed into `dWeight` (DP-SGD's per-example clipping).
    /// With `dxAddend` (x's shape), dx = dxAddend + the input gradient: a residual join's two
    /// gradients summed as the Winograd and stride-2 kernels store dx, not in a pass of their own.
    public static func backward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
        dBias: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
        scratch: ConvScratch, perExample: UnsafeMutablePointer<Float>? = nil, dxAddend: UnsafePointer<Float>? = nil
    ) {
        let direct = DirectConvolution.coversForward(g) && (dWeight != nil || DirectConvolution.coversInputGradient(g))
        var added = false
        if direct {
            added = directBackward(
                g, x: x, weight: weight, dy: dy, dWeight: dWeight, dBias: dBias, dx: dx, scratch: scratch,
                perExample: perExample, winograd: WinogradConvolution.enabled, dxAddend: dxAddend)
        } else {
            im2colBackward(
                g, x: x, weight: weight, dy: dy, dWeight: dWeight, dBias: dBias, dx: dx, scratch: scratch,
                perExample: perExample)
        }
        if let dx, let dxAddend, !added { add(dx, dxAddend, dx, count: g.batch * g.height * g.width * g.inChannels) }
    }

    /// `backward` through the direct kernels: dW (and dBias) image by image into each worker's partial
    /// or each image's slot; dx by Winograd's F(4×4, 3×3) with `winograd` where it covers the layer,
    /// else directly when the input channels allow it, else through im2col. With `winograd`, a summed
    /// dW (not DP-SGD's per-example one) goes through Winograd's F(3×3, 2×2) where it covers the layer.
    /// Returns whether dx already includes `dxAddend` (the Winograd and stride-2 kernels add it as they store dx).
    @discardableResult
    static func directBackward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
        dBias: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
        scratch: ConvScratch, perExample: UnsafeMutablePointer<Float>?, winograd: Bool,
        dxAddend: UnsafePointer<Float>? = nil
    ) -> Bool {
        let workers = min(Parallel.threads, g.batch)
        let wCount = g.patch * g.outChannels
        let k = g.outChannels
        let directDx = dx != nil && DirectConvolution.coversInputGradient(g)
        let winogradDx = directDx && winograd && WinogradConvolution.coversInputGradient(g)
        scratch.prepare(workers: workers, columns: 0, weights: dWeight != nil ? wCount + k : 0)
        // Winograd's dW sums over a worker's images in the transformed domain, at the front of its buffer.
        let winogradDW = winograd && dWeight != nil && perExample == nil && WinogradConvolution.coversForward(g)
        let sumFloats = winogradDW ? WinogradConvolution.sumsFloats(g) : 0
        scratch.preparePads(
            workers: workers,
            floats: sumFloats
                + max(
                    DirectConvolution.padFloats(g), winogradDx ? WinogradConvolution.workerFloats(g) : 0,
                    winogradDW ? WinogradConvolution.gradientFloats(g) : 0),
            flipped: directDx ? wCount : 0)
        if directDx { DirectConvolution.flipTranspose(g, weight, into: scratch.flipped) }
        if winogradDx {
            scratch.prepareTransformed(WinogradConvolution.transformedFloats(g))
            WinogradConvolution.transformWeights(g, scratch.flipped, transposed: true, into: scratch.transformed)
        }
        let transformed = SharedPointer(scratch.transformed)
        let xs = SharedPointer(x)
        let dys = SharedPointer(dy)
        let dxs = directDx ? dx.map { SharedPointer($0) } : nil
        let flipped = SharedPointer(scratch.flipped)
        let each = perExample.map { SharedPointer($0) }
        // The Winograd and stride-2 kernels add a residual join's other gradient as they store dx.
        let addsAsItStores = winogradDx || (directDx && DirectConvolution.addsAsItStores(g))
        let addends = addsAsItStores ? dxAddend.map { SharedPointer($0) } : nil
        let partials = dWeight != nil
        let inImage = g.height * g.width * g.inChannels
        let outImage = g.outHeight * g.outWidth * g.outChannels
        let rows = g.outHeight * g.outWidth
        Parallel.forEach(workers) { w in
            let sums = scratch.pad(w)
            let buffer = sums + sumFloats
            let shared = partials ? scratch.weightPartial(w) : nil
            shared?.update(repeating: 0, count: wCount + k)
            sums.update(repeating: 0, count: sumFloats)
            for n in Parallel.range(w, of: workers, total: g.batch) {
                let dyo = UnsafePointer(dys.p + n * outImage)
                if winogradDW, let shared {
                    WinogradConvolution.accumulateWeightGradient(
                        g, x: xs.p + n * inImage, dy: dyo, sums: sums, scratch: buffer)
                    sumRows(dyo, rows: rows, k, into: shared + wCount)
                } else if partials, let dW = each.map({ $0.p + n * (wCount + k) }) ?? shared {
                    if each != nil { dW.update(repeating: 0, count: wCount + k) }
                    DirectConvolution.accumulateWeightGradient(
                        g, x: xs.p + n * inImage, dy: dyo, dWeight: dW, pad: buffer)
                    sumRows(dyo, rows: rows, k, into: dW + wCount)
                }
                if let dxs, winogradDx {
                    WinogradConvolution.inputGradient(
                        g, dy: dyo, transformed: transformed.p, dx: dxs.p + n * inImage,
                        addend: addends.map { UnsafePointer($0.p + n * inImage) }, scratch: buffer)
                } else if let dxs {
                    DirectConvolution.inputGradient(
                        g, dy: dyo, flipped: flipped.p, dx: dxs.p + n * inImage,
                        addend: addends.map { UnsafePointer($0.p + n * inImage) }, pad: buffer)
                }
            }
            if winogradDW, let shared {
                VectorKernels.kernels.winogradWeightGradient(
                    fromSums: sums, inChannels: g.inChannels, outChannels: g.outChannels, into: shared)
            }
        }
        if dx != nil && !directDx {
            im2colBackward(
                g, x: x, weight: weight, dy: dy, dWeight: nil, dBias: nil, dx: dx, scratch: scratch, perExample: nil)
        }
        if let dWeight, perExample == nil {
            scratch.addPartials(workers: workers, weights: wCount, into: dWeight, bias: dBias, k)
        }
        return addends != nil
    }

    /// `backward` through im2col and GEMMs, in chunks of images that keep the columns in cache.
    static func im2colBackward(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
        dBias: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
        scratch: ConvScratch, perExample: UnsafeMutablePointer<Float>?
    ) {
        let workers = min(Parallel.threads, g.batch)
        let chunk = perExample != nil ? 1 : scratch.imagesPerChunk(g)
        let each = perExample.map { SharedPointer($0) }
        let wCount = g.patch * g.outChannels
        let k = g.outChannels
        let partials = dWeight != nil
        scratch.prepare(
            workers: workers, columns: chunk * g.outHeight * g.outWidth * g.patch, weights: partials ? wCount + k : 0)
        let xs = SharedPointer(x)
        let ws = SharedPointer(weight)
        let dys = SharedPointer(dy)
        let dxs = dx.map { SharedPointer($0) }
        let inImage = g.height * g.width * g.inChannels
        let outImage = g.outHeight * g.outWidth * g.outChannels
        Parallel.forEach(workers) { w in
            let cols = scratch.columns(w)
            let shared = partials ? scratch.weightPartial(w) : nil
            shared?.update(repeating: 0, count: wCount + k)
            let range = Parallel.range(w, of: workers, total: g.batch)
            var n0 = range.lowerBound
            while n0 < range.upperBound {
                var sub = g
                sub.batch = min(chunk, range.upperBound - n0)
                let xi = UnsafePointer(xs.p + n0 * inImage)
                let dyo = UnsafePointer(dys.p + n0 * outImage)
                // Per-example: this image's own slot, zeroed; otherwise the worker's running sum.
                let dW = each.map { $0.p + n0 * (wCount + k) } ?? shared
                if let e = each { e.p.advanced(by: n0 * (wCount + k)).update(repeating: 0, count: wCount + k) }
                if partials, let dW {
                    let a: UnsafePointer<Float>
                    if g.isPointwise {
                        a = xi
                    } else {
                        im2col(sub, xi, cols)
                        a = UnsafePointer(cols)
                    }
                    // dW[patch, K] += colsᵀ · dy
                    gemm(g.patch, k, sub.rows, a, transA: true, dyo, dW, beta: 1)
                    sumRows(dyo, rows: sub.rows, k, into: dW + wCount)
                }
                if let dxs {
                    let dxi = dxs.p + n0 * inImage
                    if g.isPointwise {
                        gemm(sub.rows, g.patch, k, dyo, UnsafePointer(ws.p), transB: true, dxi)
                    } else {
                        // dcols = dy · Wᵀ, scattered back onto the chunk's own images.
                        gemm(sub.rows, g.patch, k, dyo, UnsafePointer(ws.p), transB: true, cols)
                        dxi.update(repeating: 0, count: sub.batch * inImage)
                        col2im(sub, UnsafePointer(cols), dxi)
                    }
                }
                n0 += sub.batch
            }
        }
        guard let dWeight, perExample == nil else { return }
        scratch.addPartials(workers: workers, weights: wCount, into: dWeight, bias: dBias, k)
    }
}

/// y[r, j] += bias[j] for `rows` rows of `k`.
@inline(__always)
func addBias(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, rows: Int, _ k: Int) {
    var r = y
    for _ in 0..<rows {
        for j in 0..<k { r[j] += bias[j] }
        r += k
    }
}

/// sum[j] += Σ_r m[r, j] over `rows` rows of `k` (the bias gradient).
@inline(__always)
func sumRows(_ m: UnsafePointer<Float>, rows: Int, _ k: Int, into sum: UnsafeMutablePointer<Float>) {
    var r = m
    for _ in 0..<rows {
        for j in 0..<k { sum[j] += r[j] }
        r += k
    }
}

/// Per-worker scratch of a convolution: a chunk of im2col columns and a partial dW each.
/// One instance is shared by all the convolutions of a network (they run one at a time).
public final class ConvScratch: @unchecked Sendable {
    /// Output pixels laid out per chunk; chosen so a chunk's columns stay in the L2 cache (measured in `bench`).
    public var chunkRows: Int
    private var cols: [UnsafeMutablePointer<Float>] = []
    private var colsCapacity = 0
    private var partials: [UnsafeMutablePointer<Float>] = []
    private var partialCapacity = 0
    private var pads: [UnsafeMutablePointer<Float>] = []
    private var padCapacity = 0
    private var flippedStorage = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var flippedCapacity = 1
    private var transformedStorage = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var transformedCapacity = 1

    public init(chunkRows: Int = 1024) { self.chunkRows = chunkRows }
    deinit {
        cols.forEach { $0.deallocate() }
        partials.forEach { $0.deallocate() }
        pads.forEach { $0.deallocate() }
        flippedStorage.deallocate()
        transformedStorage.deallocate()
    }

    public func imagesPerChunk(_ g: ConvGeometry) -> Int { max(1, chunkRows / max(1, g.outHeight * g.outWidth)) }

    func prepare(workers: Int, columns: Int, weights: Int) {
        if cols.count < workers || colsCapacity < columns {
            let n = max(columns, colsCapacity)
            let w = max(workers, cols.count)
            cols.forEach { $0.deallocate() }
            cols = (0..<w).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1)) }
            colsCapacity = n
        }
        if partials.count < workers || partialCapacity < weights {
            let n = max(weights, partialCapacity)
            let w = max(workers, partials.count)
            partials.forEach { $0.deallocate() }
            partials = (0..<w).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1)) }
            partialCapacity = n
        }
    }

    /// Per-worker padded images of the direct kernels, and one flipped weight tensor.
    func preparePads(workers: Int, floats: Int, flipped: Int) {
        if pads.count < workers || padCapacity < floats {
            let n = max(floats, padCapacity)
            let w = max(workers, pads.count)
            pads.forEach { $0.deallocate() }
            pads = (0..<w).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1)) }
            padCapacity = n
        }
        if flippedCapacity < flipped {
            flippedStorage.deallocate()
            flippedStorage = UnsafeMutablePointer<Float>.allocate(capacity: flipped)
            flippedCapacity = flipped
        }
    }

    /// One tensor of Winograd-transformed weights.
    func prepareTransformed(_ floats: Int) {
        if transformedCapacity < floats {
            transformedStorage.deallocate()
            transformedStorage = UnsafeMutablePointer<Float>.allocate(capacity: floats)
            transformedCapacity = floats
        }
    }

    func pad(_ w: Int) -> UnsafeMutablePointer<Float> { pads[w] }
    var transformed: UnsafeMutablePointer<Float> { transformedStorage }
    var flipped: UnsafeMutablePointer<Float> { flippedStorage }

    func columns(_ w: Int) -> UnsafeMutablePointer<Float> { cols[w] }

    /// dWeight (and dBias) += the workers' partial sums, in worker order (bit-identical for a thread count).
    func addPartials(
        workers: Int, weights wCount: Int, into dWeight: UnsafeMutablePointer<Float>,
        bias dBias: UnsafeMutablePointer<Float>?, _ k: Int
    ) {
        for w in 0..<workers {
            let p = partials[w]
            for i in 0..<wCount { dWeight[i] += p[i] }
            if let dBias { for j in 0..<k { dBias[j] += p[wCount + j] } }
        }
    }
    func weightPartial(_ w: Int) -> UnsafeMutablePointer<Float> { partials[w] }
}
