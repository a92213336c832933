import Datasets
import Foundation
import Learning
import Tensor
import TestSupport
import XCTest

func tinyDataset(count: Int = 40, shape: [Int] = [8, 8, 1], classes: Int = 4, seed: UInt64 = 5) -> Dataset {
    var r = RNG(seed: seed)
    var px = [UInt8]()
    var labels = [Int]()
    let size = shape.reduce(1, *)
    for i in 0..<count {
        let l = i % classes
        // Class l is brighter in band l: learnable, so a few steps lower the loss.
        for p in 0..<size { px.append(UInt8(min(255, r.below(60) + ((p / shape[1]) % classes == l ? 180 : 0)))) }
        labels.append(l)
    }
    return Dataset(
        name: "tiny", height: shape[0], width: shape[1], channels: shape[2], images: px, labels: labels,
        classNames: (0..<classes).map { "c\($0)" })
}

final class TrainingTests: XCTestCase {
    func train(seed: UInt64, steps: Int, augmentation: Augmentation = .standard) -> (Model, [Float]) {
        let data = tinyDataset()
        let model = Architecture(
            kind: .resnet, inputShape: [8, 8, 1], classes: 4, stem: 4, widths: [4, 8], unitsPerGroup: 1
        ).build()
        model.initialize(RNG(seed: seed))
        let trainer = Trainer(
            model: model, optimizer: SGD(momentum: 0.9, weightDecay: 5e-4),
            config: TrainingConfig(
                batchSize: 8, steps: steps, learningRate: .constant(0.05),
                augmentation: augmentation, seed: seed), dataset: data)
        let losses = (0..<steps).map { _ in trainer.runStep() }
        return (model, losses)
    }

    func weights(_ m: Model) -> [Float] { m.stateDict().keys.sorted().flatMap { m.stateDict()[$0]!.array } }

    func testSameSeedAndThreadsGiveBitIdenticalWeights() {
        let (a, _) = train(seed: 3, steps: 12)
        let (b, _) = train(seed: 3, steps: 12)
        XCTAssertEqual(weights(a), weights(b))
        let (c, _) = train(seed: 4, steps: 12)
        XCTAssertNotEqual(weights(a), weights(c))
    }

    func testTrainingLowersTheLoss() {
        let (_, losses) = train(seed: 1, steps: 40, augmentation: .none)
        let first = losses.prefix(5).reduce(0, +) / 5
        let last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first * 0.7, "loss \(first) → \(last)")
    }

    func testResumingAtAStepIsBitIdenticalToNotStopping() throws {
        let data = tinyDataset()
        let arch = Architecture(
            kind: .resnet, inputShape: [8, 8, 1], classes: 4, stem: 4, widths: [4, 8], unitsPerGroup: 1)
        let config = TrainingConfig(
            batchSize: 8, steps: 10, learningRate: .piecewise(boundaries: [5], values: [0.05, 0.01]),
            augmentation: .standard, seed: 9)
        let straight = arch.build()
        straight.initialize(RNG(seed: 9))
        let t1 = Trainer(model: straight, optimizer: SGD(momentum: 0.9), config: config, dataset: data)
        for _ in 0..<10 { t1.runStep() }

        let first = arch.build()
        first.initialize(RNG(seed: 9))
        let sgd1 = SGD(momentum: 0.9)
        let t2 = Trainer(model: first, optimizer: sgd1, config: config, dataset: data)
        for _ in 0..<6 { t2.runStep() }
        let dir = DatasetFiles.temporaryDirectory()
        try first.save(to: dir + "/model.safetensors")
        try SafeTensors.write(sgd1.state, to: dir + "/optimizer.safetensors")

        let second = arch.build()
        try second.load(from: dir + "/model.safetensors")
        let sgd2 = SGD(momentum: 0.9)
        sgd2.prepare(second.parameters)
        try sgd2.loadState(SafeTensors.read(dir + "/optimizer.safetensors").tensors)
        let t3 = Trainer(model: second, optimizer: sgd2, config: config, dataset: data)
        t3.resume(at: 6)
        for _ in 6..<10 { t3.runStep() }
        XCTAssertEqual(weights(second), weights(straight))
    }

    func testFrozenParametersAndBatchNormsStayFixed() {
        let data = tinyDataset()
        let model = Architecture(
            kind: .resnet, inputShape: [8, 8, 1], classes: 4, stem: 4, widths: [4, 8], unitsPerGroup: 1
        ).build()
        model.initialize(RNG(seed: 2))
        // Train only the last unit's two 3×3 convolutions and the dense layer, as the thesis's DP-SGD set-up does.
        for p in model.parameters { p.trainable = p.name.hasPrefix("layer2.0.conv") || p.name.hasPrefix("fc.") }
        for case let unit as ResidualUnit in model.network.layers {
            for bn in [unit.bn1, unit.bn2] + (unit.projection.map { [$0.bn] } ?? []) { bn.frozen = true }
        }
        for case let bn as BatchNorm2d in model.network.layers { bn.frozen = true }
        let before = model.stateDict()
        let trainer = Trainer(
            model: model, optimizer: SGD(momentum: 0.9),
            config: TrainingConfig(
                batchSize: 8, steps: 5,
                learningRate: .constant(0.1)), dataset: data)
        for _ in 0..<5 { trainer.runStep() }
        let after = model.stateDict()
        for (name, t) in before {
            let trained = name.hasPrefix("layer2.0.conv") || name.hasPrefix("fc.")
            if trained {
                XCTAssertNotEqual(t.array, after[name]!.array, name)
            } else {
                XCTAssertEqual(t.array, after[name]!.array, name)
            }
        }
    }

    func testLearningRateSchedules() {
        let p = LearningRate.piecewise(boundaries: [40_000, 60_000], values: [0.1, 0.01, 0.001])
        XCTAssertEqual(
            [0, 39_999, 40_000, 59_999, 60_000, 99_999].map { p($0) }, [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
        let t = LearningRate.triangular(peak: 1, warmup: 4, total: 8)
        XCTAssertEqual([0, 3, 4, 6, 8].map { t($0) }, [0.25, 1, 1, 0.5, 0])
    }

    func testEpochsCoverEveryImageOnce() {
        let data = tinyDataset(count: 20)
        let model = Architecture(kind: .small_cnn, inputShape: [8, 8, 1], classes: 4, widths: [2, 4]).build()
        let trainer = Trainer(
            model: model, optimizer: SGD(),
            config: TrainingConfig(
                batchSize: 5, steps: 8,
                learningRate: .constant(0.1)), dataset: data)
        let epoch0 = (0..<4).flatMap { trainer.batchIndices($0) }
        let epoch1 = (4..<8).flatMap { trainer.batchIndices($0) }
        XCTAssertEqual(epoch0.sorted(), Array(0..<20))
        XCTAssertEqual(epoch1.sorted(), Array(0..<20))
        XCTAssertNotEqual(epoch0, epoch1)
    }

    func testAugmentationFlipsAndCrops() {
        // One 2×3 RGB-less image: pixels 1…6.
        let d = Dataset(
            name: "one", height: 2, width: 3, channels: 1, images: [1, 2, 3, 4, 5, 6], labels: [0], classNames: ["a"])
        let out = Tensor(zeros: [1])
        var labels: [Int32] = []
        var seen = Set<[Float]>()
        var r = RNG(seed: 1)
        for _ in 0..<200 {
            loadBatch(
                d, indices: [0][...], augmentation: Augmentation(cropPadding: 0, horizontalFlip: true), rng: &r,
                into: out, labels: &labels)
            seen.insert(out.array)
        }
        XCTAssertEqual(seen, [[1, 2, 3, 4, 5, 6], [3, 2, 1, 6, 5, 4]])
        seen = []
        for _ in 0..<500 {
            loadBatch(
                d, indices: [0][...], augmentation: Augmentation(cropPadding: 1, horizontalFlip: false), rng: &r,
                into: out, labels: &labels)
            seen.insert(out.array)
        }
        // Shifts of −1, 0, +1 in each direction, padding reading 0: 9 distinct crops.
        XCTAssertEqual(seen.count, 9)
        XCTAssert(seen.contains([0, 0, 0, 0, 1, 2]))  // shifted down-right by one
        XCTAssert(seen.contains([5, 6, 0, 0, 0, 0]))  // shifted up-left by one
    }

    func testPredictionsAccuracyAndPerClass() {
        var p = Predictions(
            predicted: [0, 1, 1, 2], losses: [0, 0, 0, 0], labelProbability: [1, 1, 1, 1], labels: [0, 1, 2, 2])
        XCTAssertEqual(p.accuracy, 0.75)
        XCTAssertEqual(p.perClassAccuracy(classes: 3), [1, 1, 0.5])
        p.labels = []
        XCTAssertEqual(p.accuracy, 0)
    }
}
