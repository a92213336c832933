import Datasets
import Tensor

/// Which training images an attack poisons, and what they become.
public struct Poison: Sendable, Equatable {
    /// Indices into the victim's training set.
    public var indices: [Int]
    /// The poisoned images, back to back (HWC, 0–255), in `indices` order.
    public var images: [UInt8]
    /// Their labels after poisoning (the target for BadNets, unchanged for clean-label).
    public var labels: [Int]

    public init(indices: [Int], images: [UInt8], labels: [Int]) {
        self.indices = indices
        self.images = images
        self.labels = labels
    }

    /// The training set with the poisoned images (and labels) in place of the originals.
    public func apply(to d: Dataset) -> Dataset {
        var out = d
        let size = d.imageSize
        for (j, i) in indices.enumerated() {
            out.images.replaceSubrange((i * size)..<((i + 1) * size), with: images[(j * size)..<((j + 1) * size)])
            out.labels[i] = labels[j]
        }
        return out
    }
}

public enum Poisoning {
    /// The seeded order images are poisoned in: the first k of it are poisoned for an amount k, so
    /// growing amounts poison nested sets. `candidates` are the eligible indices.
    public static func order(_ candidates: [Int], seed: UInt64, salt: String) -> [Int] {
        var r = RNG(seed: seed).split("poison-order").split(salt)
        return r.permutation(candidates.count).map { candidates[$0] }
    }

    /// BadNets (Gu et al.): `count` random images of any class other than the target get the
    /// trigger and the target label.
    public static func badNets(_ d: Dataset, target: Int, count: Int, trigger: Trigger, seed: UInt64) -> Poison {
        let candidates = d.labels.indices.filter { d.labels[$0] != target }
        let chosen = Array(order(candidates, seed: seed, salt: "dirty").prefix(count))
        return stamped(d, chosen, labels: Array(repeating: target, count: chosen.count), trigger: trigger, base: nil)
    }

    /// Label-consistent: `count` images of the target class, optionally replaced by `perturbed`
    /// versions (keyed by dataset index), get the trigger; labels stay.
    public static func cleanLabel(
        _ d: Dataset, target: Int, count: Int, trigger: Trigger, seed: UInt64,
        perturbed: [Int: ArraySlice<UInt8>]? = nil
    ) -> Poison {
        let candidates = d.indices(of: target)
        let chosen = Array(order(candidates, seed: seed, salt: "clean").prefix(count))
        return stamped(
            d, chosen, labels: Array(repeating: target, count: chosen.count), trigger: trigger, base: perturbed)
    }

    static func stamped(_ d: Dataset, _ chosen: [Int], labels: [Int], trigger: Trigger, base: [Int: ArraySlice<UInt8>]?)
        -> Poison
    {
        let size = d.imageSize
        var px = [UInt8]()
        px.reserveCapacity(chosen.count * size)
        for i in chosen { px.append(contentsOf: base?[i] ?? d.image(i)) }
        px.withUnsafeMutableBufferPointer { p in
            for j in chosen.indices {
                trigger.apply(to: p.baseAddress! + j * size, height: d.height, width: d.width, channels: d.channels)
            }
        }
        return Poison(indices: chosen, images: px, labels: labels)
    }
}
