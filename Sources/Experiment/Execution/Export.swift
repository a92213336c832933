import Datasets
import Foundation

/// Writes a finished run's poisoned training set and trained model to a folder, in formats other
/// toolkits read: `.npy` arrays (NumPy) and safetensors with PyTorch's parameter names.
public struct Export {
    let plan: Plan
    let cache: Cache

    public init(plan: Plan, cache: Cache) { self.plan = plan; self.cache = cache }

    /// What a run's export holds, written beside the arrays as `export.json`.
    struct Description: Codable {
        var spec: String
        var run: String
        var dataset: String
        var classNames: [String]
        /// Image shape (height, width, channels); pixels are uint8 0–255, channels last.
        var imageShape: [Int]
        var trainImages: Int
        var poisonedImages: Int
        var target: Int?
        /// The normalisation the model applies inside itself to images scaled to [0, 1].
        var mean: [Float]
        var std: [Float]
        var files: [String: String]
        var stages: [String: String]
    }

    /// Exports `run` into `dir` (created); returns the files written. Every stage it reads must be cached.
    public func write(_ run: PlannedRun, to dir: String) throws -> [String] {
        guard let trainStage = plan.stage(run.train), let datasetKey = trainStage.inputs.first else {
            throw StageFailure("the plan has no training stage for this run")
        }
        for (what, key) in [("dataset", datasetKey), ("train", run.train)] + (run.poison.map { [("poison", $0)] } ?? []) where !cache.contains(key) {
            throw StageFailure("its \(what) stage \(key.prefix(12)) is not in the cache at \(cache.root): run the spec first")
        }
        let runner = StageContext(cache: cache, progress: Progress(quiet: true), plan: plan)
        let data = try runner.preparedData(datasetKey)
        var train = data.train
        var indices: [Int] = []
        if let pk = run.poison {
            let poison = try runner.poison(pk)
            train = poison.apply(to: train)
            indices = poison.indices
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Artifacts.writeImages(train.images, count: train.count, shape: train.shape, dir + "/train_images.npy")
        try Artifacts.writeIndices(train.labels, dir + "/train_labels.npy")
        try Artifacts.writeIndices(indices, dir + "/poison_indices.npy")
        try Artifacts.writeImages(data.test.images, count: data.test.count, shape: data.test.shape, dir + "/test_images.npy")
        try Artifacts.writeIndices(data.test.labels, dir + "/test_labels.npy")
        let model = dir + "/model.safetensors"
        try? FileManager.default.removeItem(atPath: model)
        try FileManager.default.copyItem(atPath: cache.directory(run.train) + "/model.safetensors", toPath: model)
        let files = [
            "train_images.npy": "uint8 [N, H, W, C]: the training set as the victim saw it, poisons in place",
            "train_labels.npy": "int64 [N]: its labels (a BadNets poison carries the target's)",
            "poison_indices.npy": "int64 [P]: which rows of train_images.npy are poisons",
            "test_images.npy": "uint8 [M, H, W, C]: the clean test set", "test_labels.npy": "int64 [M]",
            "model.safetensors": "the trained victim; tensor names and layouts as PyTorch's state_dict (conv weights [out, in, kh, kw])",
        ]
        let d = Description(spec: run.file, run: run.label, dataset: data.train.name, classNames: data.train.classNames, imageShape: train.shape,
                            trainImages: train.count, poisonedImages: indices.count, target: run.target, mean: data.mean, std: data.std,
                            files: files, stages: ["dataset": datasetKey, "poison": run.poison ?? "none", "train": run.train])
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(d).write(to: URL(fileURLWithPath: dir + "/export.json"))
        return files.keys.sorted() + ["export.json"]
    }
}
