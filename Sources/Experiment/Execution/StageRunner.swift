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

    static let implemented: Set<Stage.Kind> = [.dataset, .poison, .train, .evaluate, .report]

    /// Why this version cannot run `stage`, if it cannot.
    static func unsupported(_ s: Stage) -> String? {
        if !implemented.contains(s.kind) { return "stage '\(s.kind.rawValue)' is not implemented in this version" }
        let p = s.parameters
        if s.kind == .dataset, p["name"]?.string == "cinic10" { return "the cinic10 loader is not implemented in this version" }
        if s.kind == .train, p[path: "defence.kind"]?.string != "none" {
            return "the \(p[path: "defence.kind"]!.string!) defence is not implemented in this version"
        }
        if s.kind == .train, p["loss_tracking"] != nil { return "loss tracking is not implemented in this version" }
        if s.kind == .poison, p[path: "trigger.pattern"]?.string == "image" { return "image-file triggers are not implemented in this version" }
        return nil
    }

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
        let publicIdx = Array(perm.prefix(publicCount)).sorted()
        var victim = Array(perm.dropFirst(publicCount))
        if let n = p["subset"]?.int { victim = Array(victim.prefix(n)) }
        victim.sort()
        try Artifacts.writeIndices(victim, out + "/victim.npy")
        try Artifacts.writeIndices(publicIdx, out + "/public.npy")
        let v = train.subset(victim)
        let (mean, std) = channelStatistics(v)
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
        let p = PreparedData(train: train.subset(try Artifacts.readIndices(d + "/victim.npy")), test: test,
                             publicSplit: train.subset(try Artifacts.readIndices(d + "/public.npy")),
                             mean: (meta["mean"] as? [Double] ?? []).map(Float.init), std: (meta["std"] as? [Double] ?? []).map(Float.init))
        prepared[datasetKey] = p
        return p
    }

    // MARK: poison

    static func trigger(_ t: Value) -> Trigger {
        Trigger(pattern: Trigger.Pattern(rawValue: t["pattern"]!.string!) ?? .checkerboard, size: t["size"]!.int!,
                corners: t["corners"]!.list!.compactMap { Trigger.Corner(rawValue: $0.string!) }, amplitude: Float(t["amplitude"]!.double!))
    }

    func runPoison(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let trig = StageRunner.trigger(p["trigger"]!)
        let target = p["target"]!.int!, count = p["count"]!.int!, seed = UInt64(p["seed"]!.int!)
        let poison: Poison
        if p["poison"]!.string == "dirty_label" {
            poison = Poisoning.badNets(data.train, target: target, count: count, trigger: trig, seed: seed)
        } else {
            let available = data.train.indices(of: target).count
            guard count <= available else { throw StageFailure("asked to poison \(count) images of class \(target), which has \(available)") }
            poison = Poisoning.cleanLabel(data.train, target: target, count: count, trigger: trig, seed: seed)
        }
        try Artifacts.writeIndices(poison.indices, out + "/indices.npy")
        try Artifacts.writeIndices(poison.labels, out + "/labels.npy")
        try Artifacts.writeImages(poison.images, count: poison.indices.count, shape: data.train.shape, out + "/images.npy")
    }

    func poison(_ key: String) throws -> Poison {
        let d = try dir(key)
        return Poison(indices: try Artifacts.readIndices(d + "/indices.npy"), images: try Artifacts.readImages(d + "/images.npy"),
                      labels: try Artifacts.readIndices(d + "/labels.npy"))
    }

    // MARK: train

    func architecture(_ a: Value, data: PreparedData) -> Architecture {
        Architecture(kind: Architecture.Kind(rawValue: a["kind"]!.string!)!, inputShape: a["input"]!.list!.map { $0.int! },
                     classes: a["classes"]!.int!, stem: a["stem"]!.int!, widths: a["widths"]!.list!.map { $0.int! },
                     unitsPerGroup: a["units_per_group"]!.int!, perImageStandardization: a["per_image_standardization"]!.bool!,
                     mean: data.mean, std: data.std)
    }

    func runTrain(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        var train = data.train
        if let pk = s.inputs.dropFirst().first, plan.stage(pk)?.kind == .poison { train = try poison(pk).apply(to: train) }
        let arch = architecture(p["architecture"]!, data: data)
        let t = p["train"]!
        let steps = t["steps"]!.int!
        let config = TrainingConfig(batchSize: t["batch_size"]!.int!, steps: steps,
                                    learningRate: ExperimentSpec.schedule(t["learning_rate"]!, total: steps),
                                    augmentation: Augmentation(cropPadding: t["crop_padding"]!.int!, horizontalFlip: t["flip"]!.bool!),
                                    seed: UInt64(p["seed"]!.int!))
        let model = arch.build()
        model.initialize(RNG(seed: config.seed).split("init"))
        let opt = t["optimizer"]!
        let optimizer: Optimizer
        if opt["kind"]!.string == "adam" {
            let a = Adam(beta1: Float(opt["beta1"]!.double!), beta2: Float(opt["beta2"]!.double!), weightDecay: Float(opt["weight_decay"]!.double!))
            a.prepare(model.parameters); optimizer = a
        } else {
            let m = SGD(momentum: Float(opt["momentum"]!.double!), weightDecay: Float(opt["weight_decay"]!.double!))
            m.prepare(model.parameters); optimizer = m
        }
        let trainer = Trainer(model: model, optimizer: optimizer, config: config, dataset: train)

        // Resume from the last checkpoint of this exact stage, if one survived.
        let ckpt = cache.checkpointDirectory(s.key)
        if let state = try? Artifacts.readJSON(ckpt + "/state.json"), let step = state["step"] as? Int {
            try model.load(from: ckpt + "/model.safetensors")
            try optimizer.loadState(try SafeTensors.read(ckpt + "/optimizer.safetensors").tensors)
            trainer.resume(at: step)
            print("  resuming \(s.kind.rawValue) \(s.shortKey) at step \(step) of \(steps)")
        }
        let every = s.runtime["checkpoint_every"]?.int ?? 1000
        let title = "train \(s.shortKey)"
        var losses: [[Double]] = [], window: Float = 0, windowCount = 0
        while trainer.step < steps {
            window += trainer.runStep(); windowCount += 1
            if trainer.step % max(1, steps / 100) == 0 || trainer.step == steps {
                losses.append([Double(trainer.step), Double(window / Float(windowCount))]); window = 0; windowCount = 0
                progress.update(title, done: trainer.step, total: steps, note: String(format: "loss %.3f", losses.last![1]))
            }
            if Interrupt.killAtStep == trainer.step { kill(getpid(), SIGKILL) }
            if trainer.step % every == 0 && trainer.step < steps || Interrupt.isRequested {
                try saveCheckpoint(ckpt, model: model, optimizer: optimizer, step: trainer.step)
                if Interrupt.isRequested { throw Interrupted() }
            }
        }
        try model.save(to: out + "/model.safetensors", metadata: ["stage": s.key, "steps": "\(steps)"])
        try Artifacts.writeJSON(["steps": steps, "loss_curve": losses, "train_images": train.count], out + "/training.json")
    }

    func saveCheckpoint(_ dir: String, model: Model, optimizer: Optimizer, step: Int) throws {
        let fm = FileManager.default
        let tmp = dir + ".tmp-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try model.save(to: tmp + "/model.safetensors")
        try SafeTensors.write(optimizer.state, to: tmp + "/optimizer.safetensors")
        try Artifacts.writeJSON(["step": step], tmp + "/state.json")
        // Swap in the new checkpoint whole: a kill at any point leaves the old one or the new one.
        let old = dir + ".old-\(getpid())"
        try? fm.removeItem(atPath: old)
        if fm.fileExists(atPath: dir) { try fm.moveItem(atPath: dir, toPath: old) }
        try fm.moveItem(atPath: tmp, toPath: dir)
        try? fm.removeItem(atPath: old)
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
            let t = StageRunner.trigger(asr["trigger"]!)
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

/// Per-channel mean and standard deviation on the [0, 1] scale.
func channelStatistics(_ d: Dataset) -> ([Float], [Float]) {
    let c = d.channels
    var s = [Double](repeating: 0, count: c), q = s
    d.images.withUnsafeBufferPointer { px in
        for i in 0..<px.count { let x = Double(px[i]) / 255; s[i % c] += x; q[i % c] += x * x }
    }
    let n = Double(max(1, d.images.count / c))
    let mean = s.map { $0 / n }
    let std = zip(q, mean).map { max(1e-6, ($0 / n) - $1 * $1).squareRoot() }
    return (mean.map(Float.init), std.map(Float.init))
}
