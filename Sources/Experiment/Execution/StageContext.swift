import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

/// What a stage sees while it runs: the cache entries of its inputs (typed), the data, progress,
/// and the timing of its sittings. One per executor; stages share its loaded datasets.
public final class StageContext: @unchecked Sendable {
    let cache: Cache
    let progress: Progress
    let data = DataSource()
    let plan: Plan
    private var prepared: [String: PreparedData] = [:]

    init(cache: Cache, progress: Progress, plan: Plan) {
        self.cache = cache
        self.progress = progress
        self.plan = plan
    }

    /// When this sitting of the current stage began, and the time earlier sittings spent on it
    /// (read from the checkpoint it resumes), so a stage's timing counts all of its compute.
    private(set) var sittingStart = Date()
    private(set) var priorSeconds = 0.0
    var elapsedSeconds: Double { priorSeconds + Date().timeIntervalSince(sittingStart) }

    func beginStage() {
        sittingStart = Date()
        priorSeconds = 0
    }

    /// Called on resuming from a checkpoint that recorded `seconds` of earlier sittings.
    func resumeTiming(_ seconds: Double) { priorSeconds = seconds }

    /// The entry folder of an input.
    func dir(_ key: String) throws -> String {
        guard let v = try cache.verified(key) else { throw StageFailure("input \(key.prefix(12)) is not in the cache") }
        return v.dir
    }

    /// An input's parameters as its kind's type.
    func work<K: StageKind>(_ key: String, as kind: K.Type) throws -> K {
        guard let w = plan.stage(key)?.work as? K else {
            throw StageFailure("input \(key.prefix(12)) is not a \(K.name) stage of this plan")
        }
        return w
    }

    /// The network a training input (victim or repaired victim) left.
    func trainedModel(_ key: String, data: PreparedData) throws -> Model {
        guard let w = plan.stage(key)?.work as? any TrainsModel else {
            throw StageFailure("input \(key.prefix(12)) is not a training stage of this plan")
        }
        return try model(key, architecture: w.architecture, data: data)
    }

    /// The inputs of `stage` that are of kind `K`, with their parameters.
    func inputs<K: StageKind>(of stage: Stage, _ kind: K.Type) -> [(key: String, work: K)] {
        stage.inputs.compactMap { k in (plan.stage(k)?.work as? K).map { (k, $0) } }
    }

    /// The record an input left, read through its kind's outputs type.
    func outputs<K: StageKind>(_ key: String, of kind: K.Type) throws -> K.Outputs {
        guard let file = K.outputsFile else { throw StageFailure("\(K.name) stages leave no record") }
        let path = try dir(key) + "/" + file
        guard let d = FileManager.default.contents(atPath: path) else { throw StageFailure("\(path) is missing") }
        do {
            return try JSONDecoder().decode(K.Outputs.self, from: d)
        } catch {
            throw StageFailure("\(path) does not read as a \(K.name) record: \(error)")
        }
    }

    /// Writes a stage's record into its entry folder.
    func write<K: StageKind>(_ outputs: K.Outputs, of kind: K.Type, into out: String) throws {
        guard let file = K.outputsFile else { return }
        try Artifacts.writeJSON(outputs, out + "/" + file)
    }

    /// The victim's data as a dataset stage defined it, loaded once per process.
    func preparedData(_ datasetKey: String) throws -> PreparedData {
        if let p = prepared[datasetKey] { return p }
        let d = try dir(datasetKey)
        let spec = try work(datasetKey, as: DatasetStage.self)
        let (train, test) = try data.load(spec.source)
        let meta = try outputs(datasetKey, of: DatasetStage.self)
        let publicData = try spec.publicSource.map { try data.loadPublic($0) } ?? train
        let p = PreparedData(
            train: train.subset(try Artifacts.readIndices(d + "/victim.npy")), test: test,
            publicSplit: publicData.subset(try Artifacts.readIndices(d + "/public.npy")),
            mean: meta.mean.map(Float.init),
            std: meta.std.map(Float.init))
        prepared[datasetKey] = p
        return p
    }

    /// A poison stage's poisons.
    func poison(_ key: String) throws -> Poison {
        let d = try dir(key)
        var p = Poison(
            indices: try Artifacts.readIndices(d + "/indices.npy"), images: try Artifacts.readImages(d + "/images.npy"),
            labels: try Artifacts.readIndices(d + "/labels.npy"))
        // WaNet's noise-mode images, when the attack made them.
        if FileManager.default.fileExists(atPath: d + "/noise_indices.npy") {
            p.noiseIndices = try Artifacts.readIndices(d + "/noise_indices.npy")
            p.noiseImages = try Artifacts.readImages(d + "/noise_images.npy")
        }
        return p
    }

    /// A perturb stage's images, by victim-set index.
    func perturbedImages(_ key: String, imageSize size: Int) throws -> [Int: ArraySlice<UInt8>] {
        let d = try dir(key)
        let idx = try Artifacts.readIndices(d + "/indices.npy")
        let px = try Artifacts.readImages(d + "/images.npy")
        return Dictionary(uniqueKeysWithValues: idx.enumerated().map { ($1, px[($0 * size)..<(($0 + 1) * size)]) })
    }

    /// The defender's trusted clean images: `count` seeded non-poisons of the victim's training set (the
    /// stage's poison input, if any, says which images are poisons).
    func trustedCleanImages(_ count: Int, of stage: Stage, data: PreparedData, seed: Int) throws -> Dataset {
        let poisons = try inputs(of: stage, PoisonStage.self).first.map { try poison($0.key).indices } ?? []
        return data.train.subset(
            FilteringDetection.cleanImages(
                count: count, of: data.train.count, poisons: Set(poisons), seed: UInt64(seed)))
    }

    /// A trained model of a training stage (victim, reference).
    func model(_ key: String, architecture: ArchitectureParameters, data: PreparedData) throws -> Model {
        let model = architecture.architecture(mean: data.mean, std: data.std).build()
        try model.load(from: try dir(key) + "/model.safetensors")
        return model
    }
}

/// The victim's data as the dataset stage defined it.
struct PreparedData {
    /// The victim's training set.
    var train: Dataset
    var test: Dataset
    var publicSplit: Dataset
    var mean: [Float]
    var std: [Float]
}
