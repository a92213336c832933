import Datasets
import Learning
import Tensor
import XCTest

@testable import Backdoor

final class NeuralCleanseTests: XCTestCase {
    /// Ten mask norms, one far below the rest: the anomaly indices as SciPy's
    /// `abs(v − median(v)) / median_abs_deviation(v, scale='normal')`, and class 2 flagged.
    func testAnomalyIndexAgreesWithSciPy() {
        let l1: [Double] = [310, 295, 12, 330, 301, 288, 315, 340, 305, 299]
        let scipy = [
            0.47214282513725714, 0.5395918001568654, 19.627651730705978, 1.8211223255294204, 0.13489795003921634,
            1.0117346252941224, 0.809387700235298, 2.4956120757255023, 0.13489795003921634, 0.2697959000784327,
        ]
        for (a, b) in zip(NeuralCleanse.anomalyIndices(l1), scipy) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        XCTAssertEqual(NeuralCleanse.flagged(l1: l1), 2)
        // An outlier above the median (class 7 here, index 2.5) is not a backdoor's small trigger.
        XCTAssertNil(NeuralCleanse.flagged(l1: l1.enumerated().map { $0.offset == 2 ? 300 : $0.element }))
    }

    func testStampByHand() {
        let t = NeuralCleanse.Trigger(mask: [0, 0.5], pattern: [100, 200], successRate: 0)
        let x = Tensor(shape: [1, 1, 2, 1], values: [10, 20])
        NeuralCleanse.stamp(t, on: x, height: 1, width: 2, channels: 1)
        XCTAssertEqual([x[0], x[1]], [10, 110])
    }

    /// A small random ResNet on 8×8 images and 64 random images of its three classes.
    func smallNetwork() -> (Model, Dataset) {
        let arch = Architecture(
            kind: .resnet, inputShape: [8, 8, 1], classes: 3, stem: 4, widths: [4, 8], unitsPerGroup: 1)
        let model = arch.build()
        model.initialize(RNG(seed: 7))
        var r = RNG(seed: 8)
        let clean = Dataset(
            name: "t", height: 8, width: 8, channels: 1, images: (0..<(64 * 64)).map { _ in UInt8(r.below(256)) },
            labels: (0..<64).map { $0 % 3 }, classNames: ["a", "b", "c"])
        return (model, clean)
    }

    /// On a small random network: without the ℓ1 term the optimised trigger turns the images into the
    /// class; a heavy ℓ1 term buys a smaller mask. Seeded: the same trigger twice.
    func testReverseEngineeringFindsATriggerAndTheL1TermShrinksIt() {
        let (model, clean) = smallNetwork()
        let free = NeuralCleanse.Settings(steps: 60, batchSize: 16, learningRate: 0.1, lambda: 0)
        let t = NeuralCleanse.reverse(model, clean: clean, target: 1, settings: free, seed: 1)
        XCTAssertGreaterThanOrEqual(t.successRate, 0.9)
        XCTAssert(t.mask.allSatisfy { (0...1).contains($0) } && t.pattern.allSatisfy { (0...255).contains($0) })
        var heavy = free
        heavy.lambda = 0.05
        XCTAssertLessThan(NeuralCleanse.reverse(model, clean: clean, target: 1, settings: heavy, seed: 1).l1, t.l1)
        XCTAssertEqual(NeuralCleanse.reverse(model, clean: clean, target: 1, settings: free, seed: 1), t)
        // The weights are untouched and stay trainable.
        XCTAssert(model.parameters.allSatisfy(\.trainable))
    }

    /// The paper's schedule by hand: five successful windows in a row raise λ by 1.5, five failed ones lower
    /// it by 1.5^1.5; a window of the other kind resets the count.
    func testAdaptiveLambdaByHand() {
        var l = NeuralCleanse.AdaptiveLambda(lambda: 0.001)
        for _ in 0..<4 { l.update(success: 1) }
        XCTAssertEqual(l.lambda, 0.001)
        l.update(success: 0.995)
        XCTAssertEqual(l.lambda, 0.0015, accuracy: 1e-15)
        for _ in 0..<4 { l.update(success: 0.5) }
        l.update(success: 1)  // resets the failures
        for _ in 0..<4 { l.update(success: 0.5) }
        XCTAssertEqual(l.lambda, 0.0015, accuracy: 1e-15)
        l.update(success: 0.2)
        XCTAssertEqual(l.lambda, 0.0015 / pow(1.5, 1.5), accuracy: 1e-15)
    }

    /// With the adaptive schedule, the trigger kept is one whose window reached 99 % success.
    func testAdaptiveScheduleKeepsASuccessfulTrigger() {
        let (model, clean) = smallNetwork()
        let settings = NeuralCleanse.Settings(
            steps: 120, batchSize: 16, learningRate: 0.1, lambda: 0.001, schedule: .adaptive)
        let t = NeuralCleanse.reverse(model, clean: clean, target: 1, settings: settings, seed: 1)
        XCTAssertGreaterThanOrEqual(t.successRate, 0.99)
    }
}
