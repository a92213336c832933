import TensorAVX512
import TestSupport
import XCTest

@testable import Tensor

/// Winograd's F(4×4, 3×3) and F(2×2, 3×3) (forward, input gradient) and F(3×3, 2×2) (weight gradient)
/// against hand computations, the im2col + GEMM path and the direct kernels on every stride-1 3×3 layer
/// shape of the three networks, and against finite differences.
final class WinogradConvolutionTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(
            WinogradConvolution.enabled, "this CPU has neither AVX2 nor AVX-512: the Winograd kernels never run on it")
    }

    /// G·g·Gᵀ of g = [1 2 3; 4 5 6; 7 8 9] with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], worked by hand:
    /// G·g has rows [1 2 3], [6 7.5 9], [2 2.5 3], [7 8 9]; each row [a b d] → [a, (a+b+d)/2, (a−b+d)/2, d].
    func testTransformedWeightsByHand() {
        let g: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var u = [Float](repeating: .nan, count: 16)
        g.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer {
                WinogradConv3x3.transformWeights(
                    inChannels: 1, outChannels: 1, weight: w.baseAddress!, into: $0.baseAddress!)
            }
        }
        XCTAssertEqual(u, [1, 3, 1, 3, 6, 11.25, 3.75, 9, 2, 3.75, 1.25, 3, 7, 12, 4, 9])
    }

    /// F(4×4, 3×3)'s G·g·Gᵀ of g = [1 2 3; 4 5 6; 7 8 9] in exact fractions: G·g has rows [¼ ½ ¾],
    /// [−2 −5/2 −3], [−⅔ −5/6 −1], [37/24 11/6 17/8], [7/8 1 9/8], [7 8 9]; each row [a b d] → [a/4,
    /// −(a+b+d)/6, −(a−b+d)/6, a/24 + b/12 + d/6, a/24 − b/12 + d/6, d]. Sixteen output channels (the kernel
    /// times 1…16): the transform takes (c, k) pairs sixteen at a time.
    func testLargeTileTransformedWeightsByHand() {
        let expected: [Double] = [
            1 / 16, -1 / 4, -1 / 12, 17 / 96, 3 / 32, 3 / 4, -1 / 2, 5 / 4, 5 / 12, -19 / 24, -3 / 8, -3, -1 / 6,
            5 / 12,
            5 / 36, -19 / 72, -1 / 8, -1, 37 / 96, -11 / 12, -11 / 36, 329 / 576, 17 / 64, 17 / 8, 7 / 32, -1 / 2,
            -1 / 6, 59 / 192, 9 / 64, 9 / 8, 7 / 4, -4, -4 / 3, 59 / 24, 9 / 8, 9,
        ]
        let g: [Float] = (1...9).flatMap { tap in (1...16).map { Float(tap * $0) } }
        var u = [Float](repeating: .nan, count: 36 * 16)
        g.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer {
                WinogradConv3x3.transformWeights4(
                    inChannels: 1, outChannels: 16, weight: w.baseAddress!, into: $0.baseAddress!)
            }
        }
        for xi in 0..<36 {
            for k in 0..<16 {
                let want = expected[xi] * Double(k + 1)
                XCTAssertEqual(Double(u[xi * 16 + k]), want, accuracy: 2e-7 * max(1, abs(want)), "ξ \(xi), k \(k)")
            }
        }
    }

    /// Gᵀ·M·G for M with a single 1: at ξ = 0 (row 0, column 0 of G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1])
    /// only tap (0, 0) gets 1; at ξ = 5 (row 1 twice) every tap gets ½·½; at ξ = 10 (row 2) ±¼ by the signs.
    func testWeightGradientTransformByHand() {
        func taps(one xi: Int) -> [Float] {
            var m = [Float](repeating: 0, count: 16)
            m[xi] = 1
            var dw = [Float](repeating: 1, count: 9)
            m.withUnsafeBufferPointer { mp in
                dw.withUnsafeMutableBufferPointer {
                    WinogradConv3x3.weightGradient(
                        fromSums: mp.baseAddress!, inChannels: 1, outChannels: 1, into: $0.baseAddress!)
                }
            }
            return dw.map { $0 - 1 }  // it adds to what is there
        }
        XCTAssertEqual(taps(one: 0), [1, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(taps(one: 5), [Float](repeating: 0.25, count: 9))
        XCTAssertEqual(taps(one: 10), [0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25])
        XCTAssertEqual(taps(one: 15), [0, 0, 0, 0, 0, 0, 0, 0, 1])
    }

    /// (side, in channels, out channels) of the networks' stride-1 3×3 convolutions with 16 or more channels.
    static let layers: [(Int, Int, Int)] = [
        (32, 16, 16), (16, 32, 32), (8, 64, 64), (28, 16, 16), (14, 32, 32), (7, 64, 64),
    ]

    func testEveryNetworkLayerMatchesIm2colAndDirect() throws {
        try forEachLevelAndTile { level in
            for (side, c, k) in Self.layers {
                let g = ConvGeometry(
                    batch: 3, height: side, width: side, inChannels: c, outChannels: k, kernel: 3, padding: 1)
                XCTAssertTrue(WinogradConvolution.coversForward(g), "\(level) \(g)")
                XCTAssertTrue(WinogradConvolution.coversInputGradient(g), "\(level) \(g)")
                compare(g, seed: UInt64(side * 100 + c))
            }
        }
    }

    /// Odd sizes (the last tiles half outside), tile counts that leave 8/4/2/1 remainders, one- and
    /// two-vector products, 128 channels in and out.
    func testOddSizesRemaindersAndChannelCounts() throws {
        let shapes: [(Int, Int, Int, Int)] = [
            (5, 9, 32, 64), (3, 3, 128, 16), (33, 17, 16, 32), (1, 2, 16, 16), (4, 4, 16, 128),
        ]
        try forEachLevelAndTile { level in
            for (h, w, c, k) in shapes {
                let g = ConvGeometry(
                    batch: 2, height: h, width: w, inChannels: c, outChannels: k, kernel: 3, padding: 1)
                XCTAssertTrue(WinogradConvolution.coversForward(g), "\(level) \(g)")
                XCTAssertTrue(WinogradConvolution.coversInputGradient(g), "\(level) \(g)")
                compare(g, seed: UInt64(h * 1000 + w * 10 + c))
            }
        }
    }

    /// dx with an addend (a residual join's other gradient) is dx + addend to the bit, on the Winograd and
    /// direct stride-2 paths (added as dx is stored: 16 and 32 input channels, even and odd widths), im2col's
    /// and the direct stride-1 one (added after).
    func testInputGradientWithAddend() {
        let layers = [
            ConvGeometry(batch: 2, height: 7, width: 6, inChannels: 16, outChannels: 32, kernel: 3, padding: 1),
            ConvGeometry(batch: 2, height: 7, width: 6, inChannels: 16, outChannels: 48, kernel: 3, padding: 1),
            ConvGeometry(
                batch: 2, height: 7, width: 6, inChannels: 8, outChannels: 32, kernel: 3, stride: 2, padding: 1),
            ConvGeometry(
                batch: 2, height: 7, width: 6, inChannels: 16, outChannels: 32, kernel: 3, stride: 2, padding: 1),
            ConvGeometry(
                batch: 2, height: 8, width: 7, inChannels: 32, outChannels: 64, kernel: 3, stride: 2, padding: 1),
        ]
        XCTAssertTrue(WinogradConvolution.coversInputGradient(layers[0]))
        XCTAssertTrue(
            DirectConvolution.coversInputGradient(layers[1]) && !WinogradConvolution.coversInputGradient(layers[1]))
        XCTAssertFalse(DirectConvolution.coversInputGradient(layers[2]))
        XCTAssertTrue(
            DirectConvolution.coversInputGradient(layers[3]) && DirectConvolution.coversInputGradient(layers[4]))
        let before = WinogradConvolution.tile
        defer { WinogradConvolution.tile = before }
        for tile in [4, 2] {
            WinogradConvolution.tile = tile
            for (i, g) in layers.enumerated() {
                let x = randomTensor(g.inputShape, seed: 1)
                let w = randomTensor(g.weightShape, seed: 2, scale: 0.2)
                let dy = randomTensor(g.outputShape, seed: 3)
                let base = randomTensor(g.inputShape, seed: 4)
                let s = ConvScratch()
                let plain = Tensor(zeros: g.inputShape)
                let summed = Tensor(zeros: g.inputShape)
                Conv2D.backward(
                    g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: nil, dBias: nil, dx: plain.pointer,
                    scratch: s)
                Conv2D.backward(
                    g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: nil, dBias: nil, dx: summed.pointer,
                    scratch: s, dxAddend: base.pointer)
                XCTAssertEqual(summed.array, zip(plain.array, base.array).map { $0 + $1 }, "layer \(i), tile \(tile)")
            }
        }
    }

    /// The layers Winograd leaves to the other paths.
    func testCoverage() {
        func g(_ c: Int, _ k: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1) -> ConvGeometry {
            ConvGeometry(
                batch: 1, height: 8, width: 8, inChannels: c, outChannels: k, kernel: kernel, stride: stride,
                padding: padding)
        }
        XCTAssertFalse(WinogradConvolution.coversForward(g(3, 16)), "the 3-channel stem")
        XCTAssertFalse(WinogradConvolution.coversForward(g(24, 16)), "24 input channels")
        XCTAssertFalse(WinogradConvolution.coversForward(g(16, 48)), "48 output channels")
        XCTAssertFalse(WinogradConvolution.coversInputGradient(g(48, 16)), "dx with 48 channels")
        XCTAssertFalse(WinogradConvolution.coversForward(g(256, 16)), "256 input channels")
        XCTAssertFalse(WinogradConvolution.coversForward(g(16, 32, stride: 2)), "stride 2")
        XCTAssertFalse(WinogradConvolution.coversForward(g(16, 32, kernel: 1, padding: 0)), "1×1")
        XCTAssertFalse(WinogradConvolution.coversForward(g(16, 16, padding: 0)), "no padding")
        XCTAssertTrue(WinogradConvolution.coversForward(g(128, 16)))
    }

    func testGradientsAgainstFiniteDifferences() throws {
        try forEachLevelAndTile { _ in
            check(ConvGeometry(batch: 2, height: 4, width: 5, inChannels: 16, outChannels: 16, kernel: 3, padding: 1))
            check(ConvGeometry(batch: 1, height: 3, width: 3, inChannels: 32, outChannels: 16, kernel: 3, padding: 1))
        }
    }

    func check(_ g: ConvGeometry, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(WinogradConvolution.coversForward(g), file: file, line: line)
        XCTAssertTrue(WinogradConvolution.coversInputGradient(g), file: file, line: line)
        let x = randomTensor(g.inputShape, seed: 1)
        let w = randomTensor(g.weightShape, seed: 2, scale: 0.3)
        let r = randomTensor(g.outputShape, seed: 4)
        let y = Tensor(zeros: g.outputShape)
        let scratch = ConvScratch()
        func loss() -> Double {
            Conv2D.forward(g, x: x.pointer, weight: w.pointer, bias: nil, y: y.pointer, scratch: scratch)
            return weightedSum(y, r)
        }
        let dx = Tensor(zeros: g.inputShape)
        Conv2D.backward(
            g, x: x.pointer, weight: w.pointer, dy: r.pointer, dWeight: nil, dBias: nil, dx: dx.pointer,
            scratch: scratch)
        let what = "winograd \(g.inChannels)→\(g.outChannels)"
        assertGradient(dx.array, numericalGradient(of: x, loss: loss), "\(what) dx", file: file, line: line)
        let dw = Tensor(zeros: g.weightShape)
        Conv2D.backward(
            g, x: x.pointer, weight: w.pointer, dy: r.pointer, dWeight: dw.pointer, dBias: nil, dx: nil,
            scratch: scratch)
        assertGradient(dw.array, numericalGradient(of: w, loss: loss), "\(what) dW", file: file, line: line)
    }

    /// Forward against im2col and the direct kernels; dW, dBias and dx against im2col.
    func compare(_ g: ConvGeometry, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let what = "\(g.height)×\(g.width)×\(g.inChannels)→\(g.outChannels)"
        let x = randomTensor(g.inputShape, seed: seed)
        let w = randomTensor(g.weightShape, seed: seed + 1, scale: 0.2)
        let b = randomTensor([g.outChannels], seed: seed + 2)
        let dy = randomTensor(g.outputShape, seed: seed + 3)
        let s = ConvScratch()

        let winograd = Tensor(zeros: g.outputShape)
        let reference = Tensor(zeros: g.outputShape)
        let direct = Tensor(zeros: g.outputShape)
        Conv2D.winogradForward(g, x: x.pointer, weight: w.pointer, bias: b.pointer, y: winograd.pointer, scratch: s)
        Conv2D.im2colForward(g, x: x.pointer, weight: w.pointer, bias: b.pointer, y: reference.pointer, scratch: s)
        Conv2D.directForward(g, x: x.pointer, weight: w.pointer, bias: b.pointer, y: direct.pointer, scratch: s)
        assertSameTensor(winograd, reference, "\(what) forward vs im2col", file: file, line: line)
        assertSameTensor(winograd, direct, "\(what) forward vs direct", file: file, line: line)

        // dW and dBias start from a non-zero value: backward adds to them.
        func gradients(winograd: Bool) -> [Tensor] {
            let dw = randomTensor(g.weightShape, seed: seed + 4)
            let db = randomTensor([g.outChannels], seed: seed + 5)
            let dx = Tensor(zeros: g.inputShape)
            if winograd {
                Conv2D.directBackward(
                    g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: dw.pointer, dBias: db.pointer,
                    dx: dx.pointer, scratch: s, perExample: nil, winograd: true)
            } else {
                Conv2D.im2colBackward(
                    g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: dw.pointer, dBias: db.pointer,
                    dx: dx.pointer, scratch: s, perExample: nil)
            }
            return [dw, db, dx]
        }
        for (name, (a, b)) in zip(["dW", "dBias", "dx"], zip(gradients(winograd: true), gradients(winograd: false))) {
            assertSameTensor(a, b, "\(what) \(name) vs im2col", file: file, line: line)
        }
    }
}

/// Runs `body` for each vector level the CPU has and, within it, with 4×4 and with 2×2 output tiles (the
/// tile in use restored after), passing a label for failure messages.
func forEachLevelAndTile(_ body: (String) throws -> Void) throws {
    let before = WinogradConvolution.tile
    defer { WinogradConvolution.tile = before }
    try forEachVectorLevel { level in
        for tile in [4, 2] {
            WinogradConvolution.tile = tile
            try body("\(level) F(\(tile)×\(tile), 3×3)")
        }
    }
}
