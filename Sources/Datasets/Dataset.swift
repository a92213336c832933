/// Labelled images: UInt8 pixels, HWC per image on the 0–255 scale, images back to back.
public struct Dataset: Sendable, Equatable {
    public var name: String
    public var height: Int, width: Int, channels: Int
    public var images: [UInt8]
    public var labels: [Int]
    public var classNames: [String]

    public init(
        name: String, height: Int, width: Int, channels: Int, images: [UInt8], labels: [Int], classNames: [String]
    ) {
        precondition(images.count == labels.count * height * width * channels, "images and labels disagree")
        self.name = name
        self.height = height
        self.width = width
        self.channels = channels
        self.images = images
        self.labels = labels
        self.classNames = classNames
    }

    public var count: Int { labels.count }
    public var classes: Int { classNames.count }
    public var imageSize: Int { height * width * channels }
    public var shape: [Int] { [height, width, channels] }

    /// Pixels of image `i`.
    public func image(_ i: Int) -> ArraySlice<UInt8> { images[(i * imageSize)..<((i + 1) * imageSize)] }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int], name: String? = nil) -> Dataset {
        var px = [UInt8]()
        px.reserveCapacity(indices.count * imageSize)
        for i in indices { px.append(contentsOf: image(i)) }
        return Dataset(
            name: name ?? self.name, height: height, width: width, channels: channels,
            images: px, labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// Indices of the images labelled `label`, in dataset order.
    public func indices(of label: Int) -> [Int] { labels.indices.filter { labels[$0] == label } }

    /// Images per class.
    public var classCounts: [Int] {
        var c = Array(repeating: 0, count: classes)
        for l in labels where l >= 0 && l < classes { c[l] += 1 }
        return c
    }

    /// Per-channel mean and standard deviation on the [0, 1] scale (the fixed input normalisation).
    public func channelStatistics() -> (mean: [Float], std: [Float]) {
        let c = channels
        var s = [Double](repeating: 0, count: c)
        var q = s
        images.withUnsafeBufferPointer { px in
            for i in 0..<px.count {
                let x = Double(px[i]) / 255
                s[i % c] += x
                q[i % c] += x * x
            }
        }
        let n = Double(max(1, images.count / c))
        let mean = s.map { $0 / n }
        let std = zip(q, mean).map { max(1e-6, ($0 / n) - $1 * $1).squareRoot() }
        return (mean.map(Float.init), std.map(Float.init))
    }
}
