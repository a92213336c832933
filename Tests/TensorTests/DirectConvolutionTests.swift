import TestSupport
import XCTest

@testable import Tensor

/// The direct kernels (each compiled copy) against the im2col + GEMM path on every 3×3 layer shape of the
/// three networks (ResNet-32 on 3×32×32 and 1×28×28, ResNet-8 on 1×28×28), and against finite differences.
final class DirectConvolutionTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(
            DirectConvolution.enabled, "this CPU has neither AVX2 nor AVX-512: the direct kernels never run on it")
    }

    /// (input height = width, in channels, out channels, stride) of the networks' 3×3 convolutions.
    static let layers: [(Int, Int, Int, Int)] = [
        (32, 3, 16, 1), (32, 16, 16, 1), (32, 16, 32, 2), (16, 32, 32, 1), (16, 32, 64, 2), (8, 64, 64, 1),
        (28, 1, 16, 1), (28, 16, 16, 1), (28, 16, 32, 2), (14, 32, 32, 1), (14, 32, 64, 2), (7, 64, 64, 1),
    ]

    /// With the AVX2 copy, stride-2 layers are left to im2col (slower there), but its kernels are compared all the same.
    func testEveryLayerShapeMatchesIm2col() throws {
        try forEachVectorLevel { level in
            for (side, c, k, stride) in Self.layers {
                let g = ConvGeometry(
                    batch: 3, height: side, width: side, inChannels: c, outChannels: k, kernel: 3, stride: stride,
                    padding: 1)
                let covered = stride == 1 || level == .avx512
                XCTAssertEqual(DirectConvolution.coversForward(g), covered, "\(level) \(g)")
                XCTAssertEqual(DirectConvolution.coversInputGradient(g), covered && c % 16 == 0, "\(level) \(g)")
                compare(g, seed: UInt64(side * 100 + c * 10 + stride))
            }
        }
    }

    /// Widths that fall outside the even blocks (16, 14, 8, 7) take the 16/8/4/2/1 remainder blocks;
    /// 48 output channels take a two-vector then a one-vector gradient block; 24 input channels a 16 then an 8;
    /// up to 5 input channels the weight gradient sums a kernel row (or, for one channel, all taps) per pass.
    func testOddWidthsAndChannelCounts() throws {
        func g(_ h: Int, _ w: Int, _ c: Int, _ k: Int, stride: Int = 1) -> ConvGeometry {
            ConvGeometry(
                batch: 2, height: h, width: w, inChannels: c, outChannels: k, kernel: 3, stride: stride, padding: 1)
        }
        let cases = [
            g(5, 31, 24, 48),  // remainder pixel blocks; a two- then a one-vector gradient block
            g(3, 3, 5, 16),  // five input channels
            // The last window reaches the far zero border; the input gradient's odd columns are one
            // fewer than its even ones, and its blocks are a 4 and a 1.
            g(7, 9, 16, 32, stride: 2),
            g(6, 7, 2, 32),  // two input channels: the stems' weight gradient, a pass per kernel row
            g(7, 6, 4, 16, stride: 2),  // four input channels at stride 2
            g(6, 11, 32, 16, stride: 2),  // 32 input channels at stride 2: two-vector input-gradient blocks
        ]
        try forEachVectorLevel { _ in
            for (i, geometry) in cases.enumerated() { compare(geometry, seed: UInt64(7 + i)) }
        }
    }

    func testGradientsAgainstFiniteDifferences() {
        check(ConvGeometry(batch: 2, height: 4, width: 5, inChannels: 16, outChannels: 16, kernel: 3, padding: 1))
        check(
            ConvGeometry(
                batch: 2, height: 5, width: 4, inChannels: 3, outChannels: 16, kernel: 3, stride: 2, padding: 1))
        check(
            ConvGeometry(
                batch: 2, height: 5, width: 6, inChannels: 16, outChannels: 16, kernel: 3, stride: 2, padding: 1))
    }

    func check(_ g: ConvGeometry, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(DirectConvolution.coversForward(g), file: file, line: line)
        let x = randomTensor(g.inputShape, seed: 1)
        let w = randomTensor(g.weightShape, seed: 2, scale: 0.3)
        let b = randomTensor([g.outChannels], seed: 3)
        let r = randomTensor(g.outputShape, seed: 4)
        let y = Tensor(zeros: g.outputShape)
        let scratch = ConvScratch()
        func loss() -> Double {
            Conv2D.forward(g, x: x.pointer, weight: w.pointer, bias: b.pointer, y: y.pointer, scratch: scratch)
            return weightedSum(y, r)
        }
        let dw = Tensor(zeros: g.weightShape)
        let db = Tensor(zeros: [g.outChannels])
        let dx = Tensor(zeros: g.inputShape)
        Conv2D.backward(
            g, x: x.pointer, weight: w.pointer, dy: r.pointer, dWeight: dw.pointer, dBias: db.pointer,
            dx: dx.pointer, scratch: scratch)
        let what = "direct s\(g.stride) \(g.inChannels)→\(g.outChannels)"
        assertGradient(dx.array, numericalGradient(of: x, loss: loss), "\(what) dx", file: file, line: line)
        assertGradient(dw.array, numericalGradient(of: w, loss: loss), "\(what) dW", file: file, line: line)
        assertGradient(db.array, numericalGradient(of: b, loss: loss), "\(what) dBias", file: file, line: line)
    }

    /// Forward, dW, dBias, dx and DP-SGD's per-example dW of `g` through both paths.
    func compare(_ g: ConvGeometry, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let what = "\(g.height)×\(g.width)×\(g.inChannels)→\(g.outChannels)"
        let x = randomTensor(g.inputShape, seed: seed)
        let w = randomTensor(g.weightShape, seed: seed + 1, scale: 0.2)
        let b = randomTensor([g.outChannels], seed: seed + 2)
        let dy = randomTensor(g.outputShape, seed: seed + 3)
        let s = ConvScratch()

        let direct = Tensor(zeros: g.outputShape)
        let reference = Tensor(zeros: g.outputShape)
        Conv2D.directForward(g, x: x.pointer, weight: w.pointer, bias: b.pointer, y: direct.pointer, scratch: s)
        Conv2D.im2colForward(g, x: x.pointer, weight: w.pointer, bias: b.pointer, y: reference.pointer, scratch: s)
        assertSameTensor(direct, reference, "\(what) forward", file: file, line: line)

        func gradients(direct: Bool, perExample: Bool) -> [Tensor] {
            let dw = Tensor(zeros: g.weightShape)
            let db = Tensor(zeros: [g.outChannels])
            let dx = Tensor(zeros: g.inputShape)
            let each = Tensor(zeros: [g.batch, g.patch * g.outChannels + g.outChannels])
            if direct {
                // The direct kernels' own dx, not Winograd's (WinogradConvolutionTests has those).
                Conv2D.directBackward(
                    g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: dw.pointer, dBias: db.pointer,
                    dx: dx.pointer, scratch: s, perExample: perExample ? each.pointer : nil, winograd: false)
            } else {
                Conv2D.im2colBackward(
                    g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: dw.pointer, dBias: db.pointer,
                    dx: dx.pointer, scratch: s, perExample: perExample ? each.pointer : nil)
            }
            return perExample ? [each] : [dw, db, dx]
        }
        let names = ["dW", "dBias", "dx"]
        for (i, (d, r)) in zip(gradients(direct: true, perExample: false), gradients(direct: false, perExample: false))
            .enumerated()
        {
            assertSameTensor(d, r, "\(what) \(names[i])", file: file, line: line)
        }
        assertSameTensor(
            gradients(direct: true, perExample: true)[0], gradients(direct: false, perExample: true)[0],
            "\(what) per-example dW", file: file, line: line)
    }
}
