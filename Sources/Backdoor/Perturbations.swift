import Datasets
import Learning
import Tensor

/// The ways the thesis makes target-class images hard to classify before the trigger goes on.
/// Each maps the images at `indices` of a dataset to perturbed 0–255 images (HWC, back to back).
public enum Perturbations {
    /// Additive Gaussian noise of standard deviation σ (0–255 scale), rounded and clipped.
    public static func gaussianNoise(_ d: Dataset, indices: [Int], sigma: Float, seed: UInt64) -> [UInt8] {
        var r = RNG(seed: seed).split("gaussian-noise")
        var out = [UInt8]()
        out.reserveCapacity(indices.count * d.imageSize)
        for i in indices { for v in d.image(i) { out.append(clip(Float(v) + sigma * r.normal())) } }
        return out
    }

    /// x′ = (1 − τ)·x + τ·z, z a random image of another class from `source`.
    public static func pixelInterpolation(_ d: Dataset, indices: [Int], tau: Float, source: Dataset, seed: UInt64)
        -> [UInt8]
    {
        var r = RNG(seed: seed).split("pixel-interpolation")
        var out = [UInt8]()
        out.reserveCapacity(indices.count * d.imageSize)
        for i in indices {
            var j = r.below(source.count)
            while source.labels[j] == d.labels[i] { j = r.below(source.count) }
            for (a, b) in zip(d.image(i), source.image(j)) { out.append(clip((1 - tau) * Float(a) + tau * Float(b))) }
        }
        return out
    }

    /// PGD against `model` on the true labels, in batches.
    public static func pgd(
        _ d: Dataset, indices: [Int], model: Model, attack: PGD, seed: UInt64, batchSize: Int = 100,
        progress: ((Int, Int) -> Void)? = nil
    ) -> [UInt8] {
        var r = RNG(seed: seed).split("pgd")
        var out = [UInt8]()
        out.reserveCapacity(indices.count * d.imageSize)
        let images = Tensor(zeros: [1])
        var labels: [Int32] = []
        var start = 0
        while start < indices.count {
            let batch = indices[start..<min(start + batchSize, indices.count)]
            var none = RNG(seed: 0)
            loadBatch(d, indices: batch, augmentation: .none, rng: &none, into: images, labels: &labels)
            attack.attack(model, images: images, labels: labels, rng: &r)
            for k in 0..<images.count { out.append(clip(images[k])) }
            start += batchSize
            progress?(start, indices.count)
        }
        return out
    }

    @inline(__always) static func clip(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
}

/// Madry et al.'s adversarial training: each batch is replaced by its PGD adversarial version
/// (model in inference mode) before the step.
public enum AdversarialTraining {
    public static func install(_ attack: PGD, on trainer: Trainer, seed: UInt64) {
        let model = trainer.model
        let root = RNG(seed: seed).split("adversarial-training")
        trainer.transformBatch = { images, labels, step in
            var r = root.split(UInt64(step))
            attack.attack(model, images: images, labels: labels, rng: &r)
        }
    }
}
