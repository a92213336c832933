import Datasets
import Learning
import Tensor
import TestSupport
import XCTest

final class DPTrainerTests: XCTestCase {
    let arch = Architecture(
        kind: .resnet, inputShape: [8, 8, 1], classes: 4, stem: 4, widths: [4, 8], unitsPerGroup: 1)

    func weights(_ m: Model) -> [Float] { m.parameters.flatMap(\.value.array) }

    /// Without clipping or noise, one microbatch and shuffled lots, DP-SGD is exactly minibatch SGD.
    func testWithoutClippingOrNoiseItIsPlainSGD() {
        let data = tinyDataset()
        let config = TrainingConfig(
            batchSize: 8, steps: 6, learningRate: .constant(0.05), augmentation: .standard, seed: 4)
        let a = arch.build()
        a.initialize(RNG(seed: 1))
        let t = Trainer(model: a, optimizer: SGD(momentum: 0.9, weightDecay: 1e-3), config: config, dataset: data)
        let b = arch.build()
        b.initialize(RNG(seed: 1))
        let d = DPTrainer(
            model: b, optimizer: SGD(momentum: 0.9, weightDecay: 1e-3), config: config,
            dp: DPConfig(clip: nil, noiseMultiplier: 0, lotSize: 8, microbatches: 1, sampling: .shuffle), dataset: data)
        for _ in 0..<6 {
            t.runStep()
            d.runStep()
        }
        XCTAssertEqual(weights(a), weights(b))
    }

    /// With lr 1 and no momentum or decay, the update is the privatised gradient: its norm is at most C
    /// without noise, and its spread is σC/M with noise.
    func testClippingBoundsAndNoiseScale() {
        let data = tinyDataset()
        let config = TrainingConfig(batchSize: 8, steps: 1, learningRate: .constant(1), seed: 2)
        let m = arch.build()
        m.initialize(RNG(seed: 3))
        let before = weights(m)
        let d = DPTrainer(
            model: m, optimizer: SGD(momentum: 0), config: config,
            dp: DPConfig(clip: 1e-3, noiseMultiplier: 0, lotSize: 16, microbatches: 4, sampling: .shuffle),
            dataset: data)
        d.runStep()
        let change = zip(before, weights(m)).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
        XCTAssertGreaterThan(change, 1e-4)
        XCTAssertLessThanOrEqual(change, 1e-3 * 1.0001)

        let n = arch.build()
        n.initialize(RNG(seed: 3))
        let noisy = DPTrainer(
            model: n, optimizer: SGD(momentum: 0), config: config,
            dp: DPConfig(clip: 1e-6, noiseMultiplier: 2, lotSize: 16, microbatches: 4, sampling: .shuffle),
            dataset: data)
        noisy.runStep()
        let deltas = zip(before, weights(n)).map { Double($0.0 - $0.1) }
        let std = (deltas.reduce(0) { $0 + $1 * $1 } / Double(deltas.count)).squareRoot()
        XCTAssertEqual(std, 2 * 1e-6 / 4, accuracy: 0.1 * 2 * 1e-6 / 4)
    }

    func testPoissonLotsHaveTheExpectedSizeAndVary() {
        let data = tinyDataset(count: 400)
        let d = DPTrainer(
            model: arch.build(), optimizer: SGD(),
            config: TrainingConfig(batchSize: 1, steps: 1, learningRate: .constant(0)),
            dp: DPConfig(clip: 1, noiseMultiplier: 1, lotSize: 40, microbatches: 4, sampling: .poisson), dataset: data)
        let sizes = (0..<200).map { d.lot($0).count }
        XCTAssertEqual(Double(sizes.reduce(0, +)) / 200, 40, accuracy: 1.5)
        XCTAssertGreaterThan(Set(sizes).count, 5)
        XCTAssertEqual(d.lot(7), d.lot(7))
        XCTAssertEqual(d.samplingRate, 0.1)
    }
}

extension DPTrainerTests {
    /// The thesis's transfer set-up: last unit's convolutions and the dense layer learn, batch norms frozen.
    func transferModel() -> Model {
        let m = arch.build()
        m.initialize(RNG(seed: 5))
        for p in m.parameters { p.trainable = p.name.hasPrefix("layer2.0.conv") || p.name.hasPrefix("fc.") }
        for l in m.network.layers {
            if let b = l as? BatchNorm2d { b.frozen = true }
            if let u = l as? ResidualUnit {
                u.bn1.frozen = true
                u.bn2.frozen = true
                u.projection?.bn.frozen = true
            }
        }
        return m
    }

    func testCachedFrozenFeaturesTrainLikeTheFullNetwork() {
        let data = tinyDataset(count: 60)
        let config = TrainingConfig(batchSize: 1, steps: 4, learningRate: .constant(0.1), seed: 6)
        let dp = DPConfig(clip: 0.5, noiseMultiplier: 0.5, lotSize: 20, microbatches: 4, sampling: .poisson)
        let a = transferModel()
        let b = transferModel()
        let full = DPTrainer(model: a, optimizer: SGD(momentum: 0.9), config: config, dp: dp, dataset: data)
        let cached = DPTrainer(model: b, optimizer: SGD(momentum: 0.9), config: config, dp: dp, dataset: data)
        XCTAssertTrue(cached.cacheFrozenFeatures())
        for _ in 0..<4 {
            full.runStep()
            cached.runStep()
        }
        assertClose(weights(b), weights(a), tolerance: 1e-5, "weights")
        XCTAssertNotEqual(weights(b), weights(transferModel()))
        // Augmentation or live batch statistics make the cache invalid: it is refused.
        let aug = DPTrainer(
            model: transferModel(), optimizer: SGD(),
            config: TrainingConfig(batchSize: 1, steps: 1, learningRate: .constant(0.1), augmentation: .standard),
            dp: dp, dataset: data)
        XCTAssertFalse(aug.cacheFrozenFeatures())
        let live = transferModel()
        (live.network.layers[2] as! BatchNorm2d).frozen = false
        (live.network.layers[2] as! BatchNorm2d).gamma.trainable = false
        (live.network.layers[2] as! BatchNorm2d).beta.trainable = false
        XCTAssertFalse(
            DPTrainer(model: live, optimizer: SGD(), config: config, dp: dp, dataset: data).cacheFrozenFeatures())
    }
}

extension DPTrainerTests {
    /// Batched per-example gradients clip and sum exactly what a loop over single images does.
    func testBatchedPerExampleClippingMatchesTheLoop() {
        let data = tinyDataset(count: 60)
        let config = TrainingConfig(
            batchSize: 1, steps: 3, learningRate: .constant(0.1), augmentation: .standard, seed: 8)
        let dp = DPConfig(clip: 0.05, noiseMultiplier: 0.3, lotSize: 12, microbatches: 12, sampling: .poisson)
        for lastUnit in [false, true] {
            func model() -> Model {
                let m = lastUnit ? transferModel() : arch.build()
                if !lastUnit {
                    m.initialize(RNG(seed: 5))
                    for l in m.network.layers {  // every conv and dense learns; batch norms frozen
                        if let b = l as? BatchNorm2d { b.frozen = true }
                        if let u = l as? ResidualUnit {
                            u.bn1.frozen = true
                            u.bn2.frozen = true
                            u.projection?.bn.frozen = true
                        }
                    }
                }
                return m
            }
            let a = model()
            let b = model()
            let loop = DPTrainer(model: a, optimizer: SGD(momentum: 0.9), config: config, dp: dp, dataset: data)
            loop.batchedPerExample = false
            let batched = DPTrainer(model: b, optimizer: SGD(momentum: 0.9), config: config, dp: dp, dataset: data)
            for _ in 0..<3 {
                loop.runStep()
                batched.runStep()
            }
            assertClose(weights(b), weights(a), tolerance: 1e-5, "last unit only: \(lastUnit)")
            XCTAssertNotEqual(weights(b), weights(model()))
        }
    }
}

extension DPTrainerTests {
    /// With the trained unit's batch norms on batch statistics, examples would mix inside a batch,
    /// so per-example clipping loops over single images; the running statistics move.
    func testLiveBatchNormsFallBackToTheLoopAndUpdateStatistics() {
        let data = tinyDataset(count: 60)
        let config = TrainingConfig(batchSize: 1, steps: 2, learningRate: .constant(0.1), seed: 8)
        let dp = DPConfig(clip: 0.05, noiseMultiplier: 0.3, lotSize: 12, microbatches: 12, sampling: .poisson)
        func model() -> Model {
            let m = transferModel()
            let u = m.network.layers.last { $0 is ResidualUnit } as! ResidualUnit
            for bn in [u.bn1, u.bn2] {
                bn.frozen = false
                bn.gamma.trainable = false
                bn.beta.trainable = false
            }
            return m
        }
        let a = model()
        let b = model()
        let before = a.stateDict()["layer2.0.bn2.running_mean"]!.array
        let batched = DPTrainer(model: a, optimizer: SGD(), config: config, dp: dp, dataset: data)
        let loop = DPTrainer(model: b, optimizer: SGD(), config: config, dp: dp, dataset: data)
        loop.batchedPerExample = false
        for _ in 0..<2 {
            batched.runStep()
            loop.runStep()
        }
        XCTAssertEqual(weights(a), weights(b))
        XCTAssertNotEqual(a.stateDict()["layer2.0.bn2.running_mean"]!.array, before)
    }
}
