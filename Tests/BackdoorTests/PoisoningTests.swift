import Backdoor
import Datasets
import XCTest

final class PoisoningTests: XCTestCase {
    func dataset(_ n: Int = 100) -> Dataset {
        Dataset(
            name: "t", height: 4, width: 4, channels: 1, images: (0..<(n * 16)).map { UInt8($0 % 200) },
            labels: (0..<n).map { $0 % 5 }, classNames: (0..<5).map { "c\($0)" })
    }

    func testBadNetsPoisonsOtherClassesWithTheTargetLabel() {
        let d = dataset()
        let p = Poisoning.badNets(d, target: 2, count: 10, trigger: Trigger(), seed: 1)
        XCTAssertEqual(p.indices.count, 10)
        XCTAssertEqual(Set(p.indices).count, 10)
        XCTAssert(p.indices.allSatisfy { d.labels[$0] != 2 })
        XCTAssertEqual(p.labels, Array(repeating: 2, count: 10))
        let poisoned = p.apply(to: d)
        XCTAssertEqual(poisoned.count, d.count)
        for i in p.indices {
            XCTAssertEqual(poisoned.labels[i], 2)
            XCTAssertEqual(poisoned.image(i).last, 255)
        }
    }

    func testCleanLabelKeepsLabelsAndGrowingAmountsAreNested() {
        let d = dataset()
        let small = Poisoning.cleanLabel(d, target: 3, count: 5, trigger: Trigger(), seed: 7)
        let large = Poisoning.cleanLabel(d, target: 3, count: 15, trigger: Trigger(), seed: 7)
        XCTAssert(small.indices.allSatisfy { d.labels[$0] == 3 })
        XCTAssertEqual(small.labels, Array(repeating: 3, count: 5))
        XCTAssertEqual(Array(large.indices.prefix(5)), small.indices)
        XCTAssertNotEqual(
            Poisoning.cleanLabel(d, target: 3, count: 5, trigger: Trigger(), seed: 8).indices, small.indices)
    }

    func testMetricsByHand() {
        // Labels 0,0,1,1,2; target 1. Clean predictions 0,1,1,1,2; triggered 1,1,1,1,0.
        let m = AttackMetrics.compute(
            labels: [0, 0, 1, 1, 2], clean: [0, 1, 1, 1, 2], triggered: [1, 1, 1, 1, 0], target: 1, classes: 3)
        XCTAssertEqual(m.naturalAccuracy, 0.8)
        XCTAssertEqual(m.perClassAccuracy, [0.5, 1, 1])
        XCTAssertEqual(m.attackSuccessRate, 2.0 / 3)  // not labelled 1: images 0, 1, 4
        XCTAssertEqual(m.attackSuccessRateExcludingClassified, 1.0 / 2)  // not classified 1: images 0, 4
        XCTAssertEqual(m.perClassAttackSuccessRate?[0], 1)
        XCTAssertNil(m.perClassAttackSuccessRate?[1] ?? nil)
        XCTAssertEqual(m.perClassAttackSuccessRate?[2], 0)
        // R-Acc: of images 0, 1, 4 (not labelled 1), triggered, none keeps its label (1, 1, 0 against 0, 0, 2).
        XCTAssertEqual(m.robustAccuracy, 0)
        let k = AttackMetrics.compute(
            labels: [0, 0, 1, 2], clean: [0, 0, 1, 2], triggered: [0, 1, 1, 2], target: 1, classes: 3)
        XCTAssertEqual(k.robustAccuracy, 2.0 / 3)
    }

    /// DER by hand, with the sign the definition gives the accuracy term.
    func testDefenceEffectivenessRate() {
        // ASR 0.9 → 0.1 for 2 points of accuracy: (0.8 − 0.02 + 1) / 2.
        XCTAssertEqual(
            defenceEffectivenessRate(asrBefore: 0.9, asrAfter: 0.1, accuracyBefore: 0.92, accuracyAfter: 0.90), 0.89,
            accuracy: 1e-12)
        // Nothing removed, accuracy gained: 0.5; ASR up and accuracy lost: below 0.5.
        XCTAssertEqual(
            defenceEffectivenessRate(asrBefore: 0.5, asrAfter: 0.6, accuracyBefore: 0.8, accuracyAfter: 0.9), 0.5)
        XCTAssertEqual(
            defenceEffectivenessRate(asrBefore: 0.5, asrAfter: 0.6, accuracyBefore: 0.9, accuracyAfter: 0.8), 0.45,
            accuracy: 1e-12)
    }
}
