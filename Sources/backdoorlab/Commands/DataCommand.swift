import ArgumentParser
import Datasets

/// `backdoorlab data info`: what a dataset directory holds.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect datasets.",
        subcommands: [Info.self])

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the size, shape and class counts of a dataset.")
        @OptionGroup var source: DatasetOptions

        func run() throws {
            for split in [Split.train, .test] {
                let d = try source.load(split)
                print("\(d.name): \(d.count) images \(d.height)×\(d.width)×\(d.channels), \(d.classes) classes")
                for (i, n) in d.classCounts.enumerated() { print("  \(i) \(d.classNames[i]): \(n)") }
            }
        }
    }
}

/// Which dataset to read, shared by the commands that train.
struct DatasetOptions: ParsableArguments {
    @Option(help: "fashion_mnist | cifar10 | cifar100 | cinic10 (as in specs; fashion-mnist is accepted too)")
    var dataset: String = "fashion_mnist"
    @Option(help: "Directory of the dataset's files (default: the Debian package's for Fashion-MNIST).")
    var dataDir: String?

    func load(_ split: Split) throws -> Dataset {
        do {
            // The spec language's names, with the hyphenated spelling of earlier versions still understood.
            switch dataset.replacingOccurrences(of: "-", with: "_") {
            case "fashion_mnist":
                return try FashionMNIST.load(directory: dataDir ?? FashionMNIST.defaultDirectory, split: split)
            case "cifar10": return try CIFAR.loadCIFAR10(directory: try required(), split: split)
            case "cifar100": return try CIFAR.loadCIFAR100(directory: try required(), split: split, labels: .coarse)
            case "cinic10": return try CINIC.load(directory: try required(), split: split == .train ? .train : .test)
            default:
                throw ValidationError(
                    "unknown dataset '\(dataset)' (expected fashion_mnist, cifar10, cifar100 or cinic10)")
            }
        } catch let e as DatasetError {
            throw CLIError(message: e.description, code: e.reason == .missing ? 66 : 65)
        }
    }

    private func required() throws -> String {
        guard let d = dataDir else { throw ValidationError("--data-dir is required for \(dataset)") }
        return d
    }
}
