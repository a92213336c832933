import Datasets
import Tensor

/// The thesis's data augmentation: random crop after zero padding, and horizontal flip.
/// (Per-image standardisation, its third part, is the model's input layer: see `Architecture`.)
public struct Augmentation: Equatable, Hashable, Sendable, Codable {
    /// Pixels of zero padding on each side before a random crop back to the original size; 0 = no crop.
    public var cropPadding: Int
    public var horizontalFlip: Bool

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }
    public static let none = Augmentation()
    /// Crop with 4-pixel padding and flip, as in the thesis (§3.6).
    public static let standard = Augmentation(cropPadding: 4, horizontalFlip: true)
    public var isNone: Bool { cropPadding == 0 && !horizontalFlip }
}

/// Copies images of `dataset` into a float batch [N, H, W, C] on the 0–255 scale, augmenting each
/// with draws from `rng` (two per image, so the stream does not depend on which options are on).
public func loadBatch(
    _ dataset: Dataset, indices: ArraySlice<Int>, augmentation: Augmentation, rng: inout RNG,
    into images: Tensor, labels: inout [Int32]
) {
    let (h, w, c) = (dataset.height, dataset.width, dataset.channels)
    images.reshape([indices.count, h, w, c])
    if labels.count != indices.count { labels = Array(repeating: 0, count: indices.count) }
    let p = augmentation.cropPadding
    dataset.images.withUnsafeBufferPointer { src in
        var o = images.pointer
        for (b, i) in indices.enumerated() {
            labels[b] = Int32(dataset.labels[i])
            let dy = rng.below(2 * p + 1) - p
            let dx = rng.below(2 * p + 1) - p
            let flip = augmentation.horizontalFlip && rng.below(2) == 1
            let img = src.baseAddress! + i * dataset.imageSize
            if p == 0 && !flip {
                for k in 0..<(h * w * c) { o[k] = Float(img[k]) }
            } else {
                // Output pixel (y, x) reads (y + dy, x' + dx) where x' undoes the flip; outside is padding (0).
                for y in 0..<h {
                    let sy = y + (p == 0 ? 0 : dy)
                    for x in 0..<w {
                        let sx = (flip ? w - 1 - x : x) + (p == 0 ? 0 : dx)
                        let dst = o + (y * w + x) * c
                        if sy < 0 || sy >= h || sx < 0 || sx >= w {
                            for k in 0..<c { dst[k] = 0 }
                        } else {
                            let s = img + (sy * w + sx) * c
                            for k in 0..<c { dst[k] = Float(s[k]) }
                        }
                    }
                }
            }
            o += h * w * c
        }
    }
}
