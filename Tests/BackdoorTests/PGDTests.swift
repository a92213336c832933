import Backdoor
import Datasets
import Learning
import Tensor
import TestSupport
import XCTest

final class PGDTests: XCTestCase {
    func setup() -> (Model, Tensor, [Int32]) {
        let model = Architecture(kind: .small_cnn, inputShape: [6, 6, 1], classes: 3, widths: [4, 8]).build()
        model.initialize(RNG(seed: 1))
        let x = randomTensor([4, 6, 6, 1], seed: 2, scale: 40)
        for i in 0..<x.count { x[i] = min(255, max(0, x[i] + 128)) }
        return (model, x, [0, 1, 2, 1])
    }

    func loss(_ m: Model, _ x: Tensor, _ y: [Int32]) -> Float { CrossEntropyLoss().forward(m(x), labels: y) }

    func testL2StaysInTheBallAndRaisesTheLoss() {
        let (m, x, y) = setup()
        let x0 = x.copy()
        let before = loss(m, x, y)
        let weights = m.parameters.map(\.value.array)
        var r = RNG(seed: 3)
        PGD(norm: .l2, epsilon: 30, steps: 10, randomStart: true).attack(m, images: x, labels: y, rng: &r)
        XCTAssertGreaterThan(loss(m, x, y), before)
        for i in 0..<4 {
            var s: Float = 0
            for k in 0..<36 {
                let t = x[i * 36 + k] - x0[i * 36 + k]
                s += t * t
            }
            XCTAssertLessThanOrEqual(s.squareRoot(), 30.001)
        }
        XCTAssert(x.array.allSatisfy { $0 >= 0 && $0 <= 255 })
        XCTAssertEqual(m.parameters.map(\.value.array), weights)
        XCTAssert(m.parameters.allSatisfy(\.trainable))
        XCTAssertFalse(m.needsInputGradient)
    }

    /// One ℓ∞ step of size ε is x0 + ε·sign(∇), clipped to [0, 255].
    func testOneLinfStepByHand() {
        let (m, x, y) = setup()
        let x0 = x.copy()
        m.needsInputGradient = true
        let l = CrossEntropyLoss()
        l.forward(m.forward(x0, training: false), labels: y)
        let g = m.backward(l.backward())!.array
        m.needsInputGradient = false
        var r = RNG(seed: 0)
        PGD(norm: .linf, epsilon: 8, steps: 1, stepSize: 8).attack(m, images: x, labels: y, rng: &r)
        let expected = (0..<x.count).map { k in min(255, max(0, x0[k] + (g[k] > 0 ? 8 : (g[k] < 0 ? -8 : 0)))) }
        XCTAssertEqual(x.array, expected)
    }

    func testAdversarialTrainingIsDeterministicAndHarder() {
        var px = [UInt8]()
        var r = RNG(seed: 9)
        for _ in 0..<(40 * 36) { px.append(UInt8(r.below(256))) }
        let data = Dataset(
            name: "t", height: 6, width: 6, channels: 1, images: px, labels: (0..<40).map { $0 % 3 },
            classNames: ["a", "b", "c"])
        func train(_ adversarial: Bool) -> ([Float], [Float]) {
            let m = Architecture(kind: .small_cnn, inputShape: [6, 6, 1], classes: 3, widths: [4, 8]).build()
            m.initialize(RNG(seed: 1))
            let t = Trainer(
                model: m, optimizer: SGD(momentum: 0.9),
                config: TrainingConfig(batchSize: 8, steps: 5, learningRate: .constant(0.01)), dataset: data)
            if adversarial {
                AdversarialTraining.install(PGD(norm: .l2, epsilon: 200, steps: 3, randomStart: true), on: t, seed: 1)
            }
            let losses = (0..<5).map { _ in t.runStep() }
            return (losses, m.parameters.flatMap(\.value.array))
        }
        let a = train(true)
        let b = train(true)
        let plain = train(false)
        XCTAssertEqual(a.1, b.1)
        XCTAssertGreaterThan(a.0[0], plain.0[0])  // same weights at step 0: the adversarial batch is harder
    }

    func testGaussianNoiseAndPixelInterpolation() {
        let d = Dataset(
            name: "t", height: 2, width: 2, channels: 1, images: [0, 100, 200, 255, 50, 50, 50, 50], labels: [0, 1],
            classNames: ["a", "b"])
        XCTAssertEqual(
            Perturbations.pixelInterpolation(d, indices: [0], tau: 0.5, source: d, seed: 1), [25, 75, 125, 153])
        let noisy = Perturbations.gaussianNoise(d, indices: [1], sigma: 0, seed: 1)
        XCTAssertEqual(noisy, [50, 50, 50, 50])
        let n2 = Perturbations.gaussianNoise(d, indices: [1, 1, 1, 1, 1], sigma: 10, seed: 1)
        XCTAssertNotEqual(Set(n2).count, 1)
    }
}
