import Backdoor
import Datasets
import Foundation
import Learning
import Reports
import Tensor

/// Training stages (victim, pre-training) and the checkpointed loop they share.
extension StageRunner {
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

        // Resume from the newest intact checkpoint of this exact stage, if one survived.
        var records: [[String: Any]] = []
        var losses: [[Double]] = [], window: Float = 0, windowCount = 0
        if let c = resumableCheckpoint(s) {
            try resuming(s, from: c) { dir in
                let state = try Artifacts.readJSON(dir + "/state.json")
                records = state["loss_tracking"] as? [[String: Any]] ?? []
                // The loss curve and its half-filled averaging window resume too, so training.json matches an uninterrupted run.
                // JSON keeps 15 digits: exact for these Float losses once rounded back to Float.
                losses = (state["loss_curve"] as? [[Double]] ?? []).map { $0.count == 2 ? [$0[0], Double(Float($0[1]))] : $0 }
                if let w = state["loss_window"] as? [Double], w.count == 2 { window = Float(w[0]); windowCount = Int(w[1]) }
                try model.load(from: dir + "/model.safetensors")
                try optimizer.loadState(try SafeTensors.read(dir + "/optimizer.safetensors").tensors)
                loop.resume(at: c.step)
                resumeTiming(state)
            }
            print("  resuming \(s.kind.rawValue) \(s.shortKey) at step \(c.step) of \(steps)")
            progress.resumed(at: c.step)
        }
        let every = s.runtime["checkpoint_every"]?.int ?? 1000
        let title = "\(s.kind.rawValue) \(s.shortKey)"
        if let track, records.isEmpty, loop.step == 0 { records.append(track(0, model)) }
        while loop.step < steps {
            let loss = loop.runStep()
            // A diverged training must not become a result: stop before anything of it is saved.
            try Divergence.check(loss: loss, step: loop.step)
            window += loss; windowCount += 1
            if let track, trackEvery > 0, loop.step % trackEvery == 0 || loop.step == steps { records.append(track(loop.step, model)) }
            if loop.step % max(1, steps / 100) == 0 || loop.step == steps {
                losses.append([Double(loop.step), Double(window / Float(windowCount))]); window = 0; windowCount = 0
                progress.update(title, done: loop.step, total: steps, note: String(format: "loss %.3f", losses.last![1]))
            }
            if Interrupt.killAtStep == loop.step { kill(getpid(), SIGKILL) }
            if loop.step % every == 0 && loop.step < steps || Interrupt.isRequested {
                try Divergence.check([model], step: loop.step)
                var extra: [String: Any] = ["loss_curve": losses, "loss_window": [Double(window), Double(windowCount)]]
                if track != nil { extra["loss_tracking"] = records }
                try saveCheckpoint(s, model: model, optimizer: optimizer, step: loop.step, extra: extra)
                if Interrupt.isRequested { throw Interrupted() }
            }
        }
        try Divergence.check([model], step: steps)
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

    func saveCheckpoint(_ s: Stage, model: Model, optimizer: Optimizer, step: Int, extra: [String: Any] = [:]) throws {
        try cache.saveCheckpoint(s.key, step: step) { tmp in
            try model.save(to: tmp + "/model.safetensors")
            try SafeTensors.write(optimizer.state, to: tmp + "/optimizer.safetensors")
            try Artifacts.writeJSON(extra.merging(["step": step, "seconds": elapsedSeconds]) { $1 }, tmp + "/state.json")
        }
    }

    /// The newest intact checkpoint of `s`; damaged ones are set aside with a warning.
    func resumableCheckpoint(_ s: Stage) -> Cache.Checkpoint? {
        cache.resumableCheckpoint(s.key) { message in
            FileHandle.standardError.write(Data("warning: \(message); training resumes from an earlier checkpoint or step 0\n".utf8))
        }
    }

    /// Loads a checkpoint with `load`; one that passed its checksums yet cannot be loaded is set aside, so
    /// the next run starts over instead of failing the same way every time.
    func resuming(_ s: Stage, from c: Cache.Checkpoint, _ load: (String) throws -> Void) throws {
        do {
            try load(c.directory)
        } catch {
            let dest = cache.quarantineCheckpoint(c.directory, key: s.key)
            throw StageFailure("its checkpoint at step \(c.step) cannot be loaded (\(error)); moved to \(dest), the next run starts over")
        }
    }
}
