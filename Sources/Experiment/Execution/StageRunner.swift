import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

/// Computes the stages this version implements, from their parameters and input entries.
final class StageRunner: @unchecked Sendable {
    let cache: Cache
    let progress: Progress
    let data = DataSource()
    var plan: Plan
    private var prepared: [String: PreparedData] = [:]

    init(cache: Cache, progress: Progress, plan: Plan) { self.cache = cache; self.progress = progress; self.plan = plan }

    /// When this sitting of the current stage began, and the time earlier sittings spent on it
    /// (read from the checkpoint it resumes), so a stage's timing counts all of its compute.
    private(set) var sittingStart = Date()
    private(set) var priorSeconds = 0.0
    var elapsedSeconds: Double { priorSeconds + Date().timeIntervalSince(sittingStart) }

    func beginStage() { sittingStart = Date(); priorSeconds = 0 }

    /// Called on resuming from a checkpoint's state.json.
    func resumeTiming(_ state: [String: Any]) { priorSeconds = state["seconds"] as? Double ?? 0 }

    func dir(_ key: String) throws -> String {
        guard let v = try cache.verified(key) else { throw StageFailure("input \(key.prefix(12)) is not in the cache") }
        return v.dir
    }

    // MARK: dataset

    func runDataset(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let (train, _) = try data.load(p)
        let seed = UInt64(p["seed"]!.int!)
        var order = RNG(seed: seed).split("public-split")
        let perm = order.permutation(train.count)
        let publicCount = Int((Double(train.count) * p["public_fraction"]!.double!).rounded(.down))
        var publicIdx = Array(perm.prefix(publicCount)).sorted()
        var victim = Array(perm.dropFirst(publicCount))
        if let src = p["public_source"] {
            // Another dataset is the public split: all of it; the victim keeps its whole training set.
            let other = try data.loadPublic(src)
            guard other.shape == train.shape, other.classes == train.classes else {
                throw StageFailure("public source \(src["name"]!.string!) has \(other.shape) images of \(other.classes) classes; the victim's have \(train.shape) and \(train.classes)")
            }
            guard other.count > 0 else { throw StageFailure("public source \(src["name"]!.string!) has no images (part \(src["part"]?.string ?? "all"))") }
            publicIdx = Array(0..<other.count)
        }
        if let n = p["subset"]?.int { victim = Array(victim.prefix(n)) }
        victim.sort()
        try Artifacts.writeIndices(victim, out + "/victim.npy")
        try Artifacts.writeIndices(publicIdx, out + "/public.npy")
        let v = train.subset(victim)
        let (mean, std) = v.channelStatistics()
        try Artifacts.writeJSON(["name": p["name"]!.string!, "classes": train.classes, "class_names": train.classNames,
                                 "shape": train.shape, "victim_count": victim.count, "public_count": publicIdx.count,
                                 "mean": mean.map(Double.init), "std": std.map(Double.init)], out + "/meta.json")
    }

    func preparedData(_ datasetKey: String) throws -> PreparedData {
        if let p = prepared[datasetKey] { return p }
        let d = try dir(datasetKey)
        let stage = plan.stage(datasetKey)!
        let (train, test) = try data.load(stage.parameters)
        let meta = try Artifacts.readJSON(d + "/meta.json")
        let publicData = try stage.parameters["public_source"].map { try data.loadPublic($0) } ?? train
        let p = PreparedData(train: train.subset(try Artifacts.readIndices(d + "/victim.npy")), test: test,
                             publicSplit: publicData.subset(try Artifacts.readIndices(d + "/public.npy")),
                             mean: (meta["mean"] as? [Double] ?? []).map(Float.init), std: (meta["std"] as? [Double] ?? []).map(Float.init))
        prepared[datasetKey] = p
        return p
    }

    // MARK: evaluate

    func runEvaluate(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let trainStage = plan.stage(s.inputs[1])!
        let model = architecture(trainStage.parameters["architecture"]!, data: data).build()
        try model.load(from: try dir(s.inputs[1]) + "/model.safetensors")
        let test = data.test
        let clean = predict(model, on: test).predicted
        var triggered: [Int]?, target: Int?
        if let asr = p["attack_success_rate"] {
            target = asr["target"]!.int!
            let t = try StageRunner.trigger(asr["trigger"]!)
            triggered = predict(model, on: t.applied(to: test)).predicted
        }
        let m = AttackMetrics.compute(labels: test.labels, clean: clean, triggered: triggered, target: target, classes: test.classes)
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(m).write(to: URL(fileURLWithPath: out + "/metrics.json"))
    }

    func metrics(_ evaluateKey: String) throws -> AttackMetrics {
        try JSONDecoder().decode(AttackMetrics.self, from: Data(contentsOf: URL(fileURLWithPath: try dir(evaluateKey) + "/metrics.json")))
    }
}
