import Datasets
import Tensor
import XCTest

@testable import Learning

final class FreezeTests: XCTestCase {
    let arch = Architecture(
        kind: .resnet, inputShape: [8, 8, 1], classes: 3, stem: 4, widths: [4, 8], unitsPerGroup: 1)

    func norms(_ m: Model) -> [BatchNorm2d] {
        m.network.layers.flatMap { l -> [BatchNorm2d] in
            if let b = l as? BatchNorm2d { return [b] }
            if let u = l as? ResidualUnit { return [u.bn1, u.bn2] + (u.projection.map { [$0.bn] } ?? []) }
            return []
        }
    }

    /// The transfer set-up: only the last unit's two convolutions and the dense layer learn; every
    /// batch norm uses its running statistics.
    func testLastUnitKeepsItsConvolutionsAndTheDenseLayer() {
        let m = arch.build()
        m.freeze(keeping: .lastUnit)
        XCTAssertEqual(
            m.parameters.filter(\.trainable).map(\.name).sorted(),
            ["fc.bias", "fc.weight", "layer2.0.conv1.weight", "layer2.0.conv2.weight"])
        XCTAssert(norms(m).allSatisfy(\.frozen))
    }

    /// `.all`: every convolution and dense weight learns; a frozen norm's γ and β do not.
    func testAllKeepsEveryWeightButFreezesNorms() {
        let m = arch.build()
        m.freeze(keeping: .all)
        let fixed = Set(norms(m).flatMap { [ObjectIdentifier($0.gamma), ObjectIdentifier($0.beta)] })
        XCTAssert(m.parameters.allSatisfy { $0.trainable != fixed.contains(ObjectIdentifier($0)) })
        XCTAssert(norms(m).allSatisfy(\.frozen))
    }

    /// With batch statistics the trained unit's norms normalise by the batch, their γ and β still fixed.
    func testBatchStatisticsUnfreezeOnlyTheTrainedUnitsNorms() {
        let m = arch.build()
        m.freeze(keeping: .lastUnit, batchStatistics: true)
        let unit = m.network.layers.last { $0 is ResidualUnit } as! ResidualUnit
        let live = [unit.bn1, unit.bn2] + (unit.projection.map { [$0.bn] } ?? [])
        XCTAssert(live.allSatisfy { !$0.frozen && !$0.gamma.trainable && !$0.beta.trainable })
        XCTAssertEqual(norms(m).filter { !$0.frozen }.count, live.count)
    }
}

final class LossGradientScaleTests: XCTestCase {
    /// A step with the loss gradient scaled by −1 moves every weight by the opposite of the plain step.
    func testNegatedLossGradientStepsTheOtherWay() {
        let arch = Architecture(
            kind: .resnet, inputShape: [8, 8, 1], classes: 3, stem: 4, widths: [4, 8], unitsPerGroup: 1)
        var r = RNG(seed: 2)
        let data = Dataset(
            name: "t", height: 8, width: 8, channels: 1, images: (0..<(6 * 64)).map { _ in UInt8(r.below(256)) },
            labels: (0..<6).map { $0 % 3 }, classNames: ["a", "b", "c"])
        func step(_ scale: Float?) -> [Float] {
            let m = arch.build()
            m.initialize(RNG(seed: 3))
            for l in m.network.layers { if let b = l as? BatchNorm2d { b.frozen = true } }
            let before = m.parameters.flatMap(\.value.array)
            let t = Trainer(
                model: m, optimizer: SGD(momentum: 0),
                config: TrainingConfig(batchSize: 6, steps: 1, learningRate: .constant(0.01)),
                dataset: data)
            if let scale { t.lossGradientScale = { _, _ in scale } }
            t.runStep()
            return zip(m.parameters.flatMap(\.value.array), before).map { $0 - $1 }
        }
        let plain = step(nil)
        let ascent = step(-1)
        XCTAssert(plain.contains { $0 != 0 })
        for (a, b) in zip(plain, ascent) { XCTAssertEqual(a, -b, accuracy: 1e-6) }
    }
}
