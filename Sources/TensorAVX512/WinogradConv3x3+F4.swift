import TensorKernels

/// F(4×4, 3×3): each 4×4 block of output pixels from a 6×6 input tile, 36 multiplies per channel pair
/// instead of F(2×2, 3×3)'s 4 × 16 = 64.
///
/// Why: on the stride-1 layers F(2×2, 3×3) spends most of its time in the transformed-domain products and in
/// writing the transformed input (16 values per 4 output pixels); with 4×4 tiles both shrink to 36 per 16
/// output pixels, 0.56 times as many. The price is accuracy: the transforms' entries (4, 5, ⅙, 8) amplify
/// rounding more than F(2×2, 3×3)'s (±1, ½); on every layer shape of the networks it stays within the
/// bound the tests hold both to against im2col (1e-5 of the largest output).
/// Same layouts as F(2×2, 3×3) with 36 planes: `transformed` [36, C, K], ξ = 6·row + column.
extension WinogradConv3x3 {
    /// transformed[ξ, c, k] = (G·w[·, ·, c, k]·Gᵀ)[ξ] for weight [3, 3, C, K], with G's rows
    /// [¼ 0 0], −⅙[1 1 1], −⅙[1 −1 1], [1/24 1/12 ⅙], [1/24 −1/12 ⅙], [0 0 1]. Sixteen (c, k) pairs at a
    /// time (C·K is a multiple of 16): it runs every step, for the forward pass and for dx, and one pair at
    /// a time it cost a fifth of an 8×8×64 layer's forward pass at batch 50.
    public static func transformWeights4(
        inChannels c: Int, outChannels k: Int, weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>
    ) {
        let ck = c &* k
        precondition(ck % 16 == 0, "transformWeights4 takes C·K a multiple of 16")
        typealias V = SIMD16<Float>
        @inline(__always) func g(_ a: V, _ b: V, _ d: V) -> (V, V, V, V, V, V) {
            let e = a * (1 / 24) + d * (1 / 6)
            let f = b * (1 / 12)
            return (a * 0.25, (a + b + d) * (-1 / 6), (a - b + d) * (-1 / 6), e + f, e - f, d)
        }
        var i = 0
        while i < ck {
            // G·w, a column of the kernel at a time; then (G·w)·Gᵀ, a row at a time.
            @inline(__always) func w(_ tap: Int) -> V { load(weight + (tap &* ck &+ i)) }
            let c0 = g(w(0), w(3), w(6))
            let c1 = g(w(1), w(4), w(7))
            let c2 = g(w(2), w(5), w(8))
            @inline(__always) func put(_ r: Int, _ a: V, _ b: V, _ d: V) {
                let t = g(a, b, d)
                let o = u + ((6 &* r) &* ck &+ i)
                store(t.0, o)
                store(t.1, o + ck)
                store(t.2, o + 2 &* ck)
                store(t.3, o + 3 &* ck)
                store(t.4, o + 4 &* ck)
                store(t.5, o + 5 &* ck)
            }
            put(0, c0.0, c1.0, c2.0)
            put(1, c0.1, c1.1, c2.1)
            put(2, c0.2, c1.2, c2.2)
            put(3, c0.3, c1.3, c2.3)
            put(4, c0.4, c1.4, c2.4)
            put(5, c0.5, c1.5, c2.5)
            i &+= 16
        }
    }

    static func forward4<C: BlockWidth, K: BlockWidth>(
        _: C.Type, _: K.Type, _ shape: Shape, _ input: UnsafePointer<Float>, _ u: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>
    ) {
        let v = scratch
        let m = scratch + blockTiles &* tileFloats(Width36.self, C.count)
        let edge = m + blockTiles &* tileFloats(Width36.self, K.count)
        var t0 = 0
        while t0 < shape.tiles {
            let tiles = t0..<min(t0 &+ blockTiles, shape.tiles)
            transformInput4(C.self, shape, input, tiles, edge, v)
            multiply(Width36.self, C.self, K.self, tiles.count, v, u, m)
            transformOutput4(K.self, shape, m, tiles, output, adding: addend)
            t0 = tiles.upperBound
        }
    }

    /// Bᵀ·d for six values d0…d5 (a column or a row of a tile), Bᵀ's rows [4 0 −5 0 1 0], [0 −4 −4 1 1 0],
    /// [0 4 −4 −1 1 0], [0 −2 −1 2 1 0], [0 2 −1 −2 1 0], [0 4 0 −5 0 1].
    @inline(__always)
    static func inputTransform(
        _ d0: SIMD16<Float>, _ d1: SIMD16<Float>, _ d2: SIMD16<Float>, _ d3: SIMD16<Float>, _ d4: SIMD16<Float>,
        _ d5: SIMD16<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let a = d4 - 4 * d2  // shared by rows 1 and 2
        let b = d3 - 4 * d1
        let e = d4 - d2  // shared by rows 3 and 4
        let f = 2 * (d3 - d1)
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, e + f, e - f, 4 * d1 - 5 * d3 + d5)
    }

    /// v[t, ξ, C] (tiles `tileFloats(Width36, C)` apart) = (Bᵀ·d·B)[ξ] for each tile t's 6×6 input d
    /// (`tileInput`).
    static func transformInput4<C: BlockWidth>(
        _: C.Type, _ s: Shape, _ input: UnsafePointer<Float>, _ tiles: Range<Int>, _ edge: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>
    ) {
        let c = C.count
        for t in tiles {
            let (tile, rs) = tileInput(C.self, s, input, tile: t, side: 6, edge: edge)
            let out = v + (t &- tiles.lowerBound) &* tileFloats(Width36.self, c)
            var cv = 0
            while cv < c {
                // Bᵀ·d, a column of the tile at a time; then (Bᵀ·d)·B, a row at a time.
                @inline(__always) func column(_ j: Int) -> (
                    SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>
                ) {
                    let q = tile + (j &* c &+ cv)
                    return inputTransform(
                        load(q), load(q + rs), load(q + 2 &* rs), load(q + 3 &* rs), load(q + 4 &* rs),
                        load(q + 5 &* rs))
                }
                let c0 = column(0)
                let c1 = column(1)
                let c2 = column(2)
                let c3 = column(3)
                let c4 = column(4)
                let c5 = column(5)
                @inline(__always) func row(
                    _ i: Int, _ d0: SIMD16<Float>, _ d1: SIMD16<Float>, _ d2: SIMD16<Float>, _ d3: SIMD16<Float>,
                    _ d4: SIMD16<Float>, _ d5: SIMD16<Float>
                ) {
                    let r = inputTransform(d0, d1, d2, d3, d4, d5)
                    let o = out + (6 &* i &* c &+ cv)
                    store(r.0, o)
                    store(r.1, o + c)
                    store(r.2, o + 2 &* c)
                    store(r.3, o + 3 &* c)
                    store(r.4, o + 4 &* c)
                    store(r.5, o + 5 &* c)
                }
                row(0, c0.0, c1.0, c2.0, c3.0, c4.0, c5.0)
                row(1, c0.1, c1.1, c2.1, c3.1, c4.1, c5.1)
                row(2, c0.2, c1.2, c2.2, c3.2, c4.2, c5.2)
                row(3, c0.3, c1.3, c2.3, c3.3, c4.3, c5.3)
                row(4, c0.4, c1.4, c2.4, c3.4, c4.4, c5.4)
                row(5, c0.5, c1.5, c2.5, c3.5, c4.5, c5.5)
                cv &+= 16
            }
        }
    }

    /// Aᵀ·m for six values (a column or a row of a tile's products), Aᵀ's rows [1 1 1 1 1 0], [0 1 −1 2 −2 0],
    /// [0 1 1 4 4 0], [0 1 −1 8 −8 1].
    @inline(__always)
    static func outputTransform(
        _ m0: SIMD16<Float>, _ m1: SIMD16<Float>, _ m2: SIMD16<Float>, _ m3: SIMD16<Float>, _ m4: SIMD16<Float>,
        _ m5: SIMD16<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        let p = m1 + m2
        let q = m1 - m2
        let r = m3 + m4
        let s = m3 - m4
        return (m0 + p + r, q + 2 * s, p + 4 * r, q + 8 * s + m5)
    }

    /// output = Aᵀ·m·A (+ `adding` at the same place) for the block's tiles; the pixels of a tile outside
    /// the image (sizes not a multiple of 4) are dropped.
    @inline(__always)
    static func transformOutput4<K: BlockWidth>(
        _: K.Type, _ s: Shape, _ m: UnsafePointer<Float>, _ tiles: Range<Int>, _ output: UnsafeMutablePointer<Float>,
        adding addend: UnsafePointer<Float>?
    ) {
        @inline(__always) func put(_ x: SIMD16<Float>, _ o: UnsafeMutablePointer<Float>) {
            if let addend { store(x + load(addend + (o - output)), o) } else { store(x, o) }
        }
        let k = K.count
        let w = s.width
        for t in tiles {
            let ti = t / s.tileColumns
            let tj = t &- ti &* s.tileColumns
            let rows = min(4, s.height &- 4 &* ti)
            let columns = min(4, w &- 4 &* tj)
            let from = m + (t &- tiles.lowerBound) &* tileFloats(Width36.self, k)
            let to = output + ((4 &* ti &* w &+ 4 &* tj) &* k)
            var kv = 0
            while kv < k {
                // Aᵀ·m, a column at a time; then (Aᵀ·m)·A, a row at a time.
                @inline(__always) func column(_ j: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)
                {
                    let q = from + (j &* k &+ kv)
                    return outputTransform(
                        load(q), load(q + 6 &* k), load(q + 12 &* k), load(q + 18 &* k), load(q + 24 &* k),
                        load(q + 30 &* k))
                }
                let c0 = column(0)
                let c1 = column(1)
                let c2 = column(2)
                let c3 = column(3)
                let c4 = column(4)
                let c5 = column(5)
                @inline(__always) func row(
                    _ i: Int, _ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>, _ d: SIMD16<Float>,
                    _ e: SIMD16<Float>, _ f: SIMD16<Float>
                ) {
                    guard i < rows else { return }
                    let r = outputTransform(a, b, c, d, e, f)
                    let o = to + (i &* w &* k &+ kv)
                    if columns == 4 {
                        put(r.0, o)
                        put(r.1, o + k)
                        put(r.2, o + 2 &* k)
                        put(r.3, o + 3 &* k)
                    } else {
                        put(r.0, o)
                        if columns > 1 { put(r.1, o + k) }
                        if columns > 2 { put(r.2, o + 2 &* k) }
                    }
                }
                row(0, c0.0, c1.0, c2.0, c3.0, c4.0, c5.0)
                row(1, c0.1, c1.1, c2.1, c3.1, c4.1, c5.1)
                row(2, c0.2, c1.2, c2.2, c3.2, c4.2, c5.2)
                row(3, c0.3, c1.3, c2.3, c3.3, c4.3, c5.3)
                kv &+= 16
            }
        }
    }
}
