import TensorKernels

/// 3×3 convolutions (padding 1, stride 1 or 2) of one NHWC image, computed directly with 16-wide fused
/// multiply-adds instead of through im2col and a GEMM.
///
/// Why: with 16 to 64 channels the im2col matrix and OpenBLAS's packed copy of it cost more memory
/// traffic than the GEMM costs arithmetic (the 16-channel layers ran at a third of the sgemm peak).
/// Here each output pixel's channels are one vector register; the input is read in place.
///
/// This module is compiled for AVX-512 (Skylake-SP and later, Zen 4): call it only where the CPU has
/// AVX-512 F, CD, BW, DQ and VL and the OS saves the vector registers. The output channels must be
/// a multiple of 16. Shapes: `padded` [H+2, W+2, C] (the image with a zero border of one pixel),
/// `weight` [3, 3, C, K], `output` and `outputGradient` [OH, OW, K].
public enum DirectConv3x3 {
    /// One image's convolution: input H×W×C (padded by one pixel), output OH×OW×K, stride 1 or 2.
    public typealias Shape = DirectShape

    /// output[OH, OW, K] = the convolution of `padded` with `weight` (overwritten, no bias).
    public static func forward(
        _ shape: Shape, padded: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let c = shape.inChannels
        let k = shape.outChannels
        let width = shape.outWidth
        precondition(k % 16 == 0, "DirectConv3x3 needs a multiple of 16 output channels")
        let rowStride = shape.rowStride
        let ps = shape.pixelStride
        // With 32 or more output channels a pixel block covers two output vectors at once (half the
        // broadcasts per FMA), at most 8 pixels wide so that its 16 accumulators stay in registers.
        let pair = k % 32 == 0
        let blocks = pixelBlocks(width, widest: pair ? 8 : 16)
        var kv = 0
        while kv < k {
            for oy in 0..<shape.outHeight {
                var ox = 0
                for p in blocks {
                    let x = padded + (oy &* shape.stride &* rowStride &+ ox &* ps)
                    let y = output + ((oy &* width &+ ox) &* k &+ kv)
                    switch (p, pair) {
                    case (16, _): forwardBlock(Width16.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (14, _): forwardBlock(Width14.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (8, false): forwardBlock(Width8.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (7, false): forwardBlock(Width7.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (4, false): forwardBlock(Width4.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (2, false): forwardBlock(Width2.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (_, false): forwardBlock(Width1.self, Width1.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (8, true): forwardBlock(Width8.self, Width2.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (7, true): forwardBlock(Width7.self, Width2.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (4, true): forwardBlock(Width4.self, Width2.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (2, true): forwardBlock(Width2.self, Width2.self, x, weight + kv, y, c, ps, k, rowStride)
                    case (_, true): forwardBlock(Width1.self, Width2.self, x, weight + kv, y, c, ps, k, rowStride)
                    }
                    ox &+= p
                }
            }
            kv &+= pair ? 32 : 16
        }
    }

    /// inputGradient[H, W, C] of a stride-2 convolution (overwritten) from `paddedGradient` [OH+1, OW+1, K], the
    /// output gradient with a zero row below and a zero column to the right, and `flipped` [3, 3, K, C], the
    /// weights flipped over both spatial axes with C and K swapped. C must be a multiple of 16. With `addend`
    /// [H, W, C] (a residual join's other gradient), it is added as each pixel is stored.
    ///
    /// Why: a stride-2 layer's input gradient through a GEMM and col2im wrote nine columns per output pixel
    /// and then scattered them back. By the parity of its row and column an input pixel receives 1, 2 or 4
    /// taps, each from a neighbouring output pixel: four small stride-1 products read in place.
    public static func inputGradientStride2(
        height: Int, width: Int, inChannels c: Int, outChannels k: Int, paddedGradient dy: UnsafePointer<Float>,
        flipped: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
        addend: UnsafePointer<Float>? = nil
    ) {
        precondition(supportsInputGradientStride2(inChannels: c, outChannels: k))
        switch k {
        case 16: inputGradientStride2(Width16.self, height, width, c, dy, flipped, dx, addend)
        case 32: inputGradientStride2(Width32.self, height, width, c, dy, flipped, dx, addend)
        case 64: inputGradientStride2(Width64.self, height, width, c, dy, flipped, dx, addend)
        default: inputGradientStride2(Width128.self, height, width, c, dy, flipped, dx, addend)
        }
    }

    /// The channel counts `inputGradientStride2` is specialised for (K sets the stride of every read).
    public static func supportsInputGradientStride2(inChannels c: Int, outChannels k: Int) -> Bool {
        c % 16 == 0 && [16, 32, 64, 128].contains(k)
    }

    static func inputGradientStride2<K: BlockWidth>(
        _: K.Type, _ height: Int, _ width: Int, _ c: Int, _ dy: UnsafePointer<Float>, _ flipped: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>?
    ) {
        let k = K.count
        let pair = c % 32 == 0
        let dyRow = (width &+ 1) / 2 &+ 1
        // Pixels of each column parity in a row, in register blocks; read through buffer pointers, as an
        // array of arrays was retained and released at every row (1 % of a ResNet-8 step).
        let even = pixelBlocks((width &+ 1) / 2, widest: pair ? 8 : 16)
        let odd = pixelBlocks(width / 2, widest: pair ? 8 : 16)
        even.withUnsafeBufferPointer { even in
            odd.withUnsafeBufferPointer { odd in
                var cv = 0
                while cv < c {
                    for iy in 0..<height {
                        let a = iy >> 1
                        let py = iy & 1
                        for px in 0..<2 {
                            let taps = ParityTaps(rowParity: py, columnParity: px)
                            var b = 0
                            for p in px == 0 ? even : odd {
                                let x = dy + (a &* dyRow &+ b) &* k
                                let w = flipped + cv
                                let o = (iy &* width &+ 2 &* b &+ px) &* c &+ cv
                                let y = dx + o
                                let s = addend.map { $0 + o }
                                switch (p, pair) {
                                case (16, _): parityBlock(Width16.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (14, _): parityBlock(Width14.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (8, false):
                                    parityBlock(Width8.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (7, false):
                                    parityBlock(Width7.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (4, false):
                                    parityBlock(Width4.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (2, false):
                                    parityBlock(Width2.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (_, false):
                                    parityBlock(Width1.self, Width1.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (8, true):
                                    parityBlock(Width8.self, Width2.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (7, true):
                                    parityBlock(Width7.self, Width2.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (4, true):
                                    parityBlock(Width4.self, Width2.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (2, true):
                                    parityBlock(Width2.self, Width2.self, K.self, taps, x, w, y, s, c, dyRow)
                                case (_, true):
                                    parityBlock(Width1.self, Width2.self, K.self, taps, x, w, y, s, c, dyRow)
                                }
                                b &+= p
                            }
                        }
                    }
                    cv &+= pair ? 32 : 16
                }
            }
        }
    }

    /// The taps one parity class of a stride-2 input gradient sums: `rows` × `columns` of them; the i-th
    /// row reads output row a + i with the flipped weights' row `flippedRow + i·step` (likewise columns).
    struct ParityTaps {
        var rows, columns, flippedRow, flippedColumn, step, columnStep: Int

        /// An even input row (or column) takes the middle tap only; an odd one the taps above and below it.
        init(rowParity py: Int, columnParity px: Int) {
            rows = py &+ 1
            columns = px &+ 1
            flippedRow = py == 0 ? 1 : 0
            flippedColumn = px == 0 ? 1 : 0
            step = py == 0 ? 0 : 2
            columnStep = px == 0 ? 0 : 2
        }
    }

    /// P input-gradient pixels of one parity (2·C floats apart) × KB 16-channel vectors, summed over the
    /// class's taps and the K output channels: per (tap, channel) KB weight loads and P broadcasts feed P·KB FMAs.
    @inline(__always)
    static func parityBlock<P: BlockWidth, KB: BlockWidth, K: BlockWidth>(
        _: P.Type, _: KB.Type, _: K.Type, _ taps: ParityTaps, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        _ y: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>?, _ c: Int, _ dyRow: Int
    ) {
        let k = K.count
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { acc in
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 2) { wv in
                for i in 0..<(P.count &* KB.count) { acc[i] = .zero }
                for i in 0..<taps.rows {
                    for j in 0..<taps.columns {
                        let fy = taps.flippedRow &+ i &* taps.step
                        let fx = taps.flippedColumn &+ j &* taps.columnStep
                        accumulateTap(
                            P.self, KB.self, acc, wv, x + (i &* dyRow &+ j) &* k, pixelStride: k,
                            w + (fy &* 3 &+ fx) &* k &* c, weightRow: c, inputs: k)
                    }
                }
                storeBlock(P.self, KB.self, acc, y, pixelStride: 2 &* c, adding: addend)
            }
        }
    }

    /// weightGradient[3, 3, C, K] += Σ over the image's pixels of each tap's input ⊗ `outputGradient`.
    public static func accumulateWeightGradient(
        _ image: Shape, padded: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>
    ) {
        let c = image.inChannels
        let k = image.outChannels
        precondition(k % 16 == 0, "DirectConv3x3 needs a multiple of 16 output channels")
        // Accumulators: (input channels) × (16-channel output vectors) ≤ 16 registers, as wide in
        // output vectors as the channel count allows so each broadcast input feeds several FMAs.
        let vectors = k / 16
        if c <= 5 {
            // A few input channels (the stems): a pass per tap would read the output gradient nine times
            // for one FMA per load; here one pass takes every tap of 1 (or 3) kernel rows at once.
            for kv in 0..<vectors {
                let dy = outputGradient + kv &* 16
                let dw = weightGradient + kv &* 16
                switch c {
                case 1: tapRowsBlock(Width1.self, Width3.self, image, padded, 0, dy, dw)
                case 2: for ky in 0..<3 { tapRowsBlock(Width2.self, Width1.self, image, padded, ky, dy, dw) }
                case 3: for ky in 0..<3 { tapRowsBlock(Width3.self, Width1.self, image, padded, ky, dy, dw) }
                case 4: for ky in 0..<3 { tapRowsBlock(Width4.self, Width1.self, image, padded, ky, dy, dw) }
                default: for ky in 0..<3 { tapRowsBlock(Width5.self, Width1.self, image, padded, ky, dy, dw) }
                }
            }
            return
        }
        var kv = 0
        while kv < vectors {
            let kb = vectors &- kv >= 4 ? 4 : (vectors &- kv >= 2 ? 2 : 1)
            for tap in 0..<9 {
                var c0 = 0
                while c0 < c {
                    let cb = min(16 / kb, c &- c0)
                    let cbUsed = cb >= 16 ? 16 : (cb >= 8 ? 8 : (cb >= 4 ? 4 : (cb >= 2 ? 2 : 1)))
                    let x = padded + ((tap / 3) &* image.rowStride &+ (tap % 3) &* c &+ c0)
                    let dy = outputGradient + kv &* 16
                    let dw = weightGradient + ((tap &* c &+ c0) &* k &+ kv &* 16)
                    switch (cbUsed, kb) {
                    case (16, 1): gradientBlock(Width16.self, Width1.self, image, x, dy, dw)
                    case (8, 1): gradientBlock(Width8.self, Width1.self, image, x, dy, dw)
                    case (4, 1): gradientBlock(Width4.self, Width1.self, image, x, dy, dw)
                    case (2, 1): gradientBlock(Width2.self, Width1.self, image, x, dy, dw)
                    case (1, 1): gradientBlock(Width1.self, Width1.self, image, x, dy, dw)
                    case (8, 2): gradientBlock(Width8.self, Width2.self, image, x, dy, dw)
                    case (4, 2): gradientBlock(Width4.self, Width2.self, image, x, dy, dw)
                    case (2, 2): gradientBlock(Width2.self, Width2.self, image, x, dy, dw)
                    case (1, 2): gradientBlock(Width1.self, Width2.self, image, x, dy, dw)
                    case (4, 4): gradientBlock(Width4.self, Width4.self, image, x, dy, dw)
                    case (2, 4): gradientBlock(Width2.self, Width4.self, image, x, dy, dw)
                    default: gradientBlock(Width1.self, Width4.self, image, x, dy, dw)
                    }
                    c0 &+= cbUsed
                }
            }
            kv &+= kb
        }
    }

    /// Kernel rows ky0 ..< ky0 + R, all three columns, C input channels, of one 16-channel output vector
    /// (`dy` and `dw` start at it), summed over every pixel of the image in one pass: per pixel one gradient
    /// load and 3·R·C broadcasts feed 3·R·C FMAs into as many accumulators (≤ 15).
    @inline(__always)
    static func tapRowsBlock<C: BlockWidth, R: BlockWidth>(
        _: C.Type, _: R.Type, _ g: Shape, _ padded: UnsafePointer<Float>, _ ky0: Int, _ dy: UnsafePointer<Float>,
        _ dw: UnsafeMutablePointer<Float>
    ) {
        let c = C.count
        let k = g.outChannels
        let rowStride = g.rowStride
        let x = padded + ky0 &* rowStride
        let w = dw + ky0 &* 3 &* c &* k
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { acc in
            // acc[(r·3 + kx)·C + ci] belongs to tap (ky0 + r, kx), input channel ci: dw[(tap·C + ci)·K].
            for i in 0..<(R.count &* 3 &* c) {
                acc[i] = UnsafeRawPointer(w + i &* k).loadUnaligned(as: SIMD16<Float>.self)
            }
            for oy in 0..<g.outHeight {
                var xp = x + oy &* g.stride &* rowStride
                var dyp = dy + oy &* g.outWidth &* k
                for _ in 0..<g.outWidth {
                    let d = UnsafeRawPointer(dyp).loadUnaligned(as: SIMD16<Float>.self)
                    for r in 0..<R.count {
                        for i in 0..<(3 &* c) {
                            acc[r &* 3 &* c &+ i].addProduct(SIMD16<Float>(repeating: xp[r &* rowStride &+ i]), d)
                        }
                    }
                    xp += g.pixelStride
                    dyp += k
                }
            }
            for i in 0..<(R.count &* 3 &* c) {
                UnsafeMutableRawPointer(w + i &* k).storeBytes(of: acc[i], as: SIMD16<Float>.self)
            }
        }
    }

    /// P output pixels of one row × KB 16-channel output vectors (from `w`'s first column on): P·KB
    /// accumulators; per (tap, input channel) KB weight loads and P broadcasts feed P·KB FMAs.
    @inline(__always)
    static func forwardBlock<P: BlockWidth, KB: BlockWidth>(
        _: P.Type, _: KB.Type, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ c: Int, _ ps: Int, _ k: Int, _ rowStride: Int
    ) {
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { acc in
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 2) { wv in
                for i in 0..<(P.count &* KB.count) { acc[i] = .zero }
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        accumulateTap(
                            P.self, KB.self, acc, wv, x + (ky &* rowStride &+ kx &* c), pixelStride: ps,
                            w + (ky &* 3 &+ kx) &* c &* k, weightRow: k, inputs: c)
                    }
                }
                storeBlock(P.self, KB.self, acc, y, pixelStride: k)
            }
        }
    }

    /// acc[p·KB + j] += Σ_i x[p·pixelStride + i] · w[i·weightRow + 16·j … +16] over `inputs` channels i:
    /// one tap of a P-pixel × KB-vector register block (per channel KB weight loads and P broadcasts
    /// feed P·KB FMAs).
    @inline(__always)
    static func accumulateTap<P: BlockWidth, KB: BlockWidth>(
        _: P.Type, _: KB.Type, _ acc: UnsafeMutableBufferPointer<SIMD16<Float>>,
        _ wv: UnsafeMutableBufferPointer<SIMD16<Float>>, _ x: UnsafePointer<Float>, pixelStride: Int,
        _ w: UnsafePointer<Float>, weightRow: Int, inputs: Int
    ) {
        for i in 0..<inputs {
            for j in 0..<KB.count {
                wv[j] = UnsafeRawPointer(w + (i &* weightRow &+ j &* 16)).loadUnaligned(as: SIMD16<Float>.self)
            }
            for p in 0..<P.count {
                let b = SIMD16<Float>(repeating: x[p &* pixelStride &+ i])
                for j in 0..<KB.count { acc[p &* KB.count &+ j].addProduct(b, wv[j]) }
            }
        }
    }

    /// Stores a P-pixel × KB-vector register block at y, pixels `pixelStride` floats apart; with `addend`
    /// (laid out as y), each vector plus the addend's.
    @inline(__always)
    static func storeBlock<P: BlockWidth, KB: BlockWidth>(
        _: P.Type, _: KB.Type, _ acc: UnsafeMutableBufferPointer<SIMD16<Float>>, _ y: UnsafeMutablePointer<Float>,
        pixelStride: Int, adding addend: UnsafePointer<Float>? = nil
    ) {
        for p in 0..<P.count {
            for j in 0..<KB.count {
                let o = p &* pixelStride &+ j &* 16
                var v = acc[p &* KB.count &+ j]
                if let addend { v += UnsafeRawPointer(addend + o).loadUnaligned(as: SIMD16<Float>.self) }
                UnsafeMutableRawPointer(y + o).storeBytes(of: v, as: SIMD16<Float>.self)
            }
        }
    }

    /// CB input channels × KB output vectors of one tap, summed over every pixel of the image:
    /// per pixel KB gradient loads and CB broadcasts feed CB·KB FMAs.
    @inline(__always)
    static func gradientBlock<CB: BlockWidth, KB: BlockWidth>(
        _: CB.Type, _: KB.Type, _ g: Shape, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dw: UnsafeMutablePointer<Float>
    ) {
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { acc in
            for ci in 0..<CB.count {
                for j in 0..<KB.count {
                    acc[ci &* KB.count &+ j] = UnsafeRawPointer(dw + (ci &* g.outChannels &+ j &* 16))
                        .loadUnaligned(as: SIMD16<Float>.self)
                }
            }
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 4) { d in
                let rowStride = g.rowStride
                let k = g.outChannels
                for oy in 0..<g.outHeight {
                    var xp = x + oy &* g.stride &* rowStride
                    var dyp = dy + oy &* g.outWidth &* k
                    for _ in 0..<g.outWidth {
                        for j in 0..<KB.count {
                            d[j] = UnsafeRawPointer(dyp + j &* 16).loadUnaligned(as: SIMD16<Float>.self)
                        }
                        for ci in 0..<CB.count {
                            let b = SIMD16<Float>(repeating: xp[ci])
                            for j in 0..<KB.count { acc[ci &* KB.count &+ j].addProduct(b, d[j]) }
                        }
                        xp += g.pixelStride
                        dyp += k
                    }
                }
            }
            for ci in 0..<CB.count {
                for j in 0..<KB.count {
                    UnsafeMutableRawPointer(dw + (ci &* g.outChannels &+ j &* 16))
                        .storeBytes(of: acc[ci &* KB.count &+ j], as: SIMD16<Float>.self)
                }
            }
        }
    }
}

extension DirectShape {
    /// Floats from one padded input row to the next.
    var rowStride: Int { (inputWidth &+ 2) &* inChannels }
    /// Floats from one output pixel's input window to the next one's along a row.
    var pixelStride: Int { stride &* inChannels }
}
