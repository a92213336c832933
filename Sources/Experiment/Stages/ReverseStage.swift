import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let reverse = ReverseStage.name }

/// Neural Cleanse's detection: each class's smallest reversed trigger on the trained victim, their mask
/// norms' anomaly indices, and the flagged class. Inputs: the dataset, the poison when the run has one
/// (its images are not among the clean ones), and the victim's training.
public struct ReverseStage: StageKind {
    public static let name = Stage.Kind(rawValue: "reverse")
    public static let outputsFile: String? = "neural_cleanse.json"

    public var settings: NeuralCleanse.Settings
    public var threshold: Double
    public var cleanImages: Int
    public var seed: Int
    /// The attack's own trigger, drawn beside the reversed ones (not used by the detection).
    public var trigger: TriggerParameters?

    /// What `neural_cleanse.json` holds.
    public struct Outputs: Codable, Sendable {
        /// Per class: the reversed mask's ℓ1 norm, its anomaly index, and the share of images it flips.
        public var l1: [Double]
        public var anomalyIndex: [Double]
        public var successRate: [Double]
        public var flaggedClass: Int?

        enum CodingKeys: String, CodingKey {
            case l1
            case anomalyIndex = "anomaly_index"
            case successRate = "success_rate"
            case flaggedClass = "flagged_class"
        }
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        // Per class and step, a batch forward and input-gradient backward (the mask and pattern's gradient).
        var cost = model.inputGradient(
            run.victim, images: Double(run.dataset.classes * settings.steps * settings.batchSize))
        cost.memoryBytes = Double(model.shape(run.victim).activations * settings.batchSize * 4 * 2) + 2e8
        cost.diskBytes = 1e6
        return cost
    }

    public func caption(_ file: String, inputs: Int) -> String? {
        file == "reversed.png"
            ? "The attack's own trigger on black first (when the run has one), then one reversed trigger per class, class 0 first: the mask times the pattern, on black."
            : nil
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let clean = try context.trustedCleanImages(cleanImages, of: stage, data: data, seed: seed)
        guard let victim = context.inputs(of: stage, TrainStage.self).first else {
            throw StageFailure("Neural Cleanse needs the victim's training among its inputs")
        }
        let model = try context.trainedModel(victim.key, data: data)
        var triggers: [NeuralCleanse.Trigger] = []
        for c in 0..<data.train.classes {
            context.progress.update("reverse \(stage.shortKey)", done: c, total: data.train.classes)
            triggers.append(
                NeuralCleanse.reverse(model, clean: clean, target: c, settings: settings, seed: UInt64(seed)))
        }
        let l1 = triggers.map(\.l1)
        try NPY.write(
            NPYArray(shape: [triggers.count, clean.height, clean.width], values: .float32(triggers.flatMap(\.mask))),
            to: out + "/masks.npy")
        try NPY.write(
            NPYArray(
                shape: [triggers.count, clean.height, clean.width, clean.channels],
                values: .float32(triggers.flatMap(\.pattern))), to: out + "/patterns.npy")
        // Each trigger as it would be stamped on black: mask × pattern.
        let images = triggers.flatMap { t in
            (0..<t.pattern.count).map { k in
                UInt8(max(0, min(255, (t.mask[k / clean.channels] * t.pattern[k]).rounded())))
            }
        }
        var real: [UInt8] = []
        if let trigger {
            let black = Dataset(
                name: "black", height: clean.height, width: clean.width, channels: clean.channels,
                images: [UInt8](repeating: 0, count: clean.imageSize), labels: [0], classNames: ["x"])
            real = try trigger.trigger().applied(to: black).images
        }
        try Artifacts.writeBytes(
            gridPNG([real + images], columns: triggers.count + (real.isEmpty ? 0 : 1), shape: data.train.shape),
            out + "/reversed.png")
        try context.write(
            Outputs(
                l1: l1, anomalyIndex: NeuralCleanse.anomalyIndices(l1), successRate: triggers.map(\.successRate),
                flaggedClass: NeuralCleanse.flagged(l1: l1, threshold: threshold)), of: ReverseStage.self, into: out)
    }
}
