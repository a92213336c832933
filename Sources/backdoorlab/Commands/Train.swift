import ArgumentParser
import Datasets
import Foundation
import Learning
import Tensor

/// `backdoorlab train`: trains a classifier on a dataset and reports test accuracy.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier (no attack) and report its test accuracy.",
        discussion: "The default trains the thesis ResNet with one unit per group (ResNet-8) on Fashion-MNIST.")

    @OptionGroup var source: DatasetOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Passes over the training set.") var epochs: Double = 4
    @Option(help: "Images per step.") var batchSize: Int = 128
    @Option(help: "Peak learning rate (linear warm-up over the first 15% of steps, then linear decay to 0).")
    var learningRate: Float = 0.1
    @Option(help: "Weight decay.") var weightDecay: Float = 5e-4
    @Flag(help: "Random crop (4-pixel padding) and horizontal flip.") var augment = false
    @Option(help: "Seed for initialisation, order and augmentation.") var seed: UInt64 = 0
    @Option(help: "OpenBLAS threads (results are bit-identical for a fixed count).") var threads: Int?
    @Option(help: "Write the trained weights here (safetensors).") var save: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        guard epochs > 0 else { throw ValidationError("--epochs must be > 0 (got \(epochs))") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be > 0 (got \(batchSize))") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be > 0 (got \(learningRate))") }
    }

    func run() throws {
        if let threads { Parallel.configure(threads: threads) }
        let train = try source.load(.train)
        let test = try source.load(.test)
        let arch = modelOptions.architecture(for: train)
        let result = try trainToAccuracy(
            arch: arch, train: train, test: test, epochs: epochs, batchSize: batchSize,
            peak: learningRate, weightDecay: weightDecay,
            augmentation: augment ? .standard : .none, seed: seed, target: nil, log: true)
        if let save {
            do {
                try result.model.save(
                    to: save, metadata: ["architecture": "\(arch.kind.rawValue)", "steps": "\(result.steps)"])
            } catch {
                throw CLIError(message: "\(error)", code: 73)
            }
            print("saved \(save)")
        }
    }
}

struct ModelOptions: ParsableArguments {
    @Option(help: "resnet | vgg | small_cnn") var arch: String = "resnet"
    @Option(help: "Residual units per group (1 = ResNet-8, 5 = ResNet-32).") var units: Int = 1
    @Option(help: "Channels of the three groups, comma-separated.") var widths: String = "16,32,64"

    func architecture(for d: Dataset) -> Architecture {
        let kind = Architecture.Kind(rawValue: arch) ?? .resnet
        let w = widths.split(separator: ",").compactMap { Int($0) }
        var a = Architecture(kind: kind, inputShape: d.shape, classes: d.classes, widths: w, unitsPerGroup: units)
        (a.mean, a.std) = d.channelStatistics()
        return a
    }
}

struct TrainResult {
    var model: Model
    var steps: Int
    var accuracy: Double
    var seconds: Double
    var reached: Bool
}

/// Trains with momentum SGD and a one-cycle learning rate, evaluating after each epoch;
/// stops early once test accuracy reaches `target`.
func trainToAccuracy(
    arch: Architecture, train: Dataset, test: Dataset, epochs: Double, batchSize: Int, peak: Float,
    weightDecay: Float, augmentation: Augmentation, seed: UInt64, target: Double?, log: Bool
) throws -> TrainResult {
    let model = arch.build()
    model.initialize(RNG(seed: seed).split("init"))
    let steps = TrainingConfig.steps(epochs: epochs, count: train.count, batchSize: batchSize)
    let config = TrainingConfig(
        batchSize: batchSize, steps: steps,
        learningRate: .triangular(peak: peak, warmup: steps * 15 / 100, total: steps),
        augmentation: augmentation, seed: seed)
    let trainer = Trainer(
        model: model, optimizer: SGD(momentum: 0.9, weightDecay: weightDecay), config: config, dataset: train)
    let perEpoch = max(1, train.count / batchSize)
    if log {
        print(
            "training \(arch.kind.rawValue)\(arch.kind == .resnet ? "-\(arch.depth)" : "") (\(model.parameterCount) parameters) on \(train.name): \(steps) steps of \(batchSize), threads \(Parallel.threads)"
        )
    }
    let start = Date()
    var acc = 0.0
    var lossSum: Float = 0
    var lossCount = 0
    while trainer.step < steps {
        lossSum += trainer.runStep()
        lossCount += 1
        if trainer.step % perEpoch == 0 || trainer.step == steps {
            acc = predict(model, on: test).accuracy
            let t = Date().timeIntervalSince(start)
            if log {
                print(
                    String(
                        format: "step %6d  epoch %5.2f  loss %.4f  test accuracy %.2f%%  %.1f s  %.0f img/s",
                        trainer.step, Double(trainer.step) / Double(perEpoch), lossSum / Float(lossCount), acc * 100, t,
                        Double(trainer.step * batchSize) / t))
                fflush(nil)
            }
            lossSum = 0
            lossCount = 0
            if let target, acc >= target {
                return TrainResult(
                    model: model, steps: trainer.step, accuracy: acc, seconds: Date().timeIntervalSince(start),
                    reached: true)
            }
        }
    }
    return TrainResult(
        model: model, steps: trainer.step, accuracy: acc, seconds: Date().timeIntervalSince(start),
        reached: target.map { acc >= $0 } ?? true)
}
