import Datasets
import Tensor

/// How to train: the recipe, independent of the model and data.
public struct TrainingConfig: Equatable, Hashable, Sendable, Codable {
    public var batchSize: Int
    public var steps: Int
    public var learningRate: LearningRate
    public var augmentation: Augmentation
    public var seed: UInt64

    public init(
        batchSize: Int, steps: Int, learningRate: LearningRate, augmentation: Augmentation = .none, seed: UInt64 = 0
    ) {
        self.batchSize = batchSize
        self.steps = steps
        self.learningRate = learningRate
        self.augmentation = augmentation
        self.seed = seed
    }

    /// Steps for `epochs` passes over `count` images.
    public static func steps(epochs: Double, count: Int, batchSize: Int) -> Int {
        Int((epochs * Double(count) / Double(batchSize)).rounded(.up))
    }
}

/// Minibatch training, one step at a time. Which images a step sees and how they are augmented
/// is a function of (seed, step) alone, so training resumed from a checkpoint at step s is
/// bit-identical to training that never stopped.
public final class Trainer {
    public let model: Model
    public let optimizer: Optimizer
    public let config: TrainingConfig
    public let dataset: Dataset
    public private(set) var step = 0
    public let loss = CrossEntropyLoss()
    private let orderRNG: RNG, augmentRNG: RNG
    private var epochOrder: (epoch: Int, order: [Int]) = (-1, [])
    private let images = Tensor(zeros: [1])
    private var labels: [Int32] = []
    private var indices: [Int] = []
    /// Called on each batch before the step (images on the 0–255 scale, labels, step): adversarial
    /// training replaces the images with adversarial ones here.
    public var transformBatch: ((Tensor, [Int32], Int) -> Void)?
    /// The factor on the loss's gradient, from the batch's mean loss and the step: ABL's local gradient
    /// ascent (−1 below its floor γ) and its unlearning (−1 throughout) set it; nil is 1.
    public var lossGradientScale: ((Float, Int) -> Float)?

    public init(model: Model, optimizer: Optimizer, config: TrainingConfig, dataset: Dataset) {
        self.model = model
        self.optimizer = optimizer
        self.config = config
        self.dataset = dataset
        let root = RNG(seed: config.seed)
        orderRNG = root.split("order")
        augmentRNG = root.split("augment")
    }

    /// Dataset indices of the images in `step`'s batch: consecutive slices of a fresh seeded permutation per epoch.
    public func batchIndices(_ step: Int) -> [Int] {
        let n = dataset.count
        let b = config.batchSize
        var out = [Int]()
        out.reserveCapacity(b)
        for j in 0..<b {
            let pos = step * b + j
            let e = pos / n
            if epochOrder.epoch != e { epochOrder = (e, orderRNG.split(UInt64(e)).permutationOf(n)) }
            out.append(epochOrder.order[pos % n])
        }
        return out
    }

    /// One optimisation step; returns the batch's mean loss.
    @discardableResult
    public func runStep() -> Float {
        indices = batchIndices(step)
        var r = augmentRNG.split(UInt64(step))
        loadBatch(
            dataset, indices: indices[...], augmentation: config.augmentation, rng: &r, into: images, labels: &labels)
        transformBatch?(images, labels, step)
        model.zeroGradients()
        let logits = model.forward(images, training: true)
        let l = loss.forward(logits, labels: labels)
        let g = loss.backward()
        if let scale = lossGradientScale?(l, step), scale != 1 {
            let p = g.pointer
            for i in 0..<g.count { p[i] *= scale }
        }
        model.backward(g)
        optimizer.step(model.parameters, learningRate: config.learningRate(step))
        step += 1
        return l
    }

    /// Continues at `step` (after loading a checkpoint of that step).
    public func resume(at step: Int) { self.step = step }
}

extension RNG {
    func permutationOf(_ n: Int) -> [Int] {
        var r = self
        return r.permutation(n)
    }
}
