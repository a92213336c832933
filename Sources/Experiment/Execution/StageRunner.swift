import Backdoor
import Datasets
import Foundation
import Learning
import Reports
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

    // MARK: poison

    static func trigger(_ t: Value) throws -> Trigger {
        let size = t["size"]!.int!
        let mask = t["mask"]?.list?.map { Int8($0.int!) }
        if let mask, mask.count != size * size {
            throw StageFailure("trigger file '\(t["file"]?.string ?? "")' could not be read when the plan was made; run `validate` on the spec")
        }
        return Trigger(pattern: Trigger.Pattern(rawValue: t["pattern"]!.string!) ?? .checkerboard, size: size,
                       corners: t["corners"]!.list!.compactMap { Trigger.Corner(rawValue: $0.string!) },
                       amplitude: Float(t["amplitude"]!.double!), mask: mask)
    }

    func runPoison(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let trig = try StageRunner.trigger(p["trigger"]!)
        let target = p["target"]!.int!, count = p["count"]!.int!, seed = UInt64(p["seed"]!.int!)
        let poison: Poison
        if p["poison"]!.string == "dirty_label" {
            poison = Poisoning.badNets(data.train, target: target, count: count, trigger: trig, seed: seed)
        } else {
            let available = data.train.indices(of: target).count
            guard count <= available else { throw StageFailure("asked to poison \(count) images of class \(target), which has \(available)") }
            let perturbed = try s.inputs.dropFirst().first.map { try perturbedImages($0, imageSize: data.train.imageSize) }
            poison = Poisoning.cleanLabel(data.train, target: target, count: count, trigger: trig, seed: seed, perturbed: perturbed)
        }
        try Artifacts.writeIndices(poison.indices, out + "/indices.npy")
        try Artifacts.writeIndices(poison.labels, out + "/labels.npy")
        try writeExamples(data.train, poison: poison, perturbedFrom: s.inputs.dropFirst().first, into: out)
        try Artifacts.writeImages(poison.images, count: poison.indices.count, shape: data.train.shape, out + "/images.npy")
    }

    /// examples.png: up to ten poisons, one per column — original, perturbed (when a perturbation
    /// made them), and as trained on with the trigger (thesis fig 3-4, 3-10, appendix A.3).
    func writeExamples(_ d: Dataset, poison: Poison, perturbedFrom perturbKey: String?, into out: String) throws {
        let n = min(10, poison.indices.count)
        guard n > 0 else { return }
        let size = d.imageSize
        var rows: [[UInt8]] = [poison.indices.prefix(n).flatMap { Array(d.image($0)) }]
        if let pk = perturbKey {
            let perturbed = try perturbedImages(pk, imageSize: size)
            rows.append(poison.indices.prefix(n).flatMap { Array(perturbed[$0] ?? d.image($0)) })
        }
        rows.append(Array(poison.images.prefix(n * size)))
        let grid = Dataset(name: "examples", height: d.height, width: d.width, channels: d.channels, images: rows.flatMap { $0 },
                           labels: Array(repeating: 0, count: rows.count * n), classNames: ["x"])
        try Artifacts.writeBytes(PNG.grid(grid, indices: Array(0..<(rows.count * n)), columns: n) { _ in [255, 255, 255] }, out + "/examples.png")
    }

    /// A perturb stage's images, by victim-set index.
    func perturbedImages(_ key: String, imageSize size: Int) throws -> [Int: ArraySlice<UInt8>] {
        let d = try dir(key)
        let idx = try Artifacts.readIndices(d + "/indices.npy"), px = try Artifacts.readImages(d + "/images.npy")
        return Dictionary(uniqueKeysWithValues: idx.enumerated().map { ($1, px[($0 * size)..<(($0 + 1) * size)]) })
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
        var pretrained: String?
        var poisonSets: (poisoned: Dataset, untriggered: Dataset)?
        for k in s.inputs.dropFirst() {
            switch plan.stage(k)?.kind {
            case .poison?:
                let poison = try self.poison(k)
                // The same images as trained on, and as they were before the trigger (perturbed, if they were).
                var untriggered = train.subset(poison.indices)
                untriggered.labels = poison.labels
                if let pk = plan.stage(k)?.inputs.dropFirst().first {
                    let perturbed = try perturbedImages(pk, imageSize: train.imageSize), size = train.imageSize
                    for (j, i) in poison.indices.enumerated() {
                        if let img = perturbed[i] { untriggered.images.replaceSubrange((j * size)..<((j + 1) * size), with: img) }
                    }
                }
                train = poison.apply(to: train)
                poisonSets = (train.subset(poison.indices), untriggered)
            case .pretrain?: pretrained = try dir(k) + "/model.safetensors"
            default: break
            }
        }
        var track: ((Int, Model) -> [String: Any])?
        if p["loss_tracking"] != nil, let sets = poisonSets {
            var r = RNG(seed: UInt64(p["seed"]!.int!)).split("loss-tracking-sample")
            let sample = train.subset(Array(r.permutation(train.count).prefix(1000)))
            track = { step, model in
                func q(_ d: Dataset) -> [Double] { let x = quartiles(predict(model, on: d).losses); return [x.q25, x.median, x.q75] }
                return ["step": step, "all": q(sample), "poisoned": q(sets.poisoned), "poisoned_without_trigger": q(sets.untriggered)]
            }
        }
        try fit(s, architecture: architecture(p["architecture"]!, data: data), train: train, pretrained: pretrained, track: track,
                trackEvery: p[path: "loss_tracking.every"]?.int ?? 0, into: out)
    }

    /// loss_tracking.csv and loss_tracking.svg (fig 4-1: medians with interquartile bands).
    func writeLossTracking(_ records: [[String: Any]], into out: String) throws {
        var csv = "step,group,q25,median,q75\n"
        for g in ["all", "poisoned", "poisoned_without_trigger"] {
            for r in records {
                guard let st = r["step"] as? Int, let v = r[g] as? [Double] else { continue }
                csv += "\(st),\(g),\(v[0]),\(v[1]),\(v[2])\n"
            }
        }
        try csv.write(toFile: out + "/loss_tracking.csv", atomically: true, encoding: .utf8)
        try LossFigure.svg(csv: csv).write(toFile: out + "/loss_tracking.svg", atomically: true, encoding: .utf8)
    }

    /// Detection by filtering (§3.2, appendix A.1): a classifier trained on a small trusted clean
    /// set ranks every training image by the probability it gives the image's label; how many
    /// poisons are among the lowest `inspect`, against the count chance would put there.
    func runDetect(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let poison = try self.poison(s.inputs[1])
        let poisoned = poison.apply(to: data.train)
        let isPoison = Set(poison.indices)
        var order = RNG(seed: UInt64(p["seed"]!.int!)).split("detection-clean")
        let clean = order.permutation(poisoned.count).filter { !isPoison.contains($0) }.prefix(p["clean_images"]!.int!)
        try fit(s, architecture: architecture(p["architecture"]!, data: data), train: poisoned.subset(Array(clean)), pretrained: nil, into: out)
        let model = architecture(p["architecture"]!, data: data).build()
        try model.load(from: out + "/model.safetensors")
        let prob = predict(model, on: poisoned).labelProbability
        let ranked = prob.indices.sorted { (prob[$0], $0) < (prob[$1], $1) }
        let k = min(p["inspect"]!.int!, ranked.count)
        let found = ranked.prefix(k).filter(isPoison.contains).count
        let expected = Double(k) * Double(isPoison.count) / Double(max(poisoned.count, 1))
        let accuracy = predict(model, on: data.test).accuracy
        try Artifacts.writeJSON(["inspect": k, "poisons": isPoison.count, "found": found, "expected_by_chance": expected,
                                 "ratio_to_chance": expected > 0 ? Double(found) / expected : 0, "filter_test_accuracy": accuracy,
                                 "lowest": Array(ranked.prefix(k))], out + "/detection.json")
        // The 20 lowest-ranked images, poisons framed in red (thesis appendix A.1).
        let png = PNG.grid(poisoned, indices: Array(ranked.prefix(20)), columns: 10) { isPoison.contains($0) ? [220, 30, 30] : [200, 200, 200] }
        try Artifacts.writeBytes(png, out + "/lowest.png")
    }

    static func pgd(_ p: Value) -> PGD {
        PGD(norm: PGD.Norm(rawValue: p["norm"]!.string!) ?? .l2, epsilon: Float(p["epsilon"]!.double!), steps: p["steps"]!.int!,
            stepSize: Float(p["step_size"]!.double!), randomStart: p["random_start"]!.bool!)
    }

    /// The model perturbations are crafted against: standard or PGD adversarial training, on the
    /// victim's data or (black box) the public split.
    func runReference(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let train = p["data"]!.string == "public" ? data.publicSplit : data.train
        guard train.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
        let adversarial = p["training"]!.string == "adversarial" ? StageRunner.pgd(p["adversarial"]!) : nil
        try fit(s, architecture: architecture(p["architecture"]!, data: data), train: train, pretrained: nil, adversarial: adversarial, into: out)
        // How robust it came out: accuracy on clean and on PGD-attacked test images (20 steps, same ε).
        let model = architecture(p["architecture"]!, data: data).build()
        try model.load(from: out + "/model.safetensors")
        let sample = data.test.subset(Array(0..<min(1000, data.test.count)))
        let clean = predict(model, on: sample).accuracy
        var robust: Double?
        if let a = adversarial {
            var attack = a; attack.steps = 20; attack.stepSize = 2.5 * a.epsilon / 20
            let px = Perturbations.pgd(sample, indices: Array(0..<sample.count), model: model, attack: attack, seed: 99)
            var attacked = sample; attacked.images = px
            robust = predict(model, on: attacked).accuracy
        }
        var info = try Artifacts.readJSON(out + "/training.json")
        info["test_accuracy"] = clean
        if let robust { info["adversarial_test_accuracy"] = robust }
        try Artifacts.writeJSON(info, out + "/training.json")
    }

    /// Perturbed versions of every training image of the target class (shared by all fractions).
    func runPerturb(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let target = p["target"]!.int!, seed = UInt64(p["seed"]!.int!)
        var indices = data.train.indices(of: target)
        let images: [UInt8]
        switch p["kind"]!.string! {
        case "gan_interpolation":
            (indices, images) = try ganInterpolation(s, data: data, into: out)
        case "gaussian_noise":
            images = Perturbations.gaussianNoise(data.train, indices: indices, sigma: Float(p["sigma"]!.double!), seed: seed)
        case "pixel_interpolation":
            let source = p["source"]!.string == "public" ? data.publicSplit : data.train
            guard source.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
            images = Perturbations.pixelInterpolation(data.train, indices: indices, tau: Float(p["tau"]!.double!), source: source, seed: seed)
        case "pgd":
            let refStage = plan.stage(s.inputs[1])!
            let model = architecture(refStage.parameters["architecture"]!, data: data).build()
            try model.load(from: try dir(s.inputs[1]) + "/model.safetensors")
            let title = "perturb \(s.shortKey)"
            images = Perturbations.pgd(data.train, indices: indices, model: model, attack: StageRunner.pgd(p), seed: seed) { done, total in
                self.progress.update(title, done: min(done, total), total: total)
            }
        default:
            throw StageFailure("unknown perturbation kind '\(p["kind"]!.string!)' (a plan from another version of backdoorlab?)")
        }
        try Artifacts.writeIndices(indices, out + "/indices.npy")
        try Artifacts.writeImages(images, count: indices.count, shape: data.train.shape, out + "/images.npy")
    }

    /// Pre-training for the transfer set-up: the public split, or CIFAR-100's superclasses.
    func runPretrain(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        var arch = architecture(p["architecture"]!, data: data)
        var train = data.publicSplit
        if p["data"]!.string == "cifar100" {
            train = try self.data.load(.object(["name": .string("cifar100"), "path": p["path"]!, "labels": .string("coarse")])).train
            arch.classes = train.classes
            guard train.shape == arch.inputShape else {
                throw StageFailure("CIFAR-100 images are \(train.shape), the victim's \(arch.inputShape)")
            }
        }
        guard train.count > 0 else { throw StageFailure("the public split is empty: set dataset.public_fraction > 0") }
        try fit(s, architecture: arch, train: train, pretrained: nil, into: out)
    }

    /// Trains `architecture` as the stage's `train` (and `defence`) parameters say, checkpointing
    /// every `checkpoint_every` steps and resuming from a checkpoint left by a killed run.
    func fit(_ s: Stage, architecture arch: Architecture, train: Dataset, pretrained: String?, adversarial: PGD? = nil,
             track: ((Int, Model) -> [String: Any])? = nil, trackEvery: Int = 0, into out: String) throws {
        let p = s.parameters
        let t = p["train"]!
        let steps = t["steps"]!.int!
        let defence = p["defence"] ?? .object(["kind": .string("none")])
        let kind = defence["kind"]!.string!
        // The planner states the rate's scale in the parameters (so it is part of the key); 1 for the
        // SGD baseline, whose averaged gradient equals the thesis's summed-loss gradient ÷ microbatches.
        let schedule = ExperimentSpec.schedule(t["learning_rate"]!, total: steps).scaled(Float(p["learning_rate_scale"]?.double ?? 1))
        let config = TrainingConfig(batchSize: t["batch_size"]!.int!, steps: steps, learningRate: schedule,
                                    augmentation: Augmentation(cropPadding: t["crop_padding"]!.int!, horizontalFlip: t["flip"]!.bool!),
                                    seed: UInt64(p["seed"]!.int!))
        let model = arch.build()
        model.initialize(RNG(seed: config.seed).split("init"))
        if let pretrained { try loadMatching(model, from: pretrained) }
        if kind != "none" {
            freeze(model, trainable: defence["trainable"]!.string!, batchStatistics: defence["batch_norm"]?.string == "batch_statistics")
        }
        let opt = t["optimizer"]!
        let optimizer: Optimizer
        if opt["kind"]!.string == "adam" {
            let a = Adam(beta1: Float(opt["beta1"]!.double!), beta2: Float(opt["beta2"]!.double!), weightDecay: Float(opt["weight_decay"]!.double!))
            a.prepare(model.parameters); optimizer = a
        } else {
            let m = SGD(momentum: Float(opt["momentum"]!.double!), weightDecay: Float(opt["weight_decay"]!.double!))
            m.prepare(model.parameters); optimizer = m
        }
        let loop: TrainingLoop
        var privacy: [String: Any] = [:]
        if kind == "none" {
            let trainer = Trainer(model: model, optimizer: optimizer, config: config, dataset: train)
            if let adversarial { AdversarialTraining.install(adversarial, on: trainer, seed: config.seed) }
            loop = trainer
        } else {
            let dp = DPConfig(clip: kind == "dp_sgd" ? Float(defence["clip"]!.double!) : nil,
                              noiseMultiplier: kind == "dp_sgd" ? Float(defence["noise_multiplier"]!.double!) : 0,
                              lotSize: defence["lot_size"]!.int!, microbatches: defence["microbatches"]!.int!,
                              sampling: DPConfig.Sampling(rawValue: defence["sampling"]!.string!) ?? .poisson)
            let trainer = DPTrainer(model: model, optimizer: optimizer, config: config, dp: dp, dataset: train)
            // Without augmentation the frozen layers' outputs never change: compute them once.
            if trainer.cacheFrozenFeatures() { print("  \(s.shortKey): frozen layers' outputs cached for \(train.count) images") }
            loop = trainer
            if kind == "dp_sgd" {
                let delta = defence["delta"]!.double!
                let (eps, order) = RDPAccountant.epsilon(q: trainer.samplingRate, sigma: Double(dp.noiseMultiplier), steps: steps, delta: delta)
                privacy = ["epsilon": eps.isFinite ? eps : -1, "delta": delta, "order": order, "sampling_rate": trainer.samplingRate,
                           "accountant": dp.sampling == .poisson ? "rdp, Poisson sampling" : "rdp, Poisson sampling assumed for shuffled lots"]
            }
        }

        // Resume from the last checkpoint of this exact stage, if one survived.
        let ckpt = cache.checkpointDirectory(s.key)
        var records: [[String: Any]] = []
        var losses: [[Double]] = [], window: Float = 0, windowCount = 0
        if let state = try? Artifacts.readJSON(ckpt + "/state.json"), let step = state["step"] as? Int {
            records = state["loss_tracking"] as? [[String: Any]] ?? []
            // The loss curve and its half-filled averaging window resume too, so training.json matches an uninterrupted run.
            // JSON keeps 15 digits: exact for these Float losses once rounded back to Float.
            losses = (state["loss_curve"] as? [[Double]] ?? []).map { $0.count == 2 ? [$0[0], Double(Float($0[1]))] : $0 }
            if let w = state["loss_window"] as? [Double], w.count == 2 { window = Float(w[0]); windowCount = Int(w[1]) }
            try model.load(from: ckpt + "/model.safetensors")
            try optimizer.loadState(try SafeTensors.read(ckpt + "/optimizer.safetensors").tensors)
            loop.resume(at: step)
            resumeTiming(state)
            print("  resuming \(s.kind.rawValue) \(s.shortKey) at step \(step) of \(steps)")
            progress.resumed(at: step)
        }
        let every = s.runtime["checkpoint_every"]?.int ?? 1000
        let title = "\(s.kind.rawValue) \(s.shortKey)"
        if let track, records.isEmpty, loop.step == 0 { records.append(track(0, model)) }
        while loop.step < steps {
            window += loop.runStep(); windowCount += 1
            if let track, trackEvery > 0, loop.step % trackEvery == 0 || loop.step == steps { records.append(track(loop.step, model)) }
            if loop.step % max(1, steps / 100) == 0 || loop.step == steps {
                losses.append([Double(loop.step), Double(window / Float(windowCount))]); window = 0; windowCount = 0
                progress.update(title, done: loop.step, total: steps, note: String(format: "loss %.3f", losses.last![1]))
            }
            if Interrupt.killAtStep == loop.step { kill(getpid(), SIGKILL) }
            if loop.step % every == 0 && loop.step < steps || Interrupt.isRequested {
                var extra: [String: Any] = ["loss_curve": losses, "loss_window": [Double(window), Double(windowCount)]]
                if track != nil { extra["loss_tracking"] = records }
                try saveCheckpoint(ckpt, model: model, optimizer: optimizer, step: loop.step, extra: extra)
                if Interrupt.isRequested { throw Interrupted() }
            }
        }
        try model.save(to: out + "/model.safetensors", metadata: ["stage": s.key, "steps": "\(steps)"])
        var info: [String: Any] = ["steps": steps, "loss_curve": losses, "train_images": train.count]
        if !privacy.isEmpty { info["privacy"] = privacy }
        try Artifacts.writeJSON(info, out + "/training.json")
        if track != nil { try writeLossTracking(records, into: out) }
    }

    /// Copies every tensor of a checkpoint whose name and shape match (a new dense layer stays fresh).
    func loadMatching(_ model: Model, from path: String) throws {
        let saved = try SafeTensors.read(path).tensors
        var state = model.stateDict()
        for (k, v) in saved where state[k]?.shape == v.shape { state[k] = v }
        try model.load(stateDict: state)
    }

    /// The thesis's transfer set-up: batch norms frozen (batch statistics would mix examples, which DP
    /// forbids) and, for `last_unit`, only the last residual unit's two 3×3 convolutions and the dense layer train.
    func freeze(_ model: Model, trainable: String, batchStatistics: Bool = false) {
        func frozenNorms(_ l: Layer) {
            if let bn = l as? BatchNorm2d { bn.frozen = true }
            if let u = l as? ResidualUnit { [u.bn1, u.bn2].forEach { $0.frozen = true }; u.projection?.bn.frozen = true }
        }
        model.network.layers.forEach(frozenNorms)
        guard trainable == "last_unit" else { return }
        let lastUnit = model.network.layers.last { $0 is ResidualUnit } as? ResidualUnit
        if batchStatistics, let u = lastUnit {
            // Normalise by each microbatch's statistics, with γ and β still fixed.
            for bn in [u.bn1, u.bn2] + (u.projection.map { [$0.bn] } ?? []) {
                bn.frozen = false; bn.gamma.trainable = false; bn.beta.trainable = false
            }
        }
        let keep = Set(([lastUnit?.conv1.weight, lastUnit?.conv2.weight].compactMap { $0 }
                        + (model.network.layers.last?.parameters ?? [])).map { ObjectIdentifier($0) })
        for p in model.parameters { p.trainable = keep.contains(ObjectIdentifier(p)) }
    }

    func saveCheckpoint(_ dir: String, model: Model, optimizer: Optimizer, step: Int, extra: [String: Any] = [:]) throws {
        try swapCheckpoint(dir) { tmp in
            try model.save(to: tmp + "/model.safetensors")
            try SafeTensors.write(optimizer.state, to: tmp + "/optimizer.safetensors")
            try Artifacts.writeJSON(extra.merging(["step": step, "seconds": elapsedSeconds]) { $1 }, tmp + "/state.json")
        }
    }

    /// Writes a checkpoint's files with `write` into a fresh directory, then swaps it in for `dir`.
    func swapCheckpoint(_ dir: String, write: (String) throws -> Void) throws {
        let fm = FileManager.default
        let tmp = dir + ".tmp-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try write(tmp)
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
