import Datasets
import Foundation

/// Loads the datasets stages refer to, once per process.
final class DataSource: @unchecked Sendable {
    /// A dataset's files: which one, where, and (CIFAR-100) which labels.
    struct Source: Hashable {
        var name: DatasetName
        var path: String?
        var labels: CIFAR.Labels
    }

    private var cache: [Source: (train: Dataset, test: Dataset)] = [:]
    private var publicCache: [DatasetSpec.PublicSource: Dataset] = [:]

    func load(_ s: Source) throws -> (train: Dataset, test: Dataset) {
        if let d = cache[s] { return d }
        func directory() throws -> String {
            guard let p = s.path else { throw StageFailure("dataset '\(s.name.rawValue)' needs a path") }
            return p
        }
        let d: (Dataset, Dataset)
        switch s.name {
        case .fashionMNIST:
            let dir = s.path ?? FashionMNIST.defaultDirectory
            d = (
                try FashionMNIST.load(directory: dir, split: .train),
                try FashionMNIST.load(directory: dir, split: .test)
            )
        case .cifar10:
            let dir = try directory()
            d = (
                try CIFAR.loadCIFAR10(directory: dir, split: .train),
                try CIFAR.loadCIFAR10(directory: dir, split: .test)
            )
        case .cifar100:
            let dir = try directory()
            let l = s.labels
            d = (
                try CIFAR.loadCIFAR100(directory: dir, split: .train, labels: l),
                try CIFAR.loadCIFAR100(directory: dir, split: .test, labels: l)
            )
        case .cinic10:
            let dir = try directory()
            d = (try CINIC.load(directory: dir, split: .train), try CINIC.load(directory: dir, split: .test))
        }
        cache[s] = d
        return d
    }

    /// `dataset.public_source`: CINIC-10's chosen split and part, or another dataset's training set.
    /// Kept once per process: the dataset stage and every later stage of a run read it.
    func loadPublic(_ src: DatasetSpec.PublicSource) throws -> Dataset {
        guard src.name == .cinic10 else {
            return try load(Source(name: src.name, path: src.path, labels: .coarse)).train
        }
        if let d = publicCache[src] { return d }
        guard let path = src.path else { throw StageFailure("public source cinic10 needs a path") }
        let d = try CINIC.load(directory: path, split: src.split, source: src.part)
        publicCache[src] = d
        return d
    }
}
