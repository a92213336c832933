import Tensor
import TestSupport
import XCTest

final class BatchNormTests: XCTestCase {
    struct Case {
        var m: Int, c: Int
        var x, gamma, beta, residual, rMean, rVar, mean, invStd, y: Tensor
        init(m: Int, c: Int, seed: UInt64) {
            self.m = m
            self.c = c
            x = randomTensor([m, c], seed: seed, scale: 2)
            gamma = randomTensor([c], seed: seed + 1)
            beta = randomTensor([c], seed: seed + 2)
            residual = randomTensor([m, c], seed: seed + 3)
            rMean = randomTensor([c], seed: seed + 4, scale: 0.3)
            rVar = Tensor(zeros: [c])
            rVar.fill(1.5)
            mean = Tensor(zeros: [c])
            invStd = Tensor(zeros: [c])
            y = Tensor(zeros: [m, c])
        }
        func forward(training: Bool, relu: Bool, residual useResidual: Bool) {
            if training {
                // Running statistics are state, not part of the function: work on copies.
                let rm = rMean.copy()
                let rv = rVar.copy()
                BatchNorm.forwardTraining(
                    rows: m, channels: c, x: x.pointer, gamma: gamma.pointer, beta: beta.pointer,
                    residual: useResidual ? residual.pointer : nil, relu: relu, y: y.pointer,
                    runningMean: rm.pointer, runningVar: rv.pointer, momentum: 0.1, epsilon: 1e-5,
                    saved: .init(mean: mean.pointer, invStd: invStd.pointer))
            } else {
                mean.copy(from: rMean)
                BatchNorm.forwardInference(
                    rows: m, channels: c, x: x.pointer, gamma: gamma.pointer, beta: beta.pointer,
                    residual: useResidual ? residual.pointer : nil, relu: relu, y: y.pointer,
                    runningMean: rMean.pointer, runningVar: rVar.pointer, epsilon: 1e-5, invStd: invStd.pointer)
            }
        }
    }

    /// `recompute`: the ReLU's mask from x (only without a residual), else from y.
    func check(
        training: Bool, relu: Bool, residual: Bool, c: Int, seed: UInt64, recompute: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let t = Case(m: 12, c: c, seed: seed)
        let r = randomTensor([t.m, t.c], seed: seed + 9)
        func loss() -> Double {
            t.forward(training: training, relu: relu, residual: residual)
            return weightedSum(t.y, r)
        }
        _ = loss()
        let dg = Tensor(zeros: [c])
        let db = Tensor(zeros: [c])
        let dx = Tensor(zeros: [t.m, c])
        let dr = Tensor(zeros: [t.m, c])
        let mask: BatchNorm.ReLUMask =
            !relu ? .none : recompute ? .recomputed(beta: t.beta.pointer) : .output(t.y.pointer)
        BatchNorm.backward(
            rows: t.m, channels: c, x: t.x.pointer, dy: r.pointer, mask: mask,
            gamma: t.gamma.pointer, mean: t.mean.pointer, invStd: t.invStd.pointer, training: training,
            dGamma: dg.pointer, dBeta: db.pointer, dx: dx.pointer, dResidual: residual ? dr.pointer : nil)
        // A small step keeps perturbations from crossing the ReLU's kink.
        let h: Float = relu ? 1e-3 : 1e-2
        let what = "training \(training) relu \(relu) residual \(residual) C \(c) recompute \(recompute)"
        assertGradient(dx.array, numericalGradient(of: t.x, step: h, loss: loss), "\(what) dx", file: file, line: line)
        assertGradient(
            dg.array, numericalGradient(of: t.gamma, step: h, loss: loss), "\(what) dγ", file: file, line: line)
        assertGradient(
            db.array, numericalGradient(of: t.beta, step: h, loss: loss), "\(what) dβ", file: file, line: line)
        if residual {
            assertGradient(
                dr.array, numericalGradient(of: t.residual, step: h, loss: loss), "\(what) dresidual", file: file,
                line: line)
        }
    }

    func testTrainingModeGradients() {
        check(training: true, relu: false, residual: false, c: 3, seed: 1)
        check(training: true, relu: false, residual: false, c: 16, seed: 2)  // the SIMD path
    }

    func testTrainingModeFusedReLUAndResidual() {
        check(training: true, relu: true, residual: false, c: 5, seed: 3)
        check(training: true, relu: true, residual: true, c: 16, seed: 4)
        check(training: true, relu: true, residual: true, c: 32, seed: 5)
    }

    /// The ReLU's mask recomputed from x gives the gradients (scalar and SIMD paths, both modes).
    func testReLUMaskRecomputedFromInput() {
        check(training: true, relu: true, residual: false, c: 5, seed: 12, recompute: true)
        check(training: true, relu: true, residual: false, c: 32, seed: 13, recompute: true)
        check(training: false, relu: true, residual: false, c: 16, seed: 14, recompute: true)
    }

    /// Recomputed and read from y, the mask zeroes the same outputs: bit-identical gradients.
    func testRecomputedMaskMatchesTheOutputsBitForBit() {
        for (c, training) in [(16, true), (48, false), (7, true)] {
            let t = Case(m: 300, c: c, seed: UInt64(c))
            t.forward(training: training, relu: true, residual: false)
            let dy = randomTensor([t.m, c], seed: 99)
            func grads(_ mask: BatchNorm.ReLUMask) -> [Float] {
                let dg = Tensor(zeros: [c])
                let db = Tensor(zeros: [c])
                let dx = Tensor(zeros: [t.m, c])
                BatchNorm.backward(
                    rows: t.m, channels: c, x: t.x.pointer, dy: dy.pointer, mask: mask, gamma: t.gamma.pointer,
                    mean: t.mean.pointer, invStd: t.invStd.pointer, training: training, dGamma: dg.pointer,
                    dBeta: db.pointer, dx: dx.pointer, dResidual: nil)
                return dg.array + db.array + dx.array
            }
            let fromY = grads(.output(t.y.pointer))
            XCTAssertEqual(grads(.recomputed(beta: t.beta.pointer)), fromY, "C \(c) training \(training)")
            XCTAssertTrue(t.y.array.contains(0) && t.y.array.contains { $0 > 0 }, "the ReLU zeroes some outputs")
        }
    }

    func testInferenceModeGradients() {
        check(training: false, relu: false, residual: false, c: 4, seed: 6)
        check(training: false, relu: true, residual: true, c: 16, seed: 7)
    }

    /// Hand case: one channel, x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25, unbiased 5/3.
    func testStatisticsByHand() {
        let x = Tensor(shape: [4, 1], values: [1, 2, 3, 4])
        let y = Tensor(zeros: [4, 1])
        let g = Tensor(shape: [1], values: [2])
        let b = Tensor(shape: [1], values: [1])
        let rm = Tensor(shape: [1], values: [0])
        let rv = Tensor(shape: [1], values: [1])
        let mean = Tensor(zeros: [1])
        let inv = Tensor(zeros: [1])
        BatchNorm.forwardTraining(
            rows: 4, channels: 1, x: x.pointer, gamma: g.pointer, beta: b.pointer, y: y.pointer,
            runningMean: rm.pointer, runningVar: rv.pointer, momentum: 0.1, epsilon: 0,
            saved: .init(mean: mean.pointer, invStd: inv.pointer))
        let s = Float(1.25).squareRoot()
        assertClose(y.array, [1, 2, 3, 4].map { 2 * ($0 - 2.5) / s + 1 }, "y")
        XCTAssertEqual(mean[0], 2.5)
        XCTAssertEqual(rm[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(rv[0], 0.9 + 0.1 * 5 / 3, accuracy: 1e-6)
    }

    /// Rows split over workers must give the same numbers as one worker would, up to rounding.
    func testManyRowsUseWorkersAndStayCorrect() {
        let m = 20_000
        let c = 16
        let x = randomTensor([m, c], seed: 11)
        let y = Tensor(zeros: [m, c])
        let g = Tensor(zeros: [c])
        g.fill(1)
        let b = Tensor(zeros: [c])
        let rm = Tensor(zeros: [c])
        let rv = Tensor(zeros: [c])
        let mean = Tensor(zeros: [c])
        let inv = Tensor(zeros: [c])
        BatchNorm.forwardTraining(
            rows: m, channels: c, x: x.pointer, gamma: g.pointer, beta: b.pointer, y: y.pointer,
            runningMean: rm.pointer, runningVar: rv.pointer, momentum: 1, epsilon: 0,
            saved: .init(mean: mean.pointer, invStd: inv.pointer))
        for j in 0..<c {
            var s = 0.0
            var q = 0.0
            for i in 0..<m {
                s += Double(y[i * c + j])
                q += Double(y[i * c + j] * y[i * c + j])
            }
            XCTAssertEqual(s / Double(m), 0, accuracy: 1e-4)
            XCTAssertEqual(q / Double(m), 1, accuracy: 1e-3)
        }
    }
}

/// The vector sweeps (both compiled copies) and the portable loops compute the same values in the same order.
final class BatchNormSweepsTests: XCTestCase {
    override func tearDown() { BatchNorm.useSweeps(true) }

    /// Forward (training and inference) and backward outputs with every mask, residual and gradient
    /// option, on both paths; 9 000 rows run on two workers when two threads are configured.
    func outputs(m: Int, c: Int, training: Bool, relu: Bool, residual: Bool, mask: Int, sweeps: Bool) -> [[Float]] {
        BatchNorm.useSweeps(sweeps)
        let t = BatchNormTests.Case(m: m, c: c, seed: UInt64(c + m))
        t.forward(training: training, relu: relu, residual: residual)
        let dy = randomTensor([m, c], seed: 5)
        let dg = Tensor(zeros: [c])
        let db = Tensor(zeros: [c])
        let dx = Tensor(zeros: [m, c])
        let dr = Tensor(zeros: [m, c])
        let reluMask: BatchNorm.ReLUMask =
            !relu ? .none : mask == 0 ? .output(t.y.pointer) : .recomputed(beta: t.beta.pointer)
        BatchNorm.backward(
            rows: m, channels: c, x: t.x.pointer, dy: dy.pointer, mask: reluMask, gamma: t.gamma.pointer,
            mean: t.mean.pointer, invStd: t.invStd.pointer, training: training, dGamma: dg.pointer, dBeta: db.pointer,
            dx: dx.pointer, dResidual: mask == 2 ? nil : dr.pointer)
        return [t.y.array, t.mean.array, t.invStd.array, dg.array, db.array, dx.array, mask == 2 ? [] : dr.array]
    }

    func testSweepsMatchThePortableLoopsBitForBit() throws {
        var compared = 0
        try forEachVectorLevel { level in
            for (m, c) in [(300, 16), (130, 48), (9_000, 64)] {
                for training in [true, false] {
                    for (relu, residual) in [(false, false), (true, false), (true, true), (false, true)] {
                        for mask in relu && !residual ? [0, 1, 2] : [0] {
                            let a = outputs(
                                m: m, c: c, training: training, relu: relu, residual: residual, mask: mask, sweeps: true
                            )
                            let p = outputs(
                                m: m, c: c, training: training, relu: relu, residual: residual, mask: mask,
                                sweeps: false)
                            XCTAssertEqual(
                                a, p,
                                "\(level) m \(m) C \(c) training \(training) relu \(relu) residual \(residual) mask \(mask)"
                            )
                            XCTAssertTrue(a[5].contains { $0 != 0 })
                            compared += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(compared, 36 * [VectorKernels.Level.avx2, .avx512].filter { $0 <= VectorKernels.cpu }.count)
    }
}
