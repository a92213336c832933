import Datasets
import Tensor

/// What a model predicts on a dataset.
public struct Predictions: Sendable {
    public var predicted: [Int]
    public var losses: [Float]
    /// Probability the model gives each image's own label.
    public var labelProbability: [Float]
    public var labels: [Int]

    public init(predicted: [Int], losses: [Float], labelProbability: [Float], labels: [Int]) {
        self.predicted = predicted
        self.losses = losses
        self.labelProbability = labelProbability
        self.labels = labels
    }

    public var accuracy: Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Accuracy on the images of each class.
    public func perClassAccuracy(classes: Int) -> [Double] {
        var hit = [Int](repeating: 0, count: classes)
        var all = hit
        for (p, l) in zip(predicted, labels) where l < classes {
            all[l] += 1
            if p == l { hit[l] += 1 }
        }
        return zip(hit, all).map { $1 == 0 ? 0 : Double($0) / Double($1) }
    }
}

/// Calls `body` with each batch of `dataset` loaded (inference order, no augmentation): the images,
/// their labels and how many they are.
func forEachBatch(_ dataset: Dataset, batchSize: Int, _ body: (Tensor, [Int32], Int) -> Void) {
    let images = Tensor(zeros: [1])
    var labels: [Int32] = []
    var rng = RNG(seed: 0)
    var start = 0
    while start < dataset.count {
        let idx = Array(start..<min(start + batchSize, dataset.count))
        loadBatch(dataset, indices: idx[...], augmentation: .none, rng: &rng, into: images, labels: &labels)
        body(images, labels, idx.count)
        start += batchSize
    }
}

/// Runs `model` in inference mode over `dataset` in batches.
public func predict(_ model: Model, on dataset: Dataset, batchSize: Int = 500) -> Predictions {
    let loss = CrossEntropyLoss()
    var out = Predictions(predicted: [], losses: [], labelProbability: [], labels: dataset.labels)
    forEachBatch(dataset, batchSize: batchSize) { images, labels, n in
        let logits = model(images)
        loss.forward(logits, labels: labels)
        let k = logits.shape[1]
        for b in 0..<n {
            var best = 0
            for j in 1..<k where logits[b * k + j] > logits[b * k + best] { best = j }
            out.predicted.append(best)
            out.losses.append(loss.losses[b])
            out.labelProbability.append(loss.probabilities[b * k + Int(labels[b])])
        }
    }
    return out
}

/// What `model` computes on `dataset` just before its last layer (the classifier): the penultimate
/// representation defences analyse, [count × dim] row-major.
public func features(_ model: Model, on dataset: Dataset, batchSize: Int = 500) -> (values: [Float], dim: Int) {
    var values: [Float] = []
    var dim = 0
    let body = model.network.layers.dropLast()
    forEachBatch(dataset, batchSize: batchSize) { images, _, n in
        var h = images
        for l in body { h = l.forward(h, training: false) }
        dim = h.count / n
        values.reserveCapacity(dataset.count * dim)
        for i in 0..<h.count { values.append(h[i]) }
    }
    return (values, dim)
}

/// The softmax probabilities `model` gives each image of `dataset`, [count × classes] row-major.
public func probabilities(_ model: Model, on dataset: Dataset, batchSize: Int = 500) -> [Float] {
    let loss = CrossEntropyLoss()
    var out: [Float] = []
    forEachBatch(dataset, batchSize: batchSize) { images, labels, _ in
        let logits = model(images)
        loss.forward(logits, labels: labels)
        for i in 0..<logits.count { out.append(loss.probabilities[i]) }
    }
    return out
}
