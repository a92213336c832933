import XCTest

@testable import Backdoor

final class FinePruningTests: XCTestCase {
    /// Three channels, two classes: channel 2 is dormant on clean data, channel 0 the most active.
    let features: [Float] = [3, 0.5, 0, 2, 1, 0.5, 4, 0, 0]
    let labels = [0, 1, 0]
    /// Dense weights [3 channels × 2 classes]: channel 0 votes class 0, channels 1 and 2 class 1.
    let weight: [Float] = [1, 0, 0, 3, 0, 5]
    let bias: [Float] = [0, 0]

    func testOrderIsAscendingMeanActivation() {
        // Means: channel 0: 3, channel 1: 1/2, channel 2: 1/6.
        XCTAssertEqual(FinePruning.order(features: features, rows: 3, dim: 3), [2, 1, 0])
    }

    /// Logits by hand: image 0 (3, 0.5, 0) → (3, 1.5): class 0; image 1 (2, 1, 0.5) → (2, 5.5): class 1;
    /// image 2 (4, 0, 0) → (4, 0): class 0. Without channel 2, image 1 → (2, 3); without channel 1, (2, 2.5):
    /// still class 1; without both, (2, 0): class 0, wrong.
    func testAccuracyWithPrunedChannelsByHand() {
        func acc(_ p: Set<Int>) -> Double {
            FinePruning.accuracy(
                features: features, rows: 3, dim: 3, labels: labels, weight: weight, bias: bias, pruned: p)
        }
        XCTAssertEqual(acc([]), 1)
        XCTAssertEqual(acc([2]), 1)
        XCTAssertEqual(acc([1]), 1)
        XCTAssertEqual(acc([1, 2]), 2.0 / 3)
        // Pruning in order 2, 1, 0 within a drop of 0.2: channel 2 costs nothing, then 1 costs a third: stop.
        let (channels, accuracies) = FinePruning.channelsToPrune(order: [2, 1, 0], maxDrop: 0.2, accuracy: acc)
        XCTAssertEqual(channels, [2])
        XCTAssertEqual(accuracies, [1, 1])
        // A drop of 0.5 allows both, never the last channel.
        XCTAssertEqual(FinePruning.channelsToPrune(order: [2, 1, 0], maxDrop: 0.5, accuracy: acc).channels, [2, 1])
    }
}

final class AntiBackdoorLearningTests: XCTestCase {
    func testLocalGradientAscentHoldsTheLossAtTheFloor() {
        XCTAssertEqual(AntiBackdoorLearning.localGradientAscentScale(loss: 0.9, gamma: 0.5), 1)
        XCTAssertEqual(AntiBackdoorLearning.localGradientAscentScale(loss: 0.1, gamma: 0.5), -1)
        XCTAssertEqual(AntiBackdoorLearning.localGradientAscentScale(loss: 0.5, gamma: 0.5), 0)
    }

    /// The lowest 25 % of eight losses (ties by position), and at least one image.
    func testIsolationTakesTheLowestLosses() {
        let losses: [Float] = [0.5, 0.01, 0.6, 0.02, 0.5, 0.7, 0.02, 0.9]
        XCTAssertEqual(AntiBackdoorLearning.isolate(losses: losses, fraction: 0.25), [1, 3])
        XCTAssertEqual(AntiBackdoorLearning.isolate(losses: losses, fraction: 0.001), [1])
        XCTAssertEqual(AntiBackdoorLearning.isolate(losses: [], fraction: 0.5), [])
    }

}
