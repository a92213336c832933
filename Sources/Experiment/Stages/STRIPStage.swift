import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

extension Stage.Kind { public static let strip = STRIPStage.name }

/// STRIP at inference: the victim's predictions on clean held-out images superimposed on each input.
/// The entropy threshold is set on `inputs` clean test images; as many other test images are then
/// scored clean and with the trigger. Inputs: the dataset and the victim's training.
public struct STRIPStage: StageKind {
    public static let name = Stage.Kind(rawValue: "strip")
    public static let outputsFile: String? = "strip.json"

    public var settings: STRIPSettings
    public var trigger: TriggerParameters
    public var target: Int
    public var seed: Int

    /// What `strip.json` holds.
    public struct Outputs: Codable, Sendable {
        public var threshold: Double
        /// Of the entropies, triggered (positive) against clean inputs: low entropy flags.
        public var auroc: Double?
        /// Clean scored inputs rejected; triggered non-target inputs accepted.
        public var falseRejectionRate: Double
        public var falseAcceptanceRate: Double
        /// Triggered non-target inputs that are accepted and classified as the target.
        public var attackSuccessRateAfter: Double
        /// Clean scored inputs accepted and classified correctly.
        public var cleanAccuracyAfter: Double
        /// Each scored input's entropy (kept in the stage's entry, left out of the results table).
        public var cleanEntropies: [Double]?
        public var triggeredEntropies: [Double]?

        enum CodingKeys: String, CodingKey {
            case threshold, auroc
            case falseRejectionRate = "false_rejection_rate"
            case falseAcceptanceRate = "false_acceptance_rate"
            case attackSuccessRateAfter = "attack_success_rate_after"
            case cleanAccuracyAfter = "clean_accuracy_after"
            case cleanEntropies = "clean_entropies"
            case triggeredEntropies = "triggered_entropies"
        }
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        // Calibration, clean and triggered scoring: 3 × inputs × copies forward passes.
        var cost = model.inference(run.victim, images: Double(3 * settings.inputs * settings.copies))
        cost.memoryBytes = Double(model.shape(run.victim).activations * settings.copies * 4) + 2e8
        cost.diskBytes = 1e5
        return cost
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let victim = try context.work(stage.inputs[1], as: TrainStage.self)
        let model = try context.model(stage.inputs[1], architecture: victim.architecture, data: data)
        let test = data.test
        let n = settings.inputs
        guard test.count >= 2 * n + settings.copies else {
            throw StageFailure(
                "STRIP needs \(2 * n + settings.copies) test images (2 × inputs + copies); the test set has \(test.count)"
            )
        }
        // Calibration [0, n), scoring [n, 2n), the blending pool after them.
        let pool = test.subset(Array((2 * n)..<test.count))
        var rng = RNG(seed: UInt64(seed)).split("strip")
        let title = "strip \(stage.shortKey)"
        func entropies(_ d: Dataset, _ offset: Int) -> [Double] {
            (0..<d.count).map { i in
                context.progress.update(title, done: offset + i, total: 3 * n)
                return entropy(of: d, i, pool: pool, model: model, rng: &rng)
            }
        }
        let calibration = entropies(test.subset(Array(0..<n)), 0)
        let threshold = STRIP.threshold(cleanEntropies: calibration, falseRejectionRate: settings.falseRejectionRate)
        let scored = test.subset(Array(n..<(2 * n)))
        let clean = entropies(scored, n)
        let nonTarget = (0..<n).filter { scored.labels[$0] != target }
        let triggeredSet = try trigger.trigger().applied(to: scored.subset(nonTarget))
        let triggered = entropies(triggeredSet, 2 * n)
        let cleanPredicted = predict(model, on: scored).predicted
        let triggeredPredicted = predict(model, on: triggeredSet).predicted
        let acceptedClean = (0..<n).filter { clean[$0] > threshold }
        let acceptedTriggered = triggered.indices.filter { triggered[$0] > threshold }
        try context.write(
            Outputs(
                threshold: threshold,
                auroc: ROC.auroc(
                    scores: (clean + triggered).map { -$0 },
                    positive: Array(repeating: false, count: clean.count)
                        + Array(repeating: true, count: triggered.count)),
                falseRejectionRate: 1 - Double(acceptedClean.count) / Double(n),
                falseAcceptanceRate: triggered.isEmpty ? 0 : Double(acceptedTriggered.count) / Double(triggered.count),
                attackSuccessRateAfter: triggered.isEmpty
                    ? 0
                    : Double(acceptedTriggered.filter { triggeredPredicted[$0] == target }.count)
                        / Double(triggered.count),
                cleanAccuracyAfter: Double(acceptedClean.filter { cleanPredicted[$0] == scored.labels[$0] }.count)
                    / Double(n),
                cleanEntropies: clean, triggeredEntropies: triggered), of: STRIPStage.self, into: out)
    }

    /// The entropy of image `i` of `d` under `copies` blends with random pool images.
    func entropy(of d: Dataset, _ i: Int, pool: Dataset, model: Model, rng: inout RNG) -> Double {
        var images = [UInt8]()
        images.reserveCapacity(settings.copies * d.imageSize)
        let x = d.image(i)
        for _ in 0..<settings.copies {
            images += STRIP.superimpose(x, pool.image(rng.below(pool.count)), blend: settings.blend)
        }
        let copies = Dataset(
            name: "strip", height: d.height, width: d.width, channels: d.channels, images: images,
            labels: Array(repeating: 0, count: settings.copies), classNames: d.classNames)
        let p = probabilities(model, on: copies)
        return STRIP.entropy(p, copies: settings.copies, classes: d.classes, method: settings.entropy)
    }
}
