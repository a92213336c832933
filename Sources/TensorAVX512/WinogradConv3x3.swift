import TensorKernels

/// 3×3 convolutions (stride 1, padding 1) of one NHWC image by Winograd's minimal filtering F(2×2, 3×3):
/// each 2×2 block of output pixels comes from a 4×4 input tile with 16 multiplies per channel pair
/// instead of the direct kernels' 36.
///
/// Why: the stride-1 3×3 layers carry most of the networks' arithmetic. In the transformed domain
/// a layer is 16 small matrix products (tiles × C by C × K) with 2.25 times fewer multiply-adds; the
/// transforms are additions only (Lavin & Gray, 2016) but read and write memory, so a layer runs
/// 1.35–1.6 times as fast as with the direct kernels, not 2.25.
///
/// Compiled for AVX-512 like `DirectConv3x3`: call it only where the CPU has AVX-512. Shapes:
/// `input` [H, W, C], `transformed` [16, C, K] from `transformWeights`, `output` [H, W, K]; C and K
/// each 16, 32, 64 or 128 (`supports`), for which every kernel is specialised so that all its
/// strides are constants.
public enum WinogradConv3x3 {
    /// One image's convolution: H×W×C in, H×W×K out.
    public typealias Shape = WinogradShape

    /// The channel counts the kernels are specialised for.
    public static func supports(inChannels c: Int, outChannels k: Int) -> Bool {
        [16, 32, 64, 128].contains(c) && [16, 32, 64, 128].contains(k)
    }

    /// transformed[ξ, c, k] = (G·w[·, ·, c, k]·Gᵀ)[ξ] for weight [3, 3, C, K], ξ = 4·row + column.
    public static func transformWeights(
        inChannels c: Int, outChannels k: Int, weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>
    ) {
        let ck = c &* k
        for i in 0..<ck {
            // G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]: rows of G·w first, then columns of (G·w)·Gᵀ.
            var t: (Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float) = (
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            )
            withUnsafeMutableBytes(of: &t) { raw in
                let gw = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for x in 0..<3 {
                    let g0 = weight[x &* ck &+ i]
                    let g1 = weight[(3 &+ x) &* ck &+ i]
                    let g2 = weight[(6 &+ x) &* ck &+ i]
                    gw[x] = g0
                    gw[3 &+ x] = (g0 + g1 + g2) * 0.5
                    gw[6 &+ x] = (g0 - g1 + g2) * 0.5
                    gw[9 &+ x] = g2
                }
                for r in 0..<4 {
                    let a = gw[r &* 3]
                    let b = gw[r &* 3 &+ 1]
                    let d = gw[r &* 3 &+ 2]
                    u[(r &* 4) &* ck &+ i] = a
                    u[(r &* 4 &+ 1) &* ck &+ i] = (a + b + d) * 0.5
                    u[(r &* 4 &+ 2) &* ck &+ i] = (a - b + d) * 0.5
                    u[(r &* 4 &+ 3) &* ck &+ i] = d
                }
            }
        }
    }

    /// Tiles carried through the three steps together: their transformed input and products stay in
    /// the first-level cache (a whole image's would not: 4× the image, 16 planes apart).
    static let blockTiles = WinogradShape.blockTiles

    /// Floats from one tile's 16 transformed vectors of `channels` to the next tile's: one cache line
    /// more than they fill, so that a block's tiles do not fall on the same cache sets (at 64
    /// channels they would be exactly 4 KiB apart, and the product kernel ran at a third of its rate).
    @inline(__always) static func tileFloats(_ channels: Int) -> Int { tileFloats(Width16.self, channels) }
    /// As `tileFloats`, for Pl transformed planes per tile.
    @inline(__always) static func tileFloats<Pl: BlockWidth>(_: Pl.Type, _ channels: Int) -> Int {
        Pl.count &* channels &+ 16
    }

    /// output[H, W, K] = the convolution of `input` [H, W, C] (zero padding of one pixel) with the
    /// weights `transformed` came from, plus `addend` [H, W, K] if given (overwritten, no bias).
    /// `scratch` holds `shape.scratchFloats` floats.
    public static func forward(
        _ shape: Shape, input: UnsafePointer<Float>, transformed: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>
    ) {
        precondition(supports(inChannels: shape.inChannels, outChannels: shape.outChannels))
        switch shape.inChannels {
        case 16: forward(Width16.self, shape, input, transformed, output, addend, scratch)
        case 32: forward(Width32.self, shape, input, transformed, output, addend, scratch)
        case 64: forward(Width64.self, shape, input, transformed, output, addend, scratch)
        default: forward(Width128.self, shape, input, transformed, output, addend, scratch)
        }
    }

    static func forward<C: BlockWidth>(
        _: C.Type, _ shape: Shape, _ input: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>
    ) {
        switch shape.outChannels {
        case 16: forward(C.self, Width16.self, shape, input, u, output, addend, scratch)
        case 32: forward(C.self, Width32.self, shape, input, u, output, addend, scratch)
        case 64: forward(C.self, Width64.self, shape, input, u, output, addend, scratch)
        default: forward(C.self, Width128.self, shape, input, u, output, addend, scratch)
        }
    }

    static func forward<C: BlockWidth, K: BlockWidth>(
        _: C.Type, _: K.Type, _ shape: Shape, _ input: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>
    ) {
        if shape.tile == 4 { return forward4(C.self, K.self, shape, input, u, output, addend, scratch) }
        let v = scratch
        let m = scratch + blockTiles &* tileFloats(C.count)
        let edge = m + blockTiles &* tileFloats(K.count)
        var t0 = 0
        while t0 < shape.tiles {
            let tiles = t0..<min(t0 &+ blockTiles, shape.tiles)
            transformInput(C.self, shape, input, tiles, edge, v)
            multiply(Width16.self, C.self, K.self, tiles.count, v, u, m)
            if let addend {
                transformOutput(K.self, shape, m, tiles, output, adding: addend)
            } else {
                transformOutput(K.self, shape, m, tiles, output)
            }
            t0 = tiles.upperBound
        }
    }

    /// Where tile t's n×n input is read from (n = 4 for F(2×2, 3×3), 6 for F(4×4, 3×3); its top-left pixel at
    /// ((n − 2)·row − 1, (n − 2)·column − 1)) and that read's row stride: in place inside the image; a tile
    /// that reaches the zero border is first gathered into `edge` [n, n, C] (no padded copy of the image: that
    /// copy cost as much as a transform).
    @inline(__always)
    static func tileInput<C: BlockWidth>(
        _: C.Type, _ s: Shape, _ input: UnsafePointer<Float>, tile t: Int, side n: Int,
        edge: UnsafeMutablePointer<Float>
    ) -> (UnsafePointer<Float>, Int) {
        let c = C.count
        let imageRow = s.width &* c
        let ti = t / s.tileColumns
        let tj = t &- ti &* s.tileColumns
        let y0 = (n &- 2) &* ti &- 1
        let x0 = (n &- 2) &* tj &- 1
        guard y0 < 0 || y0 &+ n &- 1 >= s.height || x0 < 0 || x0 &+ n &- 1 >= s.width else {
            return (input + (y0 &* imageRow &+ x0 &* c), imageRow)
        }
        for i in 0..<n {
            for j in 0..<n {
                let y = y0 &+ i
                let x = x0 &+ j
                let to = edge + (i &* n &+ j) &* c
                let inside = y >= 0 && y < s.height && x >= 0 && x < s.width
                let from = input + (y &* imageRow &+ x &* c)
                var cv = 0
                while cv < c {
                    store(inside ? load(from + cv) : .zero, to + cv)
                    cv &+= 16
                }
            }
        }
        return (UnsafePointer(edge), n &* c)
    }

    /// v[t, ξ, C] (tiles `tileFloats(C)` apart) = (Bᵀ·d·B)[ξ] for each tile t's 4×4 input d (`tileInput`), 16
    /// channels at a time; Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
    static func transformInput<C: BlockWidth>(
        _: C.Type, _ s: Shape, _ input: UnsafePointer<Float>, _ tiles: Range<Int>, _ edge: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>
    ) {
        let c = C.count
        for t in tiles {
            let (tile, rs) = tileInput(C.self, s, input, tile: t, side: 4, edge: edge)
            let out = v + (t &- tiles.lowerBound) &* tileFloats(c)
            var cv = 0
            while cv < c {
                // Bᵀ·d, a column of the tile at a time; then (Bᵀ·d)·B, a row at a time.
                @inline(__always) func column(_ j: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)
                {
                    let q = tile + (j &* c &+ cv)
                    let d0 = load(q)
                    let d1 = load(q + rs)
                    let d2 = load(q + 2 &* rs)
                    let d3 = load(q + 3 &* rs)
                    return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                }
                @inline(__always) func row(
                    _ i: Int, _ a: SIMD16<Float>, _ b: SIMD16<Float>, _ e: SIMD16<Float>, _ f: SIMD16<Float>
                ) {
                    let o = out + (4 &* i &* c &+ cv)
                    store(a - e, o)
                    store(b + e, o + c)
                    store(e - b, o + 2 &* c)
                    store(b - f, o + 3 &* c)
                }
                let c0 = column(0)
                let c1 = column(1)
                let c2 = column(2)
                let c3 = column(3)
                row(0, c0.0, c1.0, c2.0, c3.0)
                row(1, c0.1, c1.1, c2.1, c3.1)
                row(2, c0.2, c1.2, c2.2, c3.2)
                row(3, c0.3, c1.3, c2.3, c3.3)
                cv &+= 16
            }
        }
    }

    /// m[t, ξ, K] (tiles `tileFloats(Pl, K)` apart) = v[t, ξ, C] · u[ξ, C, K] for the block's tiles and the
    /// Pl planes ξ (16 for F(2×2, 3×3), 36 for F(4×4, 3×3)).
    static func multiply<Pl: BlockWidth, C: BlockWidth, K: BlockWidth>(
        _: Pl.Type, _: C.Type, _: K.Type, _ tiles: Int, _ v: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>
    ) {
        // Two output vectors per block when K allows (half the broadcasts per multiply-add).
        let pair = K.count >= 32
        for xi in 0..<Pl.count {
            var kv = 0
            while kv < K.count {
                var t = 0
                while t < tiles {
                    let left = tiles &- t
                    let a = v + (t &* tileFloats(Pl.self, C.count) &+ xi &* C.count)
                    let b = u + (xi &* C.count &* K.count &+ kv)
                    let o = m + (t &* tileFloats(Pl.self, K.count) &+ xi &* K.count &+ kv)
                    let p: Int
                    if pair {
                        p = left >= 8 ? 8 : (left >= 4 ? 4 : (left >= 2 ? 2 : 1))
                        switch p {
                        case 8: productBlock(Pl.self, C.self, K.self, Width8.self, Width2.self, a, b, o)
                        case 4: productBlock(Pl.self, C.self, K.self, Width4.self, Width2.self, a, b, o)
                        case 2: productBlock(Pl.self, C.self, K.self, Width2.self, Width2.self, a, b, o)
                        default: productBlock(Pl.self, C.self, K.self, Width1.self, Width2.self, a, b, o)
                        }
                    } else {
                        p = left >= 16 ? 16 : (left >= 8 ? 8 : (left >= 4 ? 4 : (left >= 2 ? 2 : 1)))
                        switch p {
                        case 16: productBlock(Pl.self, C.self, K.self, Width16.self, Width1.self, a, b, o)
                        case 8: productBlock(Pl.self, C.self, K.self, Width8.self, Width1.self, a, b, o)
                        case 4: productBlock(Pl.self, C.self, K.self, Width4.self, Width1.self, a, b, o)
                        case 2: productBlock(Pl.self, C.self, K.self, Width2.self, Width1.self, a, b, o)
                        default: productBlock(Pl.self, C.self, K.self, Width1.self, Width1.self, a, b, o)
                        }
                    }
                    t &+= p
                }
                kv &+= pair ? 32 : 16
            }
        }
    }

    /// P tiles' rows of `a` (`tileFloats(Pl, C)` apart) times KB 16-wide columns of `b` (rows K floats
    /// apart) into `o` (rows `tileFloats(Pl, K)` apart): all strides constants, so one base register each.
    @inline(__always)
    static func productBlock<Pl: BlockWidth, C: BlockWidth, K: BlockWidth, P: BlockWidth, KB: BlockWidth>(
        _: Pl.Type, _: C.Type, _: K.Type, _: P.Type, _: KB.Type, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ o: UnsafeMutablePointer<Float>
    ) {
        // At most 16 accumulators: a larger temporary would go to the heap, and the optimiser keeps
        // these in registers only when the loops over P and KB unroll completely.
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { acc in
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 2) { wv in
                for i in 0..<(P.count &* KB.count) { acc[i] = .zero }
                for ci in 0..<C.count {
                    for j in 0..<KB.count { wv[j] = load(b + (ci &* K.count &+ j &* 16)) }
                    for p in 0..<P.count {
                        let x = SIMD16<Float>(repeating: a[p &* tileFloats(Pl.self, C.count) &+ ci])
                        for j in 0..<KB.count { acc[p &* KB.count &+ j].addProduct(x, wv[j]) }
                    }
                }
                for p in 0..<P.count {
                    for j in 0..<KB.count {
                        store(acc[p &* KB.count &+ j], o + (p &* tileFloats(Pl.self, K.count) &+ j &* 16))
                    }
                }
            }
        }
    }

    /// output = Aᵀ·m·A (+ `adding` at the same place) for the block's tiles, Aᵀ = [1 1 1 0; 0 1 −1 −1];
    /// the odd sizes' outside pixels are dropped.
    @inline(__always)
    static func transformOutput<K: BlockWidth>(
        _: K.Type, _ s: Shape, _ m: UnsafePointer<Float>, _ tiles: Range<Int>, _ output: UnsafeMutablePointer<Float>,
        adding addend: UnsafePointer<Float>? = nil
    ) {
        @inline(__always) func put(_ x: SIMD16<Float>, _ o: UnsafeMutablePointer<Float>) {
            if let addend { store(x + load(addend + (o - output)), o) } else { store(x, o) }
        }
        let k = K.count
        let w = s.width
        for t in tiles {
            let ti = t / s.tileColumns
            let tj = t &- ti &* s.tileColumns
            let twoRows = 2 &* ti &+ 1 < s.height
            let twoColumns = 2 &* tj &+ 1 < w
            let from = m + (t &- tiles.lowerBound) &* tileFloats(k)
            let to = output + ((2 &* ti &* w &+ 2 &* tj) &* k)
            var kv = 0
            while kv < k {
                // Aᵀ·m, a column at a time; then (Aᵀ·m)·A for the two rows.
                @inline(__always) func column(_ j: Int) -> (SIMD16<Float>, SIMD16<Float>) {
                    let q = from + (j &* k &+ kv)
                    let m0 = load(q)
                    let m1 = load(q + 4 &* k)
                    let m2 = load(q + 8 &* k)
                    let m3 = load(q + 12 &* k)
                    return (m0 + m1 + m2, m1 - m2 - m3)
                }
                let c0 = column(0)
                let c1 = column(1)
                let c2 = column(2)
                let c3 = column(3)
                let o = to + kv
                put(c0.0 + c1.0 + c2.0, o)
                if twoColumns { put(c1.0 - c2.0 - c3.0, o + k) }
                if twoRows {
                    put(c0.1 + c1.1 + c2.1, o + w &* k)
                    if twoColumns { put(c1.1 - c2.1 - c3.1, o + (w &* k &+ k)) }
                }
                kv &+= 16
            }
        }
    }

    // MARK: Weight gradient, F(3×3, 2×2): dW = Gᵀ·[(A·dY·Aᵀ) ⊙ (Bᵀ·d·B)]·G summed over tiles.

    /// Floats of `accumulateWeightGradient`'s scratch: a whole image's transformed input and output
    /// gradient (the sums over tiles keep their accumulators in registers across the image), and an edge tile.
    public static func gradientScratchFloats(_ s: Shape) -> Int {
        s.tiles &* (tileFloats(s.inChannels) &+ tileFloats(s.outChannels)) &+ 16 &* s.inChannels
    }

    /// sums[ξ, C, K] += Σ over the image's tiles of (Bᵀ·d·B)[ξ, c] · (A·dy·Aᵀ)[ξ, k], for `input`
    /// [H, W, C] and `outputGradient` [H, W, K]; `weightGradient(fromSums:)` turns the sums into dW.
    public static func accumulateWeightGradient(
        _ shape: Shape, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        precondition(supports(inChannels: shape.inChannels, outChannels: shape.outChannels))
        switch shape.inChannels {
        case 16: accumulateWeightGradient(Width16.self, shape, input, outputGradient, sums, scratch)
        case 32: accumulateWeightGradient(Width32.self, shape, input, outputGradient, sums, scratch)
        case 64: accumulateWeightGradient(Width64.self, shape, input, outputGradient, sums, scratch)
        default: accumulateWeightGradient(Width128.self, shape, input, outputGradient, sums, scratch)
        }
    }

    static func accumulateWeightGradient<C: BlockWidth>(
        _: C.Type, _ shape: Shape, _ input: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ sums: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>
    ) {
        switch shape.outChannels {
        case 16: accumulateWeightGradient(C.self, Width16.self, shape, input, dy, sums, scratch)
        case 32: accumulateWeightGradient(C.self, Width32.self, shape, input, dy, sums, scratch)
        case 64: accumulateWeightGradient(C.self, Width64.self, shape, input, dy, sums, scratch)
        default: accumulateWeightGradient(C.self, Width128.self, shape, input, dy, sums, scratch)
        }
    }

    static func accumulateWeightGradient<C: BlockWidth, K: BlockWidth>(
        _: C.Type, _: K.Type, _ shape: Shape, _ input: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ sums: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>
    ) {
        let v = scratch
        let z = v + shape.tiles &* tileFloats(C.count)
        let edge = z + shape.tiles &* tileFloats(K.count)
        transformInput(C.self, shape, input, 0..<shape.tiles, edge, v)
        transformOutputGradient(K.self, shape, dy, z)
        // Output vectors per block: as many as leave room for input channels (≤ 16 accumulators).
        let kb = K.count >= 64 ? 4 : K.count / 16
        for xi in 0..<16 {
            var kv = 0
            while kv < K.count {
                var c0 = 0
                while c0 < C.count {
                    let a = v + (xi &* C.count &+ c0)
                    let b = z + (xi &* K.count &+ kv)
                    let o = sums + ((xi &* C.count &+ c0) &* K.count &+ kv)
                    switch kb {
                    case 1: sumBlock(C.self, K.self, Width16.self, Width1.self, shape.tiles, a, b, o)
                    case 2: sumBlock(C.self, K.self, Width8.self, Width2.self, shape.tiles, a, b, o)
                    default: sumBlock(C.self, K.self, Width4.self, Width4.self, shape.tiles, a, b, o)
                    }
                    c0 &+= 16 / kb
                }
                kv &+= 16 &* kb
            }
        }
    }

    /// z[t, ξ, K] (tiles `tileFloats(K)` apart) = (A·dy·Aᵀ)[ξ] for each tile's 2×2 output gradient
    /// (zero outside the image), A = [1 0; 1 1; 1 −1; 0 −1].
    static func transformOutputGradient<K: BlockWidth>(
        _: K.Type, _ s: Shape, _ dy: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>
    ) {
        let k = K.count
        let w = s.width
        for t in 0..<s.tiles {
            let ti = t / s.tileColumns
            let tj = t &- ti &* s.tileColumns
            let twoRows = 2 &* ti &+ 1 < s.height
            let twoColumns = 2 &* tj &+ 1 < w
            let from = dy + ((2 &* ti &* w &+ 2 &* tj) &* k)
            let out = z + t &* tileFloats(k)
            var kv = 0
            while kv < k {
                let p = from + kv
                let a = load(p)
                let b = twoColumns ? load(p + k) : .zero
                let c = twoRows ? load(p + w &* k) : .zero
                let d = twoRows && twoColumns ? load(p + (w &* k &+ k)) : .zero
                // A·dy: rows [a b], [a+c b+d], [a−c b−d], [−c −d]; then each row [p q] → [p, p+q, p−q, −q].
                @inline(__always) func row(_ i: Int, _ p: SIMD16<Float>, _ q: SIMD16<Float>) {
                    let o = out + (4 &* i &* k &+ kv)
                    store(p, o)
                    store(p + q, o + k)
                    store(p - q, o + 2 &* k)
                    store(-q, o + 3 &* k)
                }
                row(0, a, b)
                row(1, a + c, b + d)
                row(2, a - c, b - d)
                row(3, -c, -d)
                kv &+= 16
            }
        }
    }

    /// CB input channels × KB output vectors of one ξ, summed over `tiles` tiles (each tile: KB loads
    /// and CB broadcasts feed CB·KB FMAs) and added to `o` (rows K floats apart).
    @inline(__always)
    static func sumBlock<C: BlockWidth, K: BlockWidth, CB: BlockWidth, KB: BlockWidth>(
        _: C.Type, _: K.Type, _: CB.Type, _: KB.Type, _ tiles: Int, _ a: UnsafePointer<Float>,
        _ b: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>
    ) {
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { acc in
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 4) { d in
                for ci in 0..<CB.count {
                    for j in 0..<KB.count { acc[ci &* KB.count &+ j] = load(o + (ci &* K.count &+ j &* 16)) }
                }
                var x = a
                var g = b
                for _ in 0..<tiles {
                    for j in 0..<KB.count { d[j] = load(g + j &* 16) }
                    for ci in 0..<CB.count {
                        let e = SIMD16<Float>(repeating: x[ci])
                        for j in 0..<KB.count { acc[ci &* KB.count &+ j].addProduct(e, d[j]) }
                    }
                    x += tileFloats(C.count)
                    g += tileFloats(K.count)
                }
                for ci in 0..<CB.count {
                    for j in 0..<KB.count { store(acc[ci &* KB.count &+ j], o + (ci &* K.count &+ j &* 16)) }
                }
            }
        }
    }

    /// weightGradient[3, 3, C, K] += Gᵀ·sums[·, c, k]·G for every (c, k): the transform is linear, so
    /// it runs once on sums over any number of images.
    public static func weightGradient(
        fromSums m: UnsafePointer<Float>, inChannels c: Int, outChannels k: Int,
        into dw: UnsafeMutablePointer<Float>
    ) {
        let ck = c &* k
        for i in 0..<ck {
            // Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]: along the rows first (ξ = 4·r + s), then the columns.
            var t: (Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float) = (
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            )
            withUnsafeMutableBytes(of: &t) { raw in
                let r = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for s in 0..<4 {
                    let m0 = m[s &* ck &+ i]
                    let m1 = m[(4 &+ s) &* ck &+ i]
                    let m2 = m[(8 &+ s) &* ck &+ i]
                    let m3 = m[(12 &+ s) &* ck &+ i]
                    r[s] = m0 + (m1 + m2) * 0.5
                    r[4 &+ s] = (m1 - m2) * 0.5
                    r[8 &+ s] = (m1 + m2) * 0.5 + m3
                }
                for ky in 0..<3 {
                    let a = r[4 &* ky]
                    let b = r[4 &* ky &+ 1]
                    let e = r[4 &* ky &+ 2]
                    let f = r[4 &* ky &+ 3]
                    dw[(ky &* 3) &* ck &+ i] += a + (b + e) * 0.5
                    dw[(ky &* 3 &+ 1) &* ck &+ i] += (b - e) * 0.5
                    dw[(ky &* 3 &+ 2) &* ck &+ i] += (b + e) * 0.5 + f
                }
            }
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func store(_ x: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD16<Float>.self)
    }
}
