import Tensor
import TestSupport
import XCTest

final class OpsTests: XCTestCase {
    func testReLUForwardBackwardByHand() {
        // 20 values so the 16-lane path and the scalar tail both run.
        let xs: [Float] = (0..<20).map { Float($0) - 9.5 }
        let x = Tensor(shape: [20], values: xs)
        let y = Tensor(zeros: [20])
        let dx = Tensor(zeros: [20])
        let dy = Tensor(shape: [20], values: (0..<20).map { Float($0) })
        ReLU.forward(x.pointer, y.pointer, count: 20)
        ReLU.backward(y: y.pointer, dy: dy.pointer, dx: dx.pointer, count: 20)
        XCTAssertEqual(y.array, xs.map { max($0, 0) })
        XCTAssertEqual(dx.array, (0..<20).map { $0 >= 10 ? Float($0) : 0 })
    }

    /// The residual join: every element, split over workers (200 003 elements) or not (37), with the tail
    /// past the last 16-wide vector.
    func testAddEveryElement() {
        for n in [37, 200_003] {
            let a = randomTensor([n], seed: 1)
            let b = randomTensor([n], seed: 2)
            let y = Tensor(zeros: [n])
            add(a.pointer, b.pointer, y.pointer, count: n)
            XCTAssertEqual(y.array, zip(a.array, b.array).map { $0 + $1 }, "n = \(n)")
        }
    }

    func testLeakyReLUGradient() {
        let x = randomTensor([30], seed: 1)
        let r = randomTensor([30], seed: 2)
        let y = Tensor(zeros: [30])
        let dx = Tensor(zeros: [30])
        func loss() -> Double {
            LeakyReLU.forward(x.pointer, y.pointer, count: 30, slope: 0.2)
            return weightedSum(y, r)
        }
        _ = loss()
        LeakyReLU.backward(x: x.pointer, dy: r.pointer, dx: dx.pointer, count: 30, slope: 0.2)
        assertGradient(dx.array, numericalGradient(of: x, step: 1e-3, loss: loss), "leaky relu dx")
    }

    func testMaxPoolByHandAndGradient() {
        let x = Tensor(shape: [1, 2, 2, 1], values: [1, 5, 3, 2])
        let y = Tensor(zeros: [1, 1, 1, 1])
        var arg = [Int32](repeating: 0, count: 1)
        MaxPool.forward(
            batch: 1, height: 2, width: 2, channels: 1, window: 2, stride: 2, x: x.pointer, y: y.pointer, argmax: &arg)
        XCTAssertEqual(y[0], 5)
        XCTAssertEqual(arg[0], 1)

        let xs = randomTensor([2, 6, 4, 3], seed: 3)
        let r = randomTensor([2, 3, 2, 3], seed: 4)
        let ys = Tensor(zeros: [2, 3, 2, 3])
        let dx = Tensor(zeros: xs.shape)
        var am = [Int32](repeating: 0, count: ys.count)
        func loss() -> Double {
            MaxPool.forward(
                batch: 2, height: 6, width: 4, channels: 3, window: 2, stride: 2, x: xs.pointer, y: ys.pointer,
                argmax: &am)
            return weightedSum(ys, r)
        }
        _ = loss()
        MaxPool.backward(outputCount: ys.count, inputCount: xs.count, dy: r.pointer, argmax: am, dx: dx.pointer)
        assertGradient(dx.array, numericalGradient(of: xs, step: 1e-3, loss: loss), "max pool dx")
    }

    func testGlobalAveragePoolGradient() {
        let x = randomTensor([2, 3, 3, 4], seed: 5)
        let r = randomTensor([2, 4], seed: 6)
        let y = Tensor(zeros: [2, 4])
        let dx = Tensor(zeros: x.shape)
        func loss() -> Double {
            GlobalAveragePool.forward(batch: 2, pixels: 9, channels: 4, x: x.pointer, y: y.pointer)
            return weightedSum(y, r)
        }
        _ = loss()
        GlobalAveragePool.backward(batch: 2, pixels: 9, channels: 4, dy: r.pointer, dx: dx.pointer)
        assertGradient(dx.array, numericalGradient(of: x, loss: loss), "gap dx")
    }

    func testDenseByHandAndGradients() {
        let x = Tensor(shape: [1, 2], values: [1, 2])
        let w = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let b = Tensor(shape: [2], values: [0.5, -0.5])
        let y = Tensor(zeros: [1, 2])
        Dense.forward(batch: 1, inputs: 2, outputs: 2, x: x.pointer, weight: w.pointer, bias: b.pointer, y: y.pointer)
        XCTAssertEqual(y.array, [1 + 6 + 0.5, 2 + 8 - 0.5])

        let xs = randomTensor([3, 5], seed: 7)
        let ws = randomTensor([5, 4], seed: 8)
        let bs = randomTensor([4], seed: 9)
        let r = randomTensor([3, 4], seed: 10)
        let ys = Tensor(zeros: [3, 4])
        func loss() -> Double {
            Dense.forward(
                batch: 3, inputs: 5, outputs: 4, x: xs.pointer, weight: ws.pointer, bias: bs.pointer, y: ys.pointer)
            return weightedSum(ys, r)
        }
        _ = loss()
        let dw = Tensor(zeros: ws.shape)
        let db = Tensor(zeros: [4])
        let dx = Tensor(zeros: xs.shape)
        Dense.backward(
            batch: 3, inputs: 5, outputs: 4, x: xs.pointer, weight: ws.pointer, dy: r.pointer,
            dWeight: dw.pointer, dBias: db.pointer, dx: dx.pointer)
        assertGradient(dx.array, numericalGradient(of: xs, loss: loss), "dense dx")
        assertGradient(dw.array, numericalGradient(of: ws, loss: loss), "dense dW")
        assertGradient(db.array, numericalGradient(of: bs, loss: loss), "dense db")
    }

    func testSoftmaxCrossEntropyByHandAndGradient() {
        // Equal logits over 2 classes: loss log 2, p = ½; huge logits stay finite.
        let z = Tensor(shape: [2, 2], values: [0, 0, 1000, 0])
        let p = Tensor(zeros: [2, 2])
        let l = Tensor(zeros: [2])
        let labels: [Int32] = [1, 1]
        SoftmaxCrossEntropy.forward(
            batch: 2, classes: 2, logits: z.pointer, labels: labels, probabilities: p.pointer, losses: l.pointer)
        XCTAssertEqual(l[0], Float(2).squareRoot() * 0 + logf(2), accuracy: 1e-6)
        XCTAssertEqual(l[1], 1000, accuracy: 1e-3)
        XCTAssertEqual(p[0], 0.5)

        let zs = randomTensor([4, 5], seed: 11, scale: 3)
        let ps = Tensor(zeros: [4, 5])
        let ls = Tensor(zeros: [4])
        let lab: [Int32] = [0, 4, 2, 2]
        let weights: [Float] = [0.5, 1, -2, 0.25]
        func loss() -> Double {
            SoftmaxCrossEntropy.forward(
                batch: 4, classes: 5, logits: zs.pointer, labels: lab, probabilities: ps.pointer, losses: ls.pointer)
            return (0..<4).reduce(0.0) { $0 + Double(weights[$1]) * Double(ls[$1]) }
        }
        _ = loss()
        let dz = Tensor(zeros: [4, 5])
        SoftmaxCrossEntropy.backward(
            batch: 4, classes: 5, probabilities: ps.pointer, labels: lab, weights: weights, dLogits: dz.pointer)
        assertGradient(dz.array, numericalGradient(of: zs, step: 1e-2, loss: loss), "softmax CE dlogits")
    }

    func testPerImageStandardizationByHandAndGradient() {
        // [0, 2]: mean 1, σ 1 ≥ 1/√2, so y = [−1, 1]. A constant image uses the 1/√D floor.
        let x = Tensor(shape: [2, 2], values: [0, 2, 5, 5])
        let y = Tensor(zeros: [2, 2])
        let div = Tensor(zeros: [2])
        var used = [Bool](repeating: false, count: 2)
        PerImageStandardize.forward(
            batch: 2, size: 2, x: x.pointer, y: y.pointer, divisor: div.pointer, usedSigma: &used)
        XCTAssertEqual(y.array, [-1, 1, 0, 0])
        XCTAssertEqual(used, [true, false])

        let xs = randomTensor([3, 12], seed: 12, scale: 20)
        let r = randomTensor([3, 12], seed: 13)
        let ys = Tensor(zeros: [3, 12])
        let ds = Tensor(zeros: [3])
        let dx = Tensor(zeros: [3, 12])
        var u = [Bool](repeating: false, count: 3)
        func loss() -> Double {
            PerImageStandardize.forward(
                batch: 3, size: 12, x: xs.pointer, y: ys.pointer, divisor: ds.pointer, usedSigma: &u)
            return weightedSum(ys, r)
        }
        _ = loss()
        PerImageStandardize.backward(
            batch: 3, size: 12, y: ys.pointer, dy: r.pointer, divisor: ds.pointer, usedSigma: u, dx: dx.pointer)
        assertGradient(dx.array, numericalGradient(of: xs, step: 1e-1, loss: loss), "per-image standardisation dx")
    }

    func testPixelNormalizeByHand() {
        let x = Tensor(shape: [1, 2], values: [255, 0])
        let y = Tensor(zeros: [1, 2])
        let dx = Tensor(zeros: [1, 2])
        PixelNormalize.forward(rows: 1, channels: 2, mean: [0.5, 0.5], std: [0.25, 0.5], x: x.pointer, y: y.pointer)
        assertClose(y.array, [2, -1])
        let ones = Tensor(shape: [1, 2], values: [1, 1])
        PixelNormalize.backward(rows: 1, channels: 2, std: [0.25, 0.5], dy: ones.pointer, dx: dx.pointer)
        assertClose(dx.array, [4 / 255, 2 / 255])
    }
}
