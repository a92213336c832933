import Backdoor
import Datasets
import Foundation
import Tensor

extension Stage.Kind { public static let dataset = DatasetStage.name }

/// Splits a dataset into the victim's training set and the public split, and records the victim's
/// channel statistics. Every other stage of a run reads its data through this one.
public struct DatasetStage: StageKind {
    public static let name = Stage.Kind(rawValue: "dataset")
    public static let outputsFile: String? = "meta.json"

    public var name: DatasetName
    public var path: String?
    public var labels: CIFAR.Labels
    public var subset: Int?
    public var publicFraction: Double
    public var seed: Int
    public var publicSource: DatasetSpec.PublicSource?

    /// What `meta.json` holds.
    public struct Outputs: Codable, Sendable {
        public var name: String
        public var classes: Int
        public var classNames: [String]
        public var shape: [Int]
        public var victimCount: Int
        public var publicCount: Int
        public var mean: [Double]
        public var std: [Double]

        enum CodingKeys: String, CodingKey {
            case name, classes, shape, mean, std
            case classNames = "class_names"
            case victimCount = "victim_count"
            case publicCount = "public_count"
        }
    }

    public init(_ d: DatasetSpec, seed: Int) {
        name = d.name
        path = d.path
        labels = d.labels
        subset = d.subset
        publicFraction = d.publicFraction
        self.seed = seed
        publicSource = d.publicSource
    }

    // An absent path is "default" and an absent subset "all" in the key (as since the first version).
    enum CodingKeys: String, CodingKey {
        case name, path, labels, subset, seed
        case publicFraction = "public_fraction"
        case publicSource = "public_source"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(DatasetName.self, forKey: .name)
        let p = try c.decode(String.self, forKey: .path)
        path = p == "default" ? nil : p
        subset = try? c.decode(Int.self, forKey: .subset)
        labels = try c.decode(CIFAR.Labels.self, forKey: .labels)
        publicFraction = try c.decode(Double.self, forKey: .publicFraction)
        seed = try c.decode(Int.self, forKey: .seed)
        publicSource = try c.decodeIfPresent(DatasetSpec.PublicSource.self, forKey: .publicSource)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(path ?? "default", forKey: .path)
        if let subset { try c.encode(subset, forKey: .subset) } else { try c.encode("all", forKey: .subset) }
        try c.encode(labels, forKey: .labels)
        try c.encode(publicFraction, forKey: .publicFraction)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(publicSource, forKey: .publicSource)
    }

    /// The dataset's own files.
    var source: DataSource.Source { DataSource.Source(name: name, path: path, labels: labels) }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        let d = run.dataset
        let sourceImages = publicSource == nil ? 0 : d.publicCount
        return Cost(
            memoryBytes: run.imageBytes * Double(d.fullTrainCount + d.testCount + sourceImages) * 2,
            diskBytes: run.imageBytes * Double(d.fullTrainCount + d.testCount))
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let (train, _) = try context.data.load(source)
        var order = RNG(seed: UInt64(seed)).split("public-split")
        let perm = order.permutation(train.count)
        let publicCount = Int((Double(train.count) * publicFraction).rounded(.down))
        var publicIdx = Array(perm.prefix(publicCount)).sorted()
        var victim = Array(perm.dropFirst(publicCount))
        if let src = publicSource {
            // Another dataset is the public split: all of it; the victim keeps its whole training set.
            let other = try context.data.loadPublic(src)
            guard other.shape == train.shape, other.classes == train.classes else {
                throw StageFailure(
                    "public source \(src.name.rawValue) has \(other.shape) images of \(other.classes) classes; the victim's have \(train.shape) and \(train.classes)"
                )
            }
            guard other.count > 0 else {
                throw StageFailure("public source \(src.name.rawValue) has no images (part \(src.part.rawValue))")
            }
            publicIdx = Array(0..<other.count)
        }
        if let n = subset { victim = Array(victim.prefix(n)) }
        victim.sort()
        try Artifacts.writeIndices(victim, out + "/victim.npy")
        try Artifacts.writeIndices(publicIdx, out + "/public.npy")
        let (mean, std) = train.subset(victim).channelStatistics()
        try context.write(
            Outputs(
                name: name.rawValue, classes: train.classes, classNames: train.classNames, shape: train.shape,
                victimCount: victim.count, publicCount: publicIdx.count, mean: mean.map(Double.init),
                std: std.map(Double.init)), of: DatasetStage.self, into: out)
    }
}
