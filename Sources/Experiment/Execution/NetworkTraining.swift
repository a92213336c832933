import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

/// One network training as a stage asks for it: what to train, on what, and how.
struct NetworkTraining {
    var architecture: Architecture
    var training: TrainingParameters
    var seed: Int
    var data: Dataset
    /// Weights to start from (pre-training), matched by name and shape.
    var pretrained: String?
    var defence: DefenceSpec = .none
    /// Scale of the learning rate, which the planner states in the key (1 for every kind today).
    var rateScale: Double = 1
    /// PGD adversarial training.
    var adversarial: PGD?
    /// Loss tracking and the steps between its records.
    var tracking: (LossTracking, every: Int)?
    /// Applied to the network once its starting weights are in place, and after every step (fine-pruning
    /// keeps its pruned channels at zero this way).
    var constrain: ((Model) -> Void)?
    /// The factor on each step's loss gradient (ABL's local gradient ascent, its unlearning); nil is 1.
    var lossScale: ((Float, Int) -> Float)?
    /// ABL: at this step, the lowest-loss share of the training images is isolated (kept in the checkpoint,
    /// written as `isolated.npy`).
    var isolation: (step: Int, fraction: Double)?
}

/// A network, its optimizer and its loop: a training a checkpoint can hold.
final class ResumableNetwork: Resumable {
    let model: Model
    let optimizer: Optimizer
    let loop: TrainingLoop

    init(model: Model, optimizer: Optimizer, loop: TrainingLoop) {
        self.model = model
        self.optimizer = optimizer
        self.loop = loop
    }

    var step: Int { loop.step }
    func advance() -> Float { loop.runStep() }
    func resume(at step: Int) { loop.resume(at: step) }
    var holders: [any StateHolder] { [model] }
    func save(into dir: String) throws {
        try model.save(to: dir + "/model.safetensors")
        try SafeTensors.write(optimizer.state, to: dir + "/optimizer.safetensors")
    }
    func load(from dir: String) throws {
        try model.load(from: dir + "/model.safetensors")
        try optimizer.loadState(try SafeTensors.read(dir + "/optimizer.safetensors").tensors)
    }
}

extension StageContext {
    /// Trains as `job` says for stage `s`, checkpointing and resuming; writes `model.safetensors` (and
    /// the loss-tracking files) into `out` and returns the record for `training.json`.
    func fit(_ s: Stage, _ job: NetworkTraining, into out: String) throws -> TrainingRecord {
        let steps = job.training.steps
        let config = job.training.config(seed: job.seed, rateScale: job.rateScale)
        let model = job.architecture.build()
        model.initialize(RNG(seed: config.seed).split("init"))
        if let pretrained = job.pretrained { try loadMatching(model, from: pretrained) }
        job.constrain?(model)
        let optimizer = job.training.optimizer.make(for: model.parameters)
        let (loop, privacy) = trainingLoop(s, job, model: model, optimizer: optimizer, config: config)
        let network = ResumableNetwork(model: model, optimizer: optimizer, loop: loop)

        var state = TrainingState()
        if let (tracker, _) = job.tracking { state.lossTracking = [tracker.record(step: 0, model: model)] }
        try runCheckpointed(s, network, total: steps, state: &state) { step, loss, state in
            job.constrain?(model)
            if let iso = job.isolation, step == iso.step {
                state.isolated = AntiBackdoorLearning.isolate(
                    losses: predict(model, on: job.data).losses, fraction: iso.fraction)
            }
            // Summed in Float, as the losses are: a resumed curve matches an uninterrupted one bit for bit.
            state.lossWindow[0] = Double(Float(state.lossWindow[0]) + loss)
            state.lossWindow[1] += 1
            if let (tracker, every) = job.tracking, every > 0, step % every == 0 || step == steps {
                state.lossTracking?.append(tracker.record(step: step, model: model))
            }
            guard step % max(1, steps / 100) == 0 || step == steps else { return nil }
            let mean = Double(Float(state.lossWindow[0]) / Float(state.lossWindow[1]))
            state.lossCurve.append([Double(step), mean])
            state.lossWindow = [0, 0]
            return String(format: "loss %.3f", mean)
        }
        try model.save(to: out + "/model.safetensors", metadata: ["stage": s.key, "steps": "\(steps)"])
        if let isolated = state.isolated { try Artifacts.writeIndices(isolated, out + "/isolated.npy") }
        if let records = state.lossTracking {
            let csv = LossTracking.csv(records)
            try csv.write(toFile: out + "/loss_tracking.csv", atomically: true, encoding: .utf8)
            try LossFigure.svg(LossTracking.records(csv: csv)).write(
                toFile: out + "/loss_tracking.svg", atomically: true, encoding: .utf8)
        }
        return TrainingRecord(steps: steps, lossCurve: state.lossCurve, trainImages: job.data.count, privacy: privacy)
    }

    /// The loop for `job`: plain (or adversarial) training, or DP-SGD and its baseline with their privacy.
    private func trainingLoop(
        _ s: Stage, _ job: NetworkTraining, model: Model, optimizer: Optimizer, config: TrainingConfig
    ) -> (TrainingLoop, PrivacyRecord?) {
        guard let dp = job.defence.settings else {
            let trainer = Trainer(model: model, optimizer: optimizer, config: config, dataset: job.data)
            if let adversarial = job.adversarial {
                AdversarialTraining.install(adversarial, on: trainer, seed: config.seed)
            }
            trainer.lossGradientScale = job.lossScale
            return (trainer, nil)
        }
        model.freeze(keeping: dp.trainable, batchStatistics: dp.batchNorm == .batchStatistics)
        let isPrivate: Bool
        if case .dpSGD = job.defence { isPrivate = true } else { isPrivate = false }
        let settings = DPConfig(
            clip: isPrivate ? Float(dp.clip) : nil, noiseMultiplier: isPrivate ? Float(dp.noiseMultiplier) : 0,
            lotSize: dp.lotSize, microbatches: dp.microbatches, sampling: dp.sampling)
        let trainer = DPTrainer(model: model, optimizer: optimizer, config: config, dp: settings, dataset: job.data)
        // Without augmentation the frozen layers' outputs never change: compute them once.
        if trainer.cacheFrozenFeatures() {
            print("  \(s.shortKey): frozen layers' outputs cached for \(job.data.count) images")
        }
        guard isPrivate else { return (trainer, nil) }
        let (eps, order) = RDPAccountant.epsilon(
            q: trainer.samplingRate, sigma: Double(settings.noiseMultiplier), steps: config.steps, delta: dp.delta)
        let accountant =
            settings.sampling == .poisson ? "rdp, Poisson sampling" : "rdp, Poisson sampling assumed for shuffled lots"
        return (
            trainer,
            PrivacyRecord(
                epsilon: eps, delta: dp.delta, order: order, samplingRate: trainer.samplingRate, accountant: accountant)
        )
    }

    /// Copies every tensor of a checkpoint whose name and shape match (a new dense layer stays fresh).
    func loadMatching(_ model: Model, from path: String) throws {
        let saved = try SafeTensors.read(path).tensors
        var state = model.stateDict()
        for (k, v) in saved where state[k]?.shape == v.shape { state[k] = v }
        try model.load(stateDict: state)
    }
}

/// What a checkpoint of a network training holds besides the tensors.
struct TrainingState: CheckpointState {
    var step = 0
    var seconds = 0.0
    var lossCurve: [[Double]] = []
    /// The loss averaging window in progress: [sum, count].
    var lossWindow: [Double] = [0, 0]
    var lossTracking: [LossTracking.Record]?
    /// ABL's isolated images, once isolated.
    var isolated: [Int]?

    enum CodingKeys: String, CodingKey {
        case step, seconds, isolated
        case lossCurve = "loss_curve"
        case lossWindow = "loss_window"
        case lossTracking = "loss_tracking"
    }
}
