import Datasets

/// A backdoor trigger: a fixed function that marks 0–255 images (HWC, back to back) in place.
///
/// The patch `Trigger`, `BlendTrigger`, `SinusoidalSignal` and `WarpTrigger` conform; poisoning, the attack
/// success rate and the defences that stamp the real trigger take any of them.
public protocol ImageTrigger: Sendable {
    /// Marks `count` images of `height`×`width`×`channels` starting at `images`.
    func apply(to images: UnsafeMutablePointer<UInt8>, count: Int, height: Int, width: Int, channels: Int)
}

extension ImageTrigger {
    /// Marks one image held in an array (tests, figures).
    public func apply(to image: inout [UInt8], height h: Int, width w: Int, channels c: Int) {
        precondition(image.count == h * w * c, "image of \(image.count) values is not \(h)×\(w)×\(c)")
        image.withUnsafeMutableBufferPointer { apply(to: $0.baseAddress!, count: 1, height: h, width: w, channels: c) }
    }

    /// A copy of `dataset` with the trigger on the images at `indices` (all when nil).
    public func applied(to dataset: Dataset, indices: [Int]? = nil) -> Dataset {
        var d = dataset
        let (size, h, w, c, n) = (d.imageSize, d.height, d.width, d.channels, d.count)
        d.images.withUnsafeMutableBufferPointer { px in
            guard let base = px.baseAddress else { return }
            if let indices {
                for i in indices { apply(to: base + i * size, count: 1, height: h, width: w, channels: c) }
            } else {
                apply(to: base, count: n, height: h, width: w, channels: c)
            }
        }
        return d
    }
}

/// Rounds to the nearest 0–255 value.
@inline(__always) func clipToByte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
