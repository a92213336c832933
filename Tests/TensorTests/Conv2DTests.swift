import Tensor
import TestSupport
import XCTest

final class Conv2DTests: XCTestCase {
    /// 1 image 3×3×1, a 2×2 kernel, stride 1, no padding: each output is a dot product done by hand.
    func testForwardHandComputed() {
        let g = ConvGeometry(batch: 1, height: 3, width: 3, inChannels: 1, outChannels: 1, kernel: 2)
        let x = Tensor(shape: [1, 3, 3, 1], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = Tensor(shape: [2, 2, 1, 1], values: [1, 0, 0, -1])  // x[i][j] − x[i+1][j+1]
        let y = Tensor(zeros: g.outputShape)
        let bias = Tensor(shape: [1], values: [10])
        Conv2D.forward(g, x: x.pointer, weight: w.pointer, bias: bias.pointer, y: y.pointer, scratch: ConvScratch())
        let expected: [Float] = [6, 6, 6, 6]  // 1−5, 2−6, 4−8, 5−9 are all −4; plus the bias 10
        XCTAssertEqual(y.array, expected)
    }

    /// Padding reads as zero: a 3×3 all-ones kernel over a 2×2 image of ones, padding 1, counts neighbours.
    func testPaddingCountsNeighbours() {
        let g = ConvGeometry(batch: 1, height: 2, width: 2, inChannels: 1, outChannels: 1, kernel: 3, padding: 1)
        let x = Tensor(shape: [1, 2, 2, 1], values: [1, 1, 1, 1])
        let w = Tensor(shape: [3, 3, 1, 1], values: Array(repeating: 1, count: 9))
        let y = Tensor(zeros: g.outputShape)
        Conv2D.forward(g, x: x.pointer, weight: w.pointer, bias: nil, y: y.pointer, scratch: ConvScratch())
        XCTAssertEqual(y.array, [4, 4, 4, 4])
    }

    /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩.
    func testCol2imIsAdjointOfIm2col() {
        let g = ConvGeometry(
            batch: 2, height: 5, width: 4, inChannels: 3, outChannels: 2, kernel: 3, stride: 2, padding: 1)
        let x = randomTensor(g.inputShape, seed: 1)
        let c = randomTensor([g.rows, g.patch], seed: 2)
        let cols = Tensor(zeros: [g.rows, g.patch])
        let back = Tensor(zeros: g.inputShape)
        Conv2D.im2col(g, x.pointer, cols.pointer)
        Conv2D.col2im(g, c.pointer, back.pointer)
        XCTAssertEqual(weightedSum(cols, c), weightedSum(x, back), accuracy: 1e-3)
    }

    func check(
        _ g: ConvGeometry, bias: Bool, chunkRows: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line
    ) {
        let scratch = ConvScratch(chunkRows: chunkRows)
        let x = randomTensor(g.inputShape, seed: seed)
        let w = randomTensor(g.weightShape, seed: seed + 1, scale: 0.5)
        let b = randomTensor([g.outChannels], seed: seed + 2)
        let r = randomTensor(g.outputShape, seed: seed + 3)
        let y = Tensor(zeros: g.outputShape)
        func loss() -> Double {
            Conv2D.forward(
                g, x: x.pointer, weight: w.pointer, bias: bias ? b.pointer : nil, y: y.pointer, scratch: scratch)
            return weightedSum(y, r)
        }
        _ = loss()
        let dw = Tensor(zeros: g.weightShape)
        let db = Tensor(zeros: [g.outChannels])
        let dx = Tensor(zeros: g.inputShape)
        Conv2D.backward(
            g, x: x.pointer, weight: w.pointer, dy: r.pointer, dWeight: dw.pointer,
            dBias: bias ? db.pointer : nil, dx: dx.pointer, scratch: scratch)
        let what = "k\(g.kernel) s\(g.stride) p\(g.padding)"
        assertGradient(dx.array, numericalGradient(of: x, loss: loss), "\(what) dx", file: file, line: line)
        assertGradient(dw.array, numericalGradient(of: w, loss: loss), "\(what) dW", file: file, line: line)
        if bias {
            assertGradient(db.array, numericalGradient(of: b, loss: loss), "\(what) dBias", file: file, line: line)
        }
    }

    func testGradients3x3Stride1Padding1() {
        check(
            ConvGeometry(
                batch: 3, height: 5, width: 5, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1),
            bias: true, chunkRows: 1024, seed: 10)
    }

    func testGradientsStride2Padding1SmallChunks() {
        // Chunks of one image exercise the per-worker chunk loop and the partial-dW reduction.
        check(
            ConvGeometry(
                batch: 4, height: 6, width: 5, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, padding: 1),
            bias: true, chunkRows: 1, seed: 20)
    }

    func testGradientsPointwiseStride1() {
        check(
            ConvGeometry(batch: 2, height: 3, width: 4, inChannels: 5, outChannels: 3, kernel: 1), bias: false,
            chunkRows: 4, seed: 30)
    }

    func testGradientsPointwiseStride2() {
        check(
            ConvGeometry(batch: 2, height: 5, width: 5, inChannels: 3, outChannels: 4, kernel: 1, stride: 2),
            bias: false, chunkRows: 9, seed: 40)
    }

    func testGradientsLargeKernelNoPaddingAndWidePadding() {
        check(
            ConvGeometry(
                batch: 2, height: 7, width: 6, inChannels: 2, outChannels: 2, kernel: 5, stride: 1, padding: 0),
            bias: true, chunkRows: 16, seed: 50)
        check(
            ConvGeometry(
                batch: 1, height: 4, width: 4, inChannels: 1, outChannels: 2, kernel: 3, stride: 3, padding: 2),
            bias: false, chunkRows: 1024, seed: 60)
    }

    func testFrozenWeightsGiveInputGradientOnly() {
        let g = ConvGeometry(batch: 2, height: 4, width: 4, inChannels: 2, outChannels: 3, kernel: 3, padding: 1)
        let x = randomTensor(g.inputShape, seed: 1)
        let w = randomTensor(g.weightShape, seed: 2)
        let dy = randomTensor(g.outputShape, seed: 3)
        let full = Tensor(zeros: g.inputShape)
        let only = Tensor(zeros: g.inputShape)
        let dw = Tensor(zeros: g.weightShape)
        let s = ConvScratch()
        Conv2D.backward(
            g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: dw.pointer, dBias: nil, dx: full.pointer,
            scratch: s)
        Conv2D.backward(
            g, x: x.pointer, weight: w.pointer, dy: dy.pointer, dWeight: nil, dBias: nil, dx: only.pointer, scratch: s)
        XCTAssertEqual(full.array, only.array)
    }
}
