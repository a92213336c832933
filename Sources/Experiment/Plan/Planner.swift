import Foundation
import Backdoor
import Learning

/// Turns resolved runs into a plan: the stage DAG with keys and costs.
public struct Planner {
    public var rates: Rates
    private var stages: [Stage] = []
    private var index: [String: Int] = [:]
    /// Each stage's users as a set (a dataset stage of a 10⁵-run sweep has 10⁵ of them).
    private var users: [Set<String>] = []
    private var flopsCache: [Architecture: (forward: Int, lastUnit: Int, activations: Int, parameters: Int)] = [:]

    public init(rates: Rates = .defaults) { self.rates = rates }

    public mutating func plan(_ specs: [LoadedSpec]) -> Plan {
        var runs: [PlannedRun] = []
        for spec in specs {
            var results: [String] = []
            for run in spec.runs {
                let r = plan(run)
                runs.append(r)
                results += [r.evaluate] + (r.detect.map { [$0] } ?? [])
            }
            let figure = spec.runs.first?.value["report"] ?? .object([:])
            let who = spec.file
            _ = add(.report, ["file": .string(spec.file), "report": figure], inputs: results, cost: Cost(diskBytes: 1e5),
                    origin: spec.runs.first?.mark("report") ?? Mark(file: spec.file, line: 1, column: 1), user: who)
        }
        return Plan(stages: stages, runs: runs, rates: rates)
    }

    @discardableResult
    mutating func add(_ kind: Stage.Kind, _ params: [String: Value], inputs: [String], cost: Cost, origin: Mark, user: String,
                      runtime: [String: Value] = [:]) -> String {
        let p = Value.object(params)
        let key = Stage.key(kind: kind, parameters: p, inputs: inputs)
        if let i = index[key] {
            if users[i].insert(user).inserted { stages[i].users.append(user) }
            return key
        }
        index[key] = stages.count
        users.append([user])
        stages.append(Stage(kind: kind, key: key, parameters: p, inputs: inputs, cost: cost, origin: origin, users: [user], runtime: runtime))
        return key
    }

    mutating func shapeFacts(_ a: Architecture) -> (forward: Int, lastUnit: Int, activations: Int, parameters: Int) {
        if let f = flopsCache[a] { return f }
        let model = a.build()
        var shape = [1] + a.inputShape, acts = 0, last = 0
        for l in model.network.layers {
            let out = l.outputShape(shape)
            let n = out.reduce(1, *)
            if l is ResidualUnit { acts += 6 * n; last = l.flops(shape) } else { acts += 2 * n }
            shape = out
        }
        last += model.network.layers.last?.flops(shape) ?? 0
        let f = (model.flopsPerImage, last, acts, model.parameterCount)
        flopsCache[a] = f
        return f
    }

    /// FLOP/s of training-like work (forward and backward) on this network: the bench figure of the nearest ResNet.
    func rate(_ a: Architecture) -> Double {
        rates.training(for: a.inputShape, depth: a.kind == .resnet ? a.depth : 8) * 1e9
    }

    /// Cost of `steps` training steps of `batch` images; `backwardFraction` < 1 when early layers are frozen.
    mutating func trainingCost(_ a: Architecture, steps: Int, batch: Int, extraForwardBackward: Int = 0, trainableFlops: Int? = nil) -> Cost {
        let f = shapeFacts(a)
        let backward = trainableFlops.map { 2 * $0 } ?? 2 * f.forward
        // Adversarial training adds, per image, k PGD steps of a forward and an input-gradient backward.
        let perImage = Double(f.forward + backward + extraForwardBackward * 2 * f.forward)
        let flops = perImage * Double(steps * batch)
        // Forward and backward buffers per image: 1.7× the counted activations, as measured (max RSS of
        // ResNet-8 28×28×1 training at batch 1 000 and 3 000: 1.28 MB more per image).
        let memory = 1.7 * Double(f.activations * batch * 4) + Double(f.parameters * 4 * 4) + 64e6
        return Cost(flops: flops, seconds: flops / rate(a), memoryBytes: memory,
                    diskBytes: Double(f.parameters * 4 * 3))
    }

    mutating func plan(_ run: ResolvedRun) -> PlannedRun {
        let spec = ExperimentSpec(run.value)
        let v = run.value
        let user = run.label.isEmpty ? run.file : "\(run.file) [\(run.label)]"
        let d = spec.dataset
        let imageBytes = Double(d.shape.reduce(1, *))
        var datasetParams: [String: Value] = ["name": .string(d.name), "path": d.path.map(Value.string) ?? .string("default"),
                                              "labels": .string(d.labels), "subset": d.subset.map(Value.int) ?? .string("all"),
                                              "public_fraction": .number(d.publicFraction), "seed": .int(spec.seed)]
        // Only when given, so the keys of specs without one stay as they were.
        if let src = d.publicSource { datasetParams["public_source"] = src }
        let sourceImages = d.publicSource == nil ? 0 : d.publicCount
        let datasetKey = add(.dataset, datasetParams,
                             inputs: [], cost: Cost(memoryBytes: imageBytes * Double(d.fullTrainCount + d.testCount + sourceImages) * 2,
                                                    diskBytes: imageBytes * Double(d.fullTrainCount + d.testCount)),
                             origin: run.mark("dataset"), user: user)
        let victim = spec.architecture()
        // Read once per run: an image trigger's file is opened here, and poison and evaluation both need it.
        let triggerParams = triggerValue(spec.trigger, file: run.triggerFile)

        // Pre-training for the defended (transfer) set-up.
        var pretrainKey: String?
        let defenceKind = spec.defence["kind"]!.string!
        if defenceKind != "none", let pre = spec.defence["pretrain"], pre.string != "none" {
            let t = ExperimentSpec.training(pre["train"] ?? v["train"]!)
            let count = pre["dataset"]!.string == "public" ? d.publicCount : 50_000
            let steps = t.totalSteps(count: count)
            pretrainKey = add(.pretrain, ["architecture": archValue(victim), "train": trainValue(t, steps: steps),
                                          "data": pre["dataset"]!, "path": pre["path"] ?? .string("default"), "seed": .int(spec.seed)],
                              inputs: [datasetKey], cost: trainingCost(victim, steps: steps, batch: t.batchSize),
                              origin: run.mark("defence.pretrain"), user: user, runtime: ["checkpoint_every": .int(t.checkpointEvery)])
        }

        // Perturbations of the target class, shared by every fraction.
        var perturbKey: String?
        let kind = spec.perturbation["kind"]!.string!
        let classCount = d.victimCount / d.classes
        if spec.poison == "clean_label", kind != "none" {
            let p = spec.perturbation
            var params: [String: Value] = ["kind": .string(kind), "target": .int(spec.target), "seed": .int(spec.seed)]
            var inputs = [datasetKey]
            var cost = Cost(flops: Double(classCount) * imageBytes * 4, diskBytes: Double(classCount) * imageBytes)
            let origin = run.mark("attack.perturbation")
            switch kind {
            case "pgd":
                let ref = p["reference"]!
                let blackBox = ref["data"]!.string == "public"
                let refModel = ref["model"].map(ExperimentSpec.model)
                    ?? (blackBox ? ExperimentSpec.ModelSpec(arch: "vgg", stem: 16, widths: [64, 128, 256], unitsPerGroup: 2) : spec.model)
                let refArch = spec.architecture(refModel)
                let t = ref["train"].map(ExperimentSpec.training) ?? spec.train
                let steps = t.totalSteps(count: blackBox ? d.publicCount : d.victimCount)
                var refParams: [String: Value] = ["architecture": archValue(refArch), "train": trainValue(t, steps: steps),
                                                  "training": ref["training"]!, "data": ref["data"]!, "seed": .int(spec.seed)]
                var pgdSteps = 0
                if ref["training"]!.string == "adversarial" {
                    let adv = ref["adversarial"]!
                    refParams["adversarial"] = .object(resolvedPGD(adv, shape: d.shape, units: p["epsilon_units"]!.string!))
                    pgdSteps = adv["steps"]!.int!
                }
                let refKey = add(.train_reference, refParams, inputs: [datasetKey],
                                 cost: trainingCost(refArch, steps: steps, batch: t.batchSize, extraForwardBackward: pgdSteps),
                                 origin: run.mark("attack.perturbation.reference"), user: user,
                                 runtime: ["checkpoint_every": .int(t.checkpointEvery)])
                inputs.append(refKey)
                params.merge(resolvedPGD(p, shape: d.shape, units: p["epsilon_units"]!.string!)) { $1 }
                let f = Double(shapeFacts(refArch).forward)
                cost.flops = Double(classCount) * Double(p["steps"]!.int!) * 2 * f
                // The reference network's own rate: a ResNet-8 runs at 89 GFLOP/s here, a ResNet-32 at 113.
                cost.seconds = cost.flops / rate(refArch)
                cost.memoryBytes = Double(shapeFacts(refArch).activations * 500 * 4)
            case "gaussian_noise":
                params["sigma"] = p["sigma"]!
            case "pixel_interpolation":
                params["tau"] = p["tau"]!; params["source"] = p["source"]!
            default: // gan_interpolation
                let gan = p["gan"]!, enc = p["encode"]!
                let classes: [Value] = gan["classes"]!.string == "all" ? (0..<d.classes).map(Value.int)
                    : [.int(spec.target), .int((spec.target + 1) % d.classes)]
                // WGAN-GP on the chosen classes; its cost from the generator's and critic's layer shapes.
                var config = WGAN.Config()
                config.latent = gan["latent"]!.int!; config.kernel = gan["kernel"]!.int!; config.steps = gan["steps"]!.int!
                config.criticSteps = gan["critic_steps"]!.int!; config.batchSize = gan["batch_size"]!.int!
                let ganCost = Double(config.steps) * WGAN.flopsPerStep(config, imageShape: d.shape)
                let ganKey = add(.train_gan, ["gan": gan, "classes": .list(classes), "seed": .int(spec.seed)], inputs: [datasetKey],
                                 cost: Cost(flops: ganCost, seconds: ganCost / (rates.gan(for: d.shape).training * 1e9),
                                            memoryBytes: Double(config.batchSize) * imageBytes * 4 * 40 + 2e8, diskBytes: 2e7),
                                 origin: run.mark("attack.perturbation.gan"), user: user,
                                 runtime: ["checkpoint_every": .int(max(1, config.steps / 20))])
                // Only the images that become poisons are encoded, with as many images of other classes to move towards.
                let g = Double(Generator(latent: config.latent, imageShape: d.shape, kernel: config.kernel).flopsPerImage)
                let n = spec.poisonCount
                let encCost = Double(2 * n) * Double(enc["steps"]!.int!) * 3 * g
                let encKey = add(.encode, ["encode": enc, "classes": .list(classes), "target": .int(spec.target), "count": .int(n),
                                           "seed": .int(spec.seed)], inputs: [datasetKey, ganKey],
                                 cost: Cost(flops: encCost, seconds: encCost / (rates.gan(for: d.shape).encode * 1e9), memoryBytes: 3e8,
                                            diskBytes: Double(2 * n * gan["latent"]!.int!) * 4),
                                 origin: run.mark("attack.perturbation.encode"), user: user)
                inputs += [ganKey, encKey]
                params["count"] = .int(n)
                params["tau"] = p["tau"]!
                cost = Cost(flops: Double(n) * g, seconds: Double(n) * g / (rates.inference * 1e9), memoryBytes: 2e8,
                            diskBytes: Double(n) * imageBytes)
            }
            perturbKey = add(.perturb, params, inputs: inputs, cost: cost, origin: origin, user: user)
        }

        // Poisoned training set.
        var poisonKey: String?
        if spec.poison != "none" {
            let t = spec.trigger
            let n = spec.poisonCount
            poisonKey = add(.poison, ["poison": .string(spec.poison), "target": .int(spec.target), "count": .int(n),
                                      "trigger": triggerParams, "seed": .int(spec.seed)],
                            inputs: [datasetKey] + (perturbKey.map { [$0] } ?? []),
                            cost: Cost(flops: Double(n) * imageBytes, memoryBytes: imageBytes * Double(d.victimCount) * 2,
                                       diskBytes: Double(n) * (imageBytes + 8)),
                            origin: run.mark("attack"), user: user)
        }

        // Victim training.
        let steps = spec.train.totalSteps(count: d.victimCount)
        var trainParams: [String: Value] = ["architecture": archValue(victim), "train": trainValue(spec.train, steps: steps),
                                            "defence": spec.defence, "seed": .int(spec.seed)]
        var trainable: Int?
        var batch = spec.train.batchSize
        if defenceKind != "none" {
            if spec.defence["trainable"]!.string == "last_unit" { trainable = shapeFacts(victim).lastUnit }
            batch = spec.defence["lot_size"]!.int!
            trainParams["learning_rate_scale"] = .number(1)
        }
        if spec.lossTracking["enabled"]!.bool! { trainParams["loss_tracking"] = spec.lossTracking }
        var trainCost = trainingCost(victim, steps: steps, batch: batch, trainableFlops: trainable)
        if defenceKind != "none", spec.defence["trainable"]!.string == "last_unit", spec.train.augmentation.isNone {
            // Without augmentation the frozen layers run once over the training set (DPTrainer caches
            // their outputs); each step runs only the last unit and the dense layer, forward and backward.
            let f = shapeFacts(victim)
            let flops = Double(d.victimCount) * Double(f.forward - f.lastUnit) + Double(steps * batch) * 3 * Double(f.lastUnit)
            trainCost.flops = flops
            // The widest convolutions dominate here, the core's fastest: use the best measured training rate.
            trainCost.seconds = flops / ((rates.training.map(\.gflops).max() ?? 100) * 1e9)
            trainCost.memoryBytes += Double(d.victimCount * f.activations / 8 * 4)
        }
        if spec.lossTracking["enabled"]!.bool! {
            // Each record evaluates the poisoned samples with and without the trigger, and a sample of all images.
            let records = Double(steps / spec.lossTracking["every"]!.int!)
            let extra = records * Double(2 * spec.poisonCount + 1000) * Double(shapeFacts(victim).forward)
            trainCost.flops += extra; trainCost.seconds += extra / (rates.inference * 1e9)
        }
        let trainKey = add(.train, trainParams, inputs: [datasetKey] + (poisonKey.map { [$0] } ?? []) + (pretrainKey.map { [$0] } ?? []),
                           cost: trainCost, origin: run.mark("train"), user: user,
                           runtime: ["checkpoint_every": .int(spec.train.checkpointEvery)])

        // Evaluation: clean test set and, with an attack, the triggered one.
        let asr = spec.evaluate["attack_success_rate"]!
        var evalParams: [String: Value] = ["per_class": spec.evaluate["per_class"]!]
        var passes = 1.0
        if spec.poison != "none" {
            var tv = triggerParams
            if let a = asr["amplitude"] { tv = tv.with("amplitude", a) }
            evalParams["attack_success_rate"] = .object(["exclude": asr["exclude"]!, "trigger": tv, "target": .int(spec.target)])
            passes = 2
        }
        let evalFlops = passes * Double(d.testCount) * Double(shapeFacts(victim).forward)
        let evalKey = add(.evaluate, evalParams, inputs: [datasetKey, trainKey],
                          cost: Cost(flops: evalFlops, seconds: evalFlops / (rates.inference * 1e9),
                                     memoryBytes: Double(shapeFacts(victim).activations * 500 * 2), diskBytes: 1e4),
                          origin: run.mark("evaluate"), user: user)

        // Detection by filtering.
        var detectKey: String?
        if spec.detection["enabled"]!.bool!, let pk = poisonKey {
            let t = ExperimentSpec.training(spec.detection["train"]!)
            let clean = spec.detection["clean_images"]!.int!
            let fs = t.totalSteps(count: clean)
            var c = trainingCost(victim, steps: fs, batch: t.batchSize)
            let rank = Double(d.victimCount) * Double(shapeFacts(victim).forward)
            c.flops += rank; c.seconds += rank / (rates.inference * 1e9)
            detectKey = add(.detect, ["train": trainValue(t, steps: fs), "clean_images": .int(clean),
                                      "inspect": spec.detection["inspect"]!, "architecture": archValue(victim), "seed": .int(spec.seed)],
                            inputs: [datasetKey, pk], cost: c, origin: run.mark("detection"), user: user,
                            runtime: ["checkpoint_every": .int(t.checkpointEvery)])
        }
        return PlannedRun(file: run.file, label: run.label, point: run.point.map { ($0.key, $0.value) }, train: trainKey,
                          evaluate: evalKey, detect: detectKey, poison: poisonKey, target: spec.poison == "none" ? nil : spec.target,
                          poisonCount: spec.poisonCount, headline: asr["exclude"]!.string!, value: run.value)
    }

    func archValue(_ a: Architecture) -> Value {
        .object(["kind": .string(a.kind.rawValue), "input": .list(a.inputShape.map(Value.int)), "classes": .int(a.classes),
                 "stem": .int(a.stem), "widths": .list(a.widths.map(Value.int)), "units_per_group": .int(a.unitsPerGroup),
                 "per_image_standardization": .bool(a.perImageStandardization)])
    }

    func trainValue(_ t: ExperimentSpec.TrainSpec, steps: Int) -> Value {
        .object(["optimizer": t.optimizer, "batch_size": .int(t.batchSize), "steps": .int(steps), "learning_rate": t.learningRate,
                 "crop_padding": .int(t.augmentation.cropPadding), "flip": .bool(t.augmentation.horizontalFlip),
                 "per_image_standardization": .bool(t.perImageStandardization)])
    }

    /// An image pattern's signs are part of the parameters, so editing the file changes the keys.
    /// (Where the file lies is not: only its name, so a moved checkout keeps its cache.)
    func triggerValue(_ t: ExperimentSpec.TriggerSpec, file: String?) -> Value {
        var v: [String: Value] = ["pattern": .string(t.pattern), "file": t.file.map(Value.string) ?? .string("none"), "size": .int(t.size),
                                  "corners": .list(t.corners.sorted().map(Value.string)), "amplitude": .number(t.amplitude)]
        if t.pattern == "image", let file {
            // Validation has read this file; an empty mask makes the stage fail with a message if it changed since.
            let signs = (try? TriggerImage.signs(path: file, size: t.size)) ?? []
            v["mask"] = .list(signs.map { .int(Int($0)) })
            v["file"] = .string((file as NSString).lastPathComponent)
        }
        return .object(v)
    }

    /// PGD parameters on the raw 0–255 scale of this dataset's images.
    func resolvedPGD(_ p: Value, shape: [Int], units: String) -> [String: Value] {
        let eps = rawEpsilon(p["epsilon"]!.double!, norm: p["norm"]!.string!, shape: shape, units: units)
        let steps = p["steps"]!.int!
        let step = p["step_size"]?.double.map { units == "thesis" ? rawEpsilon($0, norm: p["norm"]!.string!, shape: shape, units: units) : $0 }
            ?? 2.5 * eps / Double(steps)
        return ["norm": p["norm"]!, "epsilon": .number(eps), "steps": .int(steps), "step_size": .number(step),
                "random_start": p["random_start"]!]
    }

}

/// ℓ2 radii in thesis units are for 32×32×3 images; on other sizes they scale with √(values / 3072).
public func rawEpsilon(_ e: Double, norm: String, shape: [Int], units: String) -> Double {
    guard units == "thesis", norm == "l2" else { return e }
    return e * (Double(shape.reduce(1, *)) / 3072).squareRoot()
}

extension Value {
    func with(_ key: String, _ v: Value) -> Value {
        guard case var .object(o) = self else { return self }
        o[key] = v
        return .object(o)
    }
}
