import Backdoor
import Datasets
import Foundation
import Learning

extension Stage.Kind { public static let detect = DetectStage.name }

/// Detection by filtering: a classifier trained on a small trusted clean set ranks the poisoned
/// training set (`FilteringDetection`). Inputs: the dataset and the poison.
public struct DetectStage: StageKind {
    public static let name = Stage.Kind(rawValue: "detect")
    public static let outputsFile: String? = "detection.json"
    public typealias Outputs = FilteringDetection.Result

    public var train: TrainingParameters
    public var cleanImages: Int
    public var inspect: Int
    public var architecture: ArchitectureParameters
    public var seed: Int

    enum CodingKeys: String, CodingKey {
        case train, inspect, architecture, seed
        case cleanImages = "clean_images"
    }

    public var totalSteps: Int? { train.steps }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        let filter = architecture.architecture()
        var cost = model.training(filter, steps: train.steps, batch: train.batchSize)
        let rank = model.inference(filter, images: Double(run.dataset.victimCount))
        cost.flops += rank.flops
        cost.seconds += rank.seconds
        return cost
    }

    public func caption(_ file: String, inputs: Int) -> String? {
        file == "lowest.png"
            ? "The 20 lowest-ranked training images of the filter, lowest first; poisons framed in red." : nil
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let poison = try context.poison(stage.inputs[1])
        let poisoned = poison.apply(to: data.train)
        let isPoison = Set(poison.indices)
        let clean = FilteringDetection.cleanImages(
            count: cleanImages, of: poisoned.count, poisons: isPoison, seed: UInt64(seed))
        let arch = architecture.architecture(mean: data.mean, std: data.std)
        let record = try context.fit(
            stage,
            NetworkTraining(
                architecture: arch, training: train, seed: seed, data: poisoned.subset(clean), pretrained: nil),
            into: out)
        try Artifacts.writeJSON(record, out + "/training.json")
        let filter = arch.build()
        try filter.load(from: out + "/model.safetensors")
        let ranked = FilteringDetection.ranking(filter, on: poisoned)
        let result = FilteringDetection.result(
            ranked: ranked, poisons: isPoison, inspect: inspect,
            filterTestAccuracy: predict(filter, on: data.test).accuracy)
        try context.write(result, of: DetectStage.self, into: out)
        // The 20 lowest-ranked images, poisons framed in red (thesis appendix A.1).
        let png = PNG.grid(poisoned, indices: Array(ranked.prefix(20)), columns: 10) {
            isPoison.contains($0) ? [220, 30, 30] : [200, 200, 200]
        }
        try Artifacts.writeBytes(png, out + "/lowest.png")
    }
}
