import Datasets
import Foundation

/// Loads the datasets stages refer to, once per process.
final class DataSource: @unchecked Sendable {
    private var cache: [String: (train: Dataset, test: Dataset)] = [:]
    private var publicCache: [String: Dataset] = [:]

    func load(_ p: Value) throws -> (train: Dataset, test: Dataset) {
        let name = p["name"]!.string!
        let path = p["path"]?.string.flatMap { $0 == "default" ? nil : $0 }
        let id = "\(name)|\(path ?? "")|\(p["labels"]?.string ?? "")"
        if let d = cache[id] { return d }
        let d: (Dataset, Dataset)
        switch name {
        case "fashion_mnist":
            let dir = path ?? FashionMNIST.defaultDirectory
            d = (try FashionMNIST.load(directory: dir, split: .train), try FashionMNIST.load(directory: dir, split: .test))
        case "cifar10":
            d = (try CIFAR.loadCIFAR10(directory: path!, split: .train), try CIFAR.loadCIFAR10(directory: path!, split: .test))
        case "cifar100":
            let l = CIFAR.Labels(rawValue: p["labels"]?.string ?? "coarse") ?? .coarse
            d = (try CIFAR.loadCIFAR100(directory: path!, split: .train, labels: l), try CIFAR.loadCIFAR100(directory: path!, split: .test, labels: l))
        case "cinic10":
            d = (try CINIC.load(directory: path!, split: "train"), try CINIC.load(directory: path!, split: "test"))
        default:
            throw StageFailure("dataset '\(name)' has no loader in this version")
        }
        cache[id] = d
        return d
    }

    /// `dataset.public_source`: CINIC-10's chosen split and part, or another dataset's training set.
    /// Kept once per process: the dataset stage and every later stage of a run read it.
    func loadPublic(_ src: Value) throws -> Dataset {
        guard src["name"]!.string == "cinic10" else { return try load(src).train }
        let path = src["path"]!.string!, split = src["split"]?.string ?? "train", part = src["part"]?.string ?? "all"
        let id = "cinic10|\(path)|\(split)|\(part)"
        if let d = publicCache[id] { return d }
        let d = try CINIC.load(directory: path, split: split, source: CINIC.Source(rawValue: part) ?? .all)
        publicCache[id] = d
        return d
    }
}

/// A stage that could not finish, with the reason shown to the user.
public struct StageFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
