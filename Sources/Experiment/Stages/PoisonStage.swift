import Backdoor
import Datasets
import Foundation

extension Stage.Kind { public static let poison = PoisonStage.name }

/// Which training images change, and how: BadNets (dirty label, all-to-one or all-to-all) or the
/// clean-label attack on (perturbed) images of the target class, with any trigger; WaNet's noise-mode
/// images besides. Inputs: the dataset, then the perturbation if any.
public struct PoisonStage: StageKind {
    public static let name = Stage.Kind(rawValue: "poison")

    public var poison: AttackSpec.Poisoning
    public var target: Int
    public var count: Int
    public var trigger: TriggerParameters
    public var seed: Int
    /// All-to-all: class y's poisons are labelled y + 1 (absent for all-to-one, so older keys hold).
    public var allToAll: Bool?

    enum CodingKeys: String, CodingKey {
        case poison, target, count, trigger, seed
        case allToAll = "all_to_all"
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        let n = Double(count)
        return Cost(
            flops: n * run.imageBytes, memoryBytes: run.imageBytes * Double(run.dataset.victimCount) * 2,
            diskBytes: n * (run.imageBytes + 8))
    }

    public func caption(_ file: String, inputs: Int) -> String? {
        guard file == "examples.png" else { return nil }
        // A perturbed poison has three rows; the trigger-only and BadNets poisons two.
        return "Rows, top to bottom: the original images; " + (inputs > 1 ? "after the perturbation; " : "")
            + "as trained on (with the trigger"
            + (poison == .dirtyLabel ? ", labelled as the target); " : ", true label); ")
            + "the difference from the original ×10 (mid-grey = none). One poison per column."
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let trig = try trigger.trigger()
        let perturbKey = stage.inputs.dropFirst().first
        var result: Poison
        if poison == .dirtyLabel, allToAll == true {
            result = Poisoning.allToAll(
                data.train, count: count, classes: data.train.classes, trigger: trig, seed: UInt64(seed))
        } else if poison == .dirtyLabel {
            result = Poisoning.badNets(data.train, target: target, count: count, trigger: trig, seed: UInt64(seed))
        } else {
            let available = data.train.indices(of: target).count
            guard count <= available else {
                throw StageFailure("asked to poison \(count) images of class \(target), which has \(available)")
            }
            let perturbed = try perturbKey.map { try context.perturbedImages($0, imageSize: data.train.imageSize) }
            result = Poisoning.cleanLabel(
                data.train, target: target, count: count, trigger: trig, seed: UInt64(seed), perturbed: perturbed)
        }
        if trigger.pattern == .warp, let noise = trigger.noise, noise > 0 {
            result = Poisoning.withWarpNoise(
                result, data.train, warp: trigger.warpTrigger(), count: Int((noise * Double(count)).rounded()),
                seed: UInt64(seed))
            try Artifacts.writeIndices(result.noiseIndices, out + "/noise_indices.npy")
            try Artifacts.writeImages(
                result.noiseImages, count: result.noiseIndices.count, shape: data.train.shape,
                out + "/noise_images.npy")
        }
        try Artifacts.writeIndices(result.indices, out + "/indices.npy")
        try Artifacts.writeIndices(result.labels, out + "/labels.npy")
        let perturbed = try perturbKey.map { try context.perturbedImages($0, imageSize: data.train.imageSize) }
        if let png = Poisoning.examplesPNG(data.train, poison: result, perturbed: perturbed) {
            try Artifacts.writeBytes(png, out + "/examples.png")
        }
        try Artifacts.writeImages(
            result.images, count: result.indices.count, shape: data.train.shape, out + "/images.npy")
    }
}
