import Datasets
import Foundation

extension Stage.Kind { public static let export = ExportStage.name }

/// A finished run's training set as the victim saw it (poisons in place), the clean test set and the
/// trained model, in formats other toolkits read: `.npy` arrays and safetensors with PyTorch's names.
/// Inputs: the dataset, the training, and the poison when the run has one. Planned by `export`.
public struct ExportStage: StageKind {
    public static let name = Stage.Kind(rawValue: "export")
    public static let outputsFile: String? = "export.json"

    /// The spec file and run label it exports (what `export.json` names).
    public var spec: String
    public var run: String

    /// What `export.json` holds, beside the arrays.
    public struct Outputs: Codable, Sendable {
        public var spec: String
        public var run: String
        public var dataset: String
        public var classNames: [String]
        /// Image shape (height, width, channels); pixels are uint8 0–255, channels last.
        public var imageShape: [Int]
        public var trainImages: Int
        public var poisonedImages: Int
        public var target: Int?
        /// The normalisation the model applies inside itself to images scaled to [0, 1].
        public var mean: [Float]
        public var std: [Float]
        public var files: [String: String]
        public var stages: [String: String]
    }

    static let files = [
        "train_images.npy": "uint8 [N, H, W, C]: the training set as the victim saw it, poisons in place",
        "train_labels.npy": "int64 [N]: its labels (a BadNets poison carries the target's)",
        "poison_indices.npy": "int64 [P]: which rows of train_images.npy are poisons",
        "test_images.npy": "uint8 [M, H, W, C]: the clean test set", "test_labels.npy": "int64 [M]",
        "model.safetensors":
            "the trained victim; tensor names and layouts as PyTorch's state_dict (conv weights [out, in, kh, kw])",
    ]

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        Cost(diskBytes: run.imageBytes * Double(run.dataset.victimCount + run.dataset.testCount))
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        var train = data.train
        var indices: [Int] = []
        var target: Int?
        if let (key, poison) = context.inputs(of: stage, PoisonStage.self).first {
            let p = try context.poison(key)
            train = p.apply(to: train)
            indices = p.indices
            target = poison.target
        }
        try Artifacts.writeImages(train.images, count: train.count, shape: train.shape, out + "/train_images.npy")
        try Artifacts.writeIndices(train.labels, out + "/train_labels.npy")
        try Artifacts.writeIndices(indices, out + "/poison_indices.npy")
        try Artifacts.writeImages(
            data.test.images, count: data.test.count, shape: data.test.shape, out + "/test_images.npy")
        try Artifacts.writeIndices(data.test.labels, out + "/test_labels.npy")
        try FileManager.default.copyItem(
            atPath: try context.dir(stage.inputs[1]) + "/model.safetensors", toPath: out + "/model.safetensors")
        let stages = [
            "dataset": stage.inputs[0], "train": stage.inputs[1], "poison": stage.inputs.dropFirst(2).first ?? "none",
        ]
        try context.write(
            Outputs(
                spec: spec, run: run, dataset: data.train.name, classNames: data.train.classNames,
                imageShape: train.shape,
                trainImages: train.count, poisonedImages: indices.count, target: target, mean: data.mean, std: data.std,
                files: ExportStage.files, stages: stages), of: ExportStage.self, into: out)
    }
}
