import Datasets
import Tensor

/// Differentially private SGD (Abadi et al.), as the thesis uses it (ch. 5, §7.10).
public struct DPConfig: Equatable, Sendable {
    public enum Sampling: String, Sendable, Codable, CaseIterable { case shuffle, poisson }
    /// ℓ2 bound of each microbatch gradient; nil = no clipping and no noise (the SGD baseline).
    public var clip: Float?
    public var noiseMultiplier: Float
    /// Expected images per lot (exact with shuffled lots).
    public var lotSize: Int
    public var microbatches: Int
    public var sampling: Sampling

    public init(clip: Float?, noiseMultiplier: Float, lotSize: Int, microbatches: Int, sampling: Sampling) {
        self.clip = clip
        self.noiseMultiplier = noiseMultiplier
        self.lotSize = lotSize
        self.microbatches = microbatches
        self.sampling = sampling
    }
}

/// One optimisation step at a time, for either trainer.
public protocol TrainingLoop: AnyObject {
    var step: Int { get }
    @discardableResult func runStep() -> Float
    func resume(at step: Int)
}

extension Trainer: TrainingLoop {}

/// DP-SGD: each lot is split into microbatches; each microbatch's mean-loss gradient is clipped
/// to ℓ2 norm C; the clipped gradients are summed, Gaussian noise N(0, σ²C²) is added, and the sum
/// is divided by the number of microbatches. With one image per microbatch this is per-example
/// clipping, and the division is by the lot size. Lots are Poisson samples (each image joins with
/// probability lot/N, what the RDP accountant assumes) or consecutive slices of a shuffled order.
/// Lots, augmentation and noise are functions of (seed, step), so a resumed run is bit-identical.
public final class DPTrainer: TrainingLoop {
    public let model: Model
    public let optimizer: Optimizer
    public let config: TrainingConfig
    public let dp: DPConfig
    public let dataset: Dataset
    public private(set) var step = 0
    let loss = CrossEntropyLoss()
    private let root: RNG
    private let trainable: [Parameter]
    private let sums: [Tensor]
    private let images = Tensor(zeros: [1])
    private var labels: [Int32] = []
    private var epochOrder: (epoch: Int, order: [Int]) = (-1, [])
    /// Per-example clipping through batched per-example gradients (off: a loop over single images, the reference).
    public var batchedPerExample = true
    /// Outputs of the frozen layers before `firstTrainable`, per training image, when they can be reused.
    private var features: Tensor?
    private var firstTrainable = 0
    private let featureBatch = Tensor(zeros: [1])

    public init(model: Model, optimizer: Optimizer, config: TrainingConfig, dp: DPConfig, dataset: Dataset) {
        self.model = model
        self.optimizer = optimizer
        self.config = config
        self.dp = dp
        self.dataset = dataset
        root = RNG(seed: config.seed)
        trainable = model.parameters.filter(\.trainable)
        sums = trainable.map { Tensor(zeros: $0.value.shape) }
    }

    /// Computes, once, what the frozen leading layers make of every training image, so each
    /// microbatch runs only the layers that learn. Valid when images are not augmented and the
    /// leading layers hold no trainable parameters and no batch statistics (batch norms frozen);
    /// returns false (and changes nothing) otherwise.
    @discardableResult
    public func cacheFrozenFeatures(batchSize: Int = 500) -> Bool {
        let layers = model.network.layers
        guard config.augmentation.isNone, let k = layers.firstIndex(where: { $0.hasTrainableParameters }), k > 0,
            !layers[0..<k].contains(where: usesBatchStatistics)
        else { return false }
        let shape = layers[0..<k].reduce([1] + dataset.shape) { $1.outputShape($0) }
        let size = shape.dropFirst().reduce(1, *)
        let f = Tensor(zeros: [dataset.count] + Array(shape.dropFirst()))
        var r = RNG(seed: 0)
        var start = 0
        while start < dataset.count {
            let idx = Array(start..<min(start + batchSize, dataset.count))
            loadBatch(dataset, indices: idx[...], augmentation: .none, rng: &r, into: images, labels: &labels)
            var h = images
            for l in layers[0..<k] { h = l.forward(h, training: false) }
            (f.pointer + start * size).update(from: h.pointer, count: idx.count * size)
            start += batchSize
        }
        features = f
        firstTrainable = k
        return true
    }

    private func usesBatchStatistics(_ l: Layer) -> Bool {
        if let b = l as? BatchNorm2d { return !b.frozen }
        if let u = l as? ResidualUnit {
            return [u.bn1, u.bn2, u.projection?.bn].contains { $0.map { !$0.frozen } ?? false }
        }
        if let s = l as? Sequential { return s.layers.contains(where: usesBatchStatistics) }
        return false
    }

    /// Layers whose per-example gradients cover every trainable parameter, with their buffers; nil when
    /// some trainable parameter (a batch norm's) has no per-example path, so microbatches of one are looped.
    private lazy var perExampleLayers: [(layer: Layer, weight: Parameter, bias: Parameter?, buffer: Tensor)]? = {
        var out: [(Layer, Parameter, Parameter?, Tensor)] = []
        var covered = Set<ObjectIdentifier>()
        for l in model.leafLayers {
            if let c = l as? Conv2d, c.weight.trainable {
                let t = Tensor(zeros: [1])
                c.perExampleGradients = nil
                out.append((c, c.weight, c.bias.flatMap { $0.trainable ? $0 : nil }, t))
            } else if let d = l as? Linear, d.weight.trainable {
                out.append((d, d.weight, d.bias.trainable ? d.bias : nil, Tensor(zeros: [1])))
            } else {
                continue
            }
            covered.insert(ObjectIdentifier(out.last!.1))
            if let bias = out.last!.2 { covered.insert(ObjectIdentifier(bias)) }
        }
        // Batch statistics over a batch would mix examples: then single images are looped instead.
        let live = model.leafLayers.contains { ($0 as? BatchNorm2d).map { !$0.frozen } ?? false }
        return !live && trainable.allSatisfy { covered.contains(ObjectIdentifier($0)) } ? out : nil
    }()

    private func attachPerExample(_ on: Bool) {
        for e in perExampleLayers ?? [] {
            if let c = e.layer as? Conv2d { c.perExampleGradients = on ? e.buffer : nil }
            if let d = e.layer as? Linear { d.perExampleGradients = on ? e.buffer : nil }
        }
    }

    /// Per-example clipping in batches: one forward and backward for up to `chunk` images, each
    /// image's gradient kept apart, clipped, and added into `sums`.
    private func perExampleStep(_ lot: [Int], augment: inout RNG, chunk: Int = 128) -> Float {
        guard let layers = perExampleLayers, let c = dp.clip else { return 0 }
        let sumOf = Dictionary(uniqueKeysWithValues: zip(trainable.map(ObjectIdentifier.init), sums))
        var total: Float = 0
        var start = 0
        attachPerExample(true)
        defer { attachPerExample(false) }
        while start < lot.count {
            let idx = lot[start..<min(start + chunk, lot.count)]
            total += forwardBackward(idx, augment: &augment, each: true) * Float(idx.count)
            let n = idx.count
            var sq = [Double](repeating: 0, count: n)
            for e in layers {
                let w = e.weight.value.count
                let stride = e.buffer.count / n
                let b = e.bias != nil ? stride - w : 0
                for i in 0..<n {
                    let g = e.buffer.pointer + i * stride
                    var s: Float = 0
                    for k in 0..<(w + b) { s += g[k] * g[k] }
                    sq[i] += Double(s)
                }
            }
            let factor = sq.map { min(1, c / Float(max($0.squareRoot(), 1e-12))) }
            for e in layers {
                let w = e.weight.value.count
                let stride = e.buffer.count / n
                let dw = sumOf[ObjectIdentifier(e.weight)]!.pointer
                let db = e.bias.map { sumOf[ObjectIdentifier($0)]!.pointer }
                for i in 0..<n {
                    let g = e.buffer.pointer + i * stride
                    let f = factor[i]
                    for k in 0..<w { dw[k] += f * g[k] }
                    if let db { for k in 0..<(stride - w) { db[k] += f * g[w + k] } }
                }
            }
            start += chunk
        }
        return total / Float(max(lot.count, 1))
    }

    /// Forward and backward of one microbatch, through every layer or only those after the cached features.
    /// `each`: every example's loss gradient at full weight (per-example gradients), not the batch mean's.
    private func forwardBackward(_ idx: ArraySlice<Int>, augment: inout RNG, each: Bool = false) -> Float {
        let ones = each ? [Float](repeating: 1, count: idx.count) : nil
        guard let f = features else {
            loadBatch(
                dataset, indices: idx, augmentation: config.augmentation, rng: &augment, into: images, labels: &labels)
            model.zeroGradients()
            let l = loss.forward(model.forward(images, training: true), labels: labels)
            model.backward(loss.backward(weights: ones))
            return l
        }
        let size = f.count / dataset.count
        featureBatch.reshape([idx.count] + Array(f.shape.dropFirst()))
        for (j, i) in idx.enumerated() {
            (featureBatch.pointer + j * size).update(from: f.pointer + i * size, count: size)
        }
        if labels.count != idx.count { labels = Array(repeating: 0, count: idx.count) }
        for (j, i) in idx.enumerated() { labels[j] = Int32(dataset.labels[i]) }
        let layers = model.network.layers[firstTrainable...]
        model.zeroGradients()
        var h = featureBatch
        for l in layers { h = l.forward(h, training: true) }
        let value = loss.forward(h, labels: labels)
        var g: Tensor? = loss.backward(weights: ones)
        for (n, l) in layers.enumerated().reversed() {
            l.needsInputGradient = n > 0
            g = g.flatMap { l.backward($0) }
        }
        return value
    }

    /// Sampling rate q of the accountant.
    public var samplingRate: Double { min(1, Double(dp.lotSize) / Double(dataset.count)) }

    /// The images of `step`'s lot.
    public func lot(_ step: Int) -> [Int] {
        switch dp.sampling {
        case .poisson:
            var r = root.split("lot").split(UInt64(step))
            let q = Float(samplingRate)
            return (0..<dataset.count).filter { _ in r.uniform() < q }
        case .shuffle:
            let n = dataset.count
            let b = dp.lotSize
            return (0..<b).map { j in
                let pos = step * b + j
                let e = pos / n
                if epochOrder.epoch != e {
                    var r = root.split("order").split(UInt64(e))
                    epochOrder = (e, r.permutation(n))
                }
                return epochOrder.order[pos % n]
            }
        }
    }

    public func resume(at step: Int) { self.step = step }

    @discardableResult
    public func runStep() -> Float {
        let lot = lot(step)
        for s in sums { s.zero() }
        let m = dp.microbatches
        var lossSum: Float = 0
        var used = 0
        var augment = root.split("augment").split(UInt64(step))
        if batchedPerExample, m >= lot.count, dp.clip != nil, perExampleLayers != nil {
            // Microbatches of one image: batched per-example gradients instead of a loop of single images.
            lossSum = perExampleStep(lot, augment: &augment) * Float(lot.count)
            used = lot.count
        } else {
            for k in 0..<m {
                let lo = k * lot.count / m
                let hi = (k + 1) * lot.count / m
                guard hi > lo else { continue }
                lossSum += forwardBackward(lot[lo..<hi], augment: &augment) * Float(hi - lo)
                used += hi - lo
                var factor: Float = 1
                if let c = dp.clip {
                    var sq: Double = 0
                    for p in trainable {
                        let g = p.gradient.pointer
                        for i in 0..<p.gradient.count { sq += Double(g[i] * g[i]) }
                    }
                    factor = min(1, c / Float(max(sq.squareRoot(), 1e-12)))
                }
                for (p, s) in zip(trainable, sums) {
                    let g = p.gradient.pointer
                    let d = s.pointer
                    for i in 0..<s.count { d[i] += factor * g[i] }
                }
            }
        }
        // Noise on the clipped sum, then the average over microbatches.
        var noise = root.split("noise").split(UInt64(step))
        let std = (dp.clip ?? 0) * dp.noiseMultiplier
        let scale = 1 / Float(m)
        for (p, s) in zip(trainable, sums) {
            let g = p.gradient.pointer
            let d = s.pointer
            for i in 0..<s.count { g[i] = (d[i] + (std > 0 ? std * noise.normal() : 0)) * scale }
        }
        optimizer.step(trainable, learningRate: config.learningRate(step))
        step += 1
        return used == 0 ? 0 : lossSum / Float(used)
    }
}
