import Backdoor
import Foundation
import Learning

/// The run a planner is adding stages for.
struct RunContext {
    let run: ResolvedRun
    let facts: RunFacts
    /// How the run is named among a stage's users.
    let user: String
    var spec: ExperimentSpec { run.spec }
    /// The trigger as trained on (an image trigger's file is read here).
    var trigger: TriggerParameters { TriggerParameters(spec.attack.trigger, file: run.triggerFile) }
}

/// The stages of one run, section by section of its spec.
extension Planner {
    mutating func add(
        _ work: some StageKind, _ r: RunContext, inputs: [String], at path: String, checkpointEvery: Int? = nil
    ) throws -> String {
        try add(
            work, inputs: inputs, facts: r.facts, origin: r.run.mark(path), user: r.user,
            checkpointEvery: checkpointEvery)
    }

    /// Pre-training for the defended (transfer) set-up.
    mutating func pretraining(_ r: RunContext, dataset: String) throws -> String? {
        let spec = r.spec
        guard let dp = spec.defence.settings, case .on(let data, let path, let train) = dp.pretrain else { return nil }
        let t = train ?? spec.train
        let steps = t.totalSteps(count: data == .publicSplit ? spec.dataset.publicCount : 50_000)
        let work = PretrainStage(
            architecture: ArchitectureParameters(r.facts.victim), train: t.resolved(steps: steps), data: data,
            path: path ?? "default", seed: spec.sharedSeed)
        return try add(work, r, inputs: [dataset], at: "defence.pretrain", checkpointEvery: t.checkpointEvery)
    }

    /// Perturbations of the target class (clean-label attacks), shared by every fraction.
    mutating func perturbation(_ r: RunContext, dataset: String) throws -> String? {
        let spec = r.spec
        guard spec.attack.poison == .cleanLabel else { return nil }
        let target = spec.attack.target
        // Perturbations of the whole target class are shared by a spec's seeds; GAN interpolation perturbs
        // only the images the poison stage picks, so it follows the run's own seed.
        var seed = spec.sharedSeed
        let method: PerturbStage.Method
        var inputs = [dataset]
        switch spec.attack.perturbation {
        case .none: return nil
        case .gaussianNoise(let sigma): method = .gaussianNoise(sigma: sigma)
        case .pixelInterpolation(let tau, let source): method = .pixelInterpolation(tau: tau, source: source)
        case .pgd(let p):
            inputs.append(try reference(r, p, dataset: dataset))
            method = .pgd(p.resolved(shape: spec.dataset.shape))
        case .ganInterpolation(let g):
            inputs += try ganInterpolation(r, g, dataset: dataset)
            method = .ganInterpolation(count: spec.poisonCount, tau: g.tau)
            seed = spec.seed
        }
        return try add(
            PerturbStage(method: method, target: target, seed: seed), r, inputs: inputs, at: "attack.perturbation")
    }

    /// The model PGD attacks: standard or adversarially trained, white or black box.
    mutating func reference(_ r: RunContext, _ p: PGDPerturbation, dataset: String) throws -> String {
        let spec = r.spec
        let ref = p.reference
        let model = ref.model ?? (ref.isBlackBox ? .blackBoxReference : spec.model)
        let t = ref.train ?? spec.train
        let steps = t.totalSteps(count: ref.isBlackBox ? spec.dataset.publicCount : spec.dataset.victimCount)
        let adversarial = ref.isAdversarial ? adversarialTraining(r, ref.adversarial, units: p.epsilonUnits) : nil
        let work = ReferenceStage(
            architecture: ArchitectureParameters(spec.architecture(model)), train: t.resolved(steps: steps),
            training: ref.training, data: ref.data, seed: spec.sharedSeed, adversarial: adversarial)
        return try add(
            work, r, inputs: [dataset], at: "attack.perturbation.reference", checkpointEvery: t.checkpointEvery)
    }

    func adversarialTraining(_ r: RunContext, _ a: ReferenceSpec.AdversarialTraining, units: EpsilonUnits)
        -> PGDParameters
    {
        PGDParameters(
            norm: a.norm, epsilon: a.epsilon, units: units, steps: a.steps, stepSize: a.stepSize,
            randomStart: a.randomStart,
            shape: r.spec.dataset.shape)
    }

    /// The GAN and the encoding of the images that become poisons.
    mutating func ganInterpolation(_ r: RunContext, _ g: GANInterpolation, dataset: String) throws -> [String] {
        let spec = r.spec
        let classCount = spec.dataset.classes
        let target = spec.attack.target
        let classes = g.gan.classes == .all ? Array(0..<classCount) : [target, (target + 1) % classCount]
        let gan = try add(
            GANStage(gan: g.gan, classes: classes, seed: spec.sharedSeed), r, inputs: [dataset],
            at: "attack.perturbation.gan",
            checkpointEvery: max(1, g.gan.steps / 20))
        let encode = try add(
            EncodeStage(encode: g.encode, classes: classes, target: target, count: spec.poisonCount, seed: spec.seed),
            r,
            inputs: [dataset, gan], at: "attack.perturbation.encode")
        return [gan, encode]
    }

    /// The poisoned training set.
    mutating func poisoning(_ r: RunContext, dataset: String, perturb: String?) throws -> String? {
        let spec = r.spec
        let attack = spec.attack
        guard attack.poison != .none else { return nil }
        let work = PoisonStage(
            poison: attack.poison, target: attack.target, count: spec.poisonCount, trigger: r.trigger, seed: spec.seed,
            allToAll: attack.targets == .allToAll ? true : nil)
        return try add(work, r, inputs: [dataset] + (perturb.map { [$0] } ?? []), at: "attack")
    }

    /// The victim's training; a cleansing defence trains it twice (on the poisoned set, whose features the
    /// filter reads, then on what the filter keeps). Returns the training evaluated and the defence's stage.
    mutating func training(_ r: RunContext, dataset: String, poison: String?, pretrain: String?) throws -> (
        train: String, defence: String?
    ) {
        let spec = r.spec
        let inputs = [dataset] + (poison.map { [$0] } ?? []) + (pretrain.map { [$0] } ?? [])
        switch spec.defence {
        case .filtering, .spectralSignatures, .activationClustering:
            guard let poison else { return (try victim(r, defence: .none, inputs: inputs), nil) }
            return try cleansed(r, dataset: dataset, poison: poison, inputs: inputs)
        case .strip(let settings):
            // STRIP acts at inference: the victim is the undefended one (its stages shared with a run without it).
            let train = try victim(r, defence: .none, inputs: inputs)
            guard spec.attack.poison != .none else { return (train, nil) }
            let strip = try add(
                STRIPStage(settings: settings, trigger: r.trigger, target: spec.attack.target, seed: spec.seed), r,
                inputs: [dataset, train], at: "defence")
            return (train, strip)
        case .fineTuning(let settings), .finePruning(let settings):
            let before = try victim(r, defence: .none, inputs: inputs)
            let repair = try add(
                repairStage(r, settings), r, inputs: [dataset] + (poison.map { [$0] } ?? []) + [before], at: "defence",
                checkpointEvery: spec.train.checkpointEvery)
            return (repair, repair)
        case .abl(let settings):
            return try antiBackdoor(r, settings, dataset: dataset, poison: poison, inputs: inputs)
        case .neuralCleanse(let settings):
            return try neuralCleanse(r, settings, dataset: dataset, poison: poison, inputs: inputs)
        case .none, .dpSGD, .sgdBaseline:
            return (try victim(r, defence: spec.defence, inputs: inputs), nil)
        }
    }

    /// A cleansing defence: the detector (the thesis's filter classifier, or the undefended victim's
    /// features), its removals, and the victim retrained on the rest.
    mutating func cleansed(_ r: RunContext, dataset: String, poison: String, inputs: [String]) throws -> (
        train: String, defence: String?
    ) {
        let spec = r.spec
        let detector: String
        if case .filtering(let settings) = spec.defence {
            // The thesis's filter classifier, inspecting as many images as the defence removes.
            let t = settings.train
            detector = try add(
                DetectStage(
                    train: t.resolved(steps: t.totalSteps(count: settings.cleanImages)),
                    cleanImages: settings.cleanImages,
                    inspect: max(1, Int((settings.remove * Double(spec.poisonCount)).rounded())),
                    architecture: ArchitectureParameters(r.facts.victim), seed: spec.seed), r,
                inputs: [dataset, poison], at: "defence", checkpointEvery: t.checkpointEvery)
        } else {
            detector = try victim(r, defence: .none, inputs: inputs)
        }
        let filter = try add(
            FilterStage(method: spec.defence, target: spec.attack.target, poisons: spec.poisonCount, seed: spec.seed),
            r,
            inputs: [dataset, poison, detector], at: "defence")
        return (try victim(r, defence: spec.defence, inputs: [dataset, poison, filter]), filter)
    }

    /// ABL: the victim trained with local gradient ascent (isolating its lowest-loss images), then the
    /// unlearning of those images.
    mutating func antiBackdoor(
        _ r: RunContext, _ settings: ABLSettings, dataset: String, poison: String?, inputs: [String]
    ) throws -> (train: String, defence: String?) {
        let spec = r.spec
        let trained = try victim(r, defence: spec.defence, inputs: inputs)
        let isolated = Int((settings.isolationRate * Double(spec.dataset.victimCount)).rounded())
        var unlearning = repairStage(
            r,
            RepairSettings(
                cleanFraction: 1, epochs: settings.unlearningEpochs, learningRate: settings.unlearningRate,
                batchSize: 64, maxAccuracyDrop: nil))
        unlearning.cleanImages = 0
        unlearning.train.steps = TrainingConfig.steps(
            epochs: settings.unlearningEpochs, count: max(1, isolated), batchSize: 64)
        let repair = try add(
            unlearning, r, inputs: [dataset] + (poison.map { [$0] } ?? []) + [trained], at: "defence",
            checkpointEvery: spec.train.checkpointEvery)
        return (repair, repair)
    }

    /// Neural Cleanse: every class's reversed trigger on the undefended victim, then the unlearning.
    mutating func neuralCleanse(
        _ r: RunContext, _ settings: CleanseSettings, dataset: String, poison: String?, inputs: [String]
    ) throws -> (train: String, defence: String?) {
        let spec = r.spec
        let before = try victim(r, defence: .none, inputs: inputs)
        let poisonInput = poison.map { [$0] } ?? []
        let clean = Int((settings.repair.cleanFraction * Double(spec.dataset.victimCount)).rounded())
        let reverse = try add(
            ReverseStage(
                settings: settings.reverse, threshold: settings.threshold, cleanImages: clean, seed: spec.seed,
                trigger: poison.map { _ in r.trigger }),
            r, inputs: [dataset] + poisonInput + [before], at: "defence")
        let repair = try add(
            repairStage(r, settings.repair), r, inputs: [dataset] + poisonInput + [before, reverse], at: "defence",
            checkpointEvery: spec.train.checkpointEvery)
        return (repair, reverse)
    }

    /// Fine-tuning (after fine-pruning, for that kind) of the victim on a clean share of its training set.
    func repairStage(_ r: RunContext, _ settings: RepairSettings) -> RepairStage {
        let spec = r.spec
        let clean = Int((settings.cleanFraction * Double(spec.dataset.victimCount)).rounded())
        let decay: Double
        switch spec.train.optimizer {
        case .momentum(_, let d), .adam(_, _, let d): decay = d
        }
        let train = TrainingParameters(
            optimizer: .momentum(momentum: 0.9, weightDecay: decay), batchSize: settings.batchSize,
            steps: TrainingConfig.steps(epochs: settings.epochs, count: clean, batchSize: settings.batchSize),
            learningRate: .constant(settings.learningRate), cropPadding: 0, flip: false,
            perImageStandardization: r.facts.victim.perImageStandardization)
        return RepairStage(
            method: spec.defence, architecture: ArchitectureParameters(r.facts.victim), train: train,
            cleanImages: clean,
            seed: spec.seed)
    }

    /// One training of the victim's network with `defence` on `inputs`.
    mutating func victim(_ r: RunContext, defence: DefenceSpec, inputs: [String]) throws -> String {
        let spec = r.spec
        let steps = spec.train.totalSteps(count: spec.dataset.victimCount)
        let work = TrainStage(
            architecture: ArchitectureParameters(r.facts.victim), train: spec.train.resolved(steps: steps),
            defence: defence, seed: spec.seed, learningRateScale: defence.settings == nil ? nil : 1,
            lossTracking: spec.lossTracking.enabled ? spec.lossTracking : nil)
        return try add(work, r, inputs: inputs, at: "train", checkpointEvery: spec.train.checkpointEvery)
    }

    /// Evaluation on the clean test set and, with an attack, the triggered one.
    mutating func evaluation(_ r: RunContext, dataset: String, train: String) throws -> String {
        let spec = r.spec
        var asr: EvaluateStage.AttackSuccessRate?
        if spec.attack.poison != .none {
            var t = r.trigger
            if let a = spec.evaluate.attackSuccessRate.amplitude { t.amplitude = a }
            if let a = spec.evaluate.attackSuccessRate.alpha { t.alpha = a }
            asr = .init(
                exclude: spec.evaluate.attackSuccessRate.exclude, trigger: t, target: spec.attack.target,
                allToAll: spec.attack.targets == .allToAll ? true : nil)
        }
        return try add(
            EvaluateStage(perClass: spec.evaluate.perClass, attackSuccessRate: asr), r, inputs: [dataset, train],
            at: "evaluate")
    }

    /// Detection by filtering.
    mutating func detection(_ r: RunContext, dataset: String, poison: String) throws -> String? {
        let spec = r.spec
        let d = spec.detection
        guard d.enabled else { return nil }
        let work = DetectStage(
            train: d.train.resolved(steps: d.train.totalSteps(count: d.cleanImages)), cleanImages: d.cleanImages,
            inspect: d.inspect, architecture: ArchitectureParameters(r.facts.victim), seed: spec.seed)
        return try add(work, r, inputs: [dataset, poison], at: "detection", checkpointEvery: d.train.checkpointEvery)
    }
}
