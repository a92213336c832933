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
    /// Images changed but not poisoned, labels kept (WaNet's noise mode): not counted as poisons.
    public var noiseIndices: [Int]
    /// Those images, back to back, in `noiseIndices` order.
    public var noiseImages: [UInt8]

    public init(indices: [Int], images: [UInt8], labels: [Int], noiseIndices: [Int] = [], noiseImages: [UInt8] = []) {
        self.indices = indices
        self.images = images
        self.labels = labels
        self.noiseIndices = noiseIndices
        self.noiseImages = noiseImages
    }

    /// The training set with the poisoned images (and labels) in place of the originals.
    public func apply(to d: Dataset) -> Dataset {
        var out = d
        let size = d.imageSize
        for (j, i) in indices.enumerated() {
            out.images.replaceSubrange((i * size)..<((i + 1) * size), with: images[(j * size)..<((j + 1) * size)])
            out.labels[i] = labels[j]
        }
        for (j, i) in noiseIndices.enumerated() {
            out.images.replaceSubrange(
                (i * size)..<((i + 1) * size), with: noiseImages[(j * size)..<((j + 1) * size)])
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
    public static func badNets(_ d: Dataset, target: Int, count: Int, trigger: any ImageTrigger, seed: UInt64) -> Poison
    {
        let candidates = d.labels.indices.filter { d.labels[$0] != target }
        let chosen = Array(order(candidates, seed: seed, salt: "dirty").prefix(count))
        return stamped(d, chosen, labels: Array(repeating: target, count: chosen.count), trigger: trigger, base: nil)
    }

    /// Label-consistent: `count` images of the target class, optionally replaced by `perturbed`
    /// versions (keyed by dataset index), get the trigger; labels stay.
    public static func cleanLabel(
        _ d: Dataset, target: Int, count: Int, trigger: any ImageTrigger, seed: UInt64,
        perturbed: [Int: ArraySlice<UInt8>]? = nil
    ) -> Poison {
        let candidates = d.indices(of: target)
        let chosen = Array(order(candidates, seed: seed, salt: "clean").prefix(count))
        return stamped(
            d, chosen, labels: Array(repeating: target, count: chosen.count), trigger: trigger, base: perturbed)
    }

    static func stamped(
        _ d: Dataset, _ chosen: [Int], labels: [Int], trigger: any ImageTrigger, base: [Int: ArraySlice<UInt8>]?
    )
        -> Poison
    {
        let size = d.imageSize
        var px = [UInt8]()
        px.reserveCapacity(chosen.count * size)
        for i in chosen { px.append(contentsOf: base?[i] ?? d.image(i)) }
        let (n, h, w, c) = (chosen.count, d.height, d.width, d.channels)
        px.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            trigger.apply(to: base, count: n, height: h, width: w, channels: c)
        }
        return Poison(indices: chosen, images: px, labels: labels)
    }

    /// All-to-all BadNets: `count` random images of any class get the trigger and the next class's label,
    /// y → (y + 1) mod `classes`.
    public static func allToAll(_ d: Dataset, count: Int, classes: Int, trigger: any ImageTrigger, seed: UInt64)
        -> Poison
    {
        let chosen = Array(order(Array(d.labels.indices), seed: seed, salt: "all-to-all").prefix(count))
        return stamped(d, chosen, labels: chosen.map { (d.labels[$0] + 1) % classes }, trigger: trigger, base: nil)
    }

    /// WaNet's noise mode: `count` seeded images outside `poison` warped by the attack's field plus noise,
    /// labels kept, added to the poison as its noise images.
    public static func withWarpNoise(_ poison: Poison, _ d: Dataset, warp: WarpTrigger, count: Int, seed: UInt64)
        -> Poison
    {
        let taken = Set(poison.indices)
        let candidates = d.labels.indices.filter { !taken.contains($0) }
        let chosen = Array(order(candidates, seed: seed, salt: "warp-noise").prefix(count))
        var r = RNG(seed: seed).split("warp-noise-field")
        var px = [UInt8]()
        px.reserveCapacity(chosen.count * d.imageSize)
        for i in chosen { px.append(contentsOf: d.image(i)) }
        let (h, w, c) = (d.height, d.width, d.channels)
        let fixed = warp.field(height: h, width: w)
        px.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for j in chosen.indices {
                let field = WarpTrigger.noisy(fixed, height: h, rng: &r)
                WarpTrigger.warp(base + j * h * w * c, field: field, height: h, width: w, channels: c)
            }
        }
        var out = poison
        out.noiseIndices = chosen
        out.noiseImages = px
        return out
    }
}
