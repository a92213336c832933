import Datasets

/// The data the victim is trained and tested on (`dataset`).
public struct DatasetSpec: Codable, Sendable, Hashable {
    public var name: DatasetName
    public var path: String?
    /// CIFAR-100's label set (ignored by the other datasets).
    public var labels: CIFAR.Labels
    public var subset: Int?
    public var publicFraction: Double
    /// Another dataset as the public split (`dataset.public_source`).
    public var publicSource: PublicSource?

    enum CodingKeys: String, CodingKey {
        case name, path, labels, subset
        case publicFraction = "public_fraction"
        case publicSource = "public_source"
    }

    /// `dataset.public_source`: a second dataset that serves as the public split.
    public struct PublicSource: Codable, Sendable, Hashable {
        public var name: DatasetName
        public var path: String?
        public var part: CINIC.Source
        public var split: CINIC.Split
    }

    /// [H, W, C] of its images.
    public var shape: [Int] { name.shape }
    public var classes: Int { name == .cifar100 ? (labels == .fine ? 100 : 20) : 10 }
    public var fullTrainCount: Int { name.trainCount }
    public var testCount: Int { name == .cinic10 ? 90_000 : 10_000 }
    public var publicCount: Int {
        guard let src = publicSource else { return Int((Double(fullTrainCount) * publicFraction).rounded(.down)) }
        // CINIC-10 splits hold 90 000 images each: 70 000 from ImageNet, 20 000 from CIFAR-10.
        switch (src.name, src.part) {
        case (.cinic10, .imagenet): return 70_000
        case (.cinic10, .cifar): return 20_000
        default: return src.name.trainCount
        }
    }
    /// Images the victim trains on.
    public var victimCount: Int { min(subset ?? Int.max, fullTrainCount - (publicSource == nil ? publicCount : 0)) }
}

/// The datasets BackdoorLab reads.
public enum DatasetName: String, Codable, Sendable, Hashable, CaseIterable {
    case fashionMNIST = "fashion_mnist"
    case cifar10, cifar100, cinic10

    /// [H, W, C].
    public var shape: [Int] { self == .fashionMNIST ? [28, 28, 1] : [32, 32, 3] }
    /// Images in its training set (CINIC-10: each split).
    public var trainCount: Int {
        switch self {
        case .fashionMNIST: return 60_000
        case .cinic10: return 90_000
        case .cifar10, .cifar100: return 50_000
        }
    }
}
