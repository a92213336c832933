import Backdoor
import Datasets
import Foundation
import Learning

extension Stage.Kind { public static let filter = FilterStage.name }

/// Cleanses a poisoned training set: the victim trained on it gives every image's penultimate
/// features, and a detector (spectral signatures or activation clustering) picks the images to
/// remove. Inputs: the dataset, the poison, and that victim's training.
public struct FilterStage: StageKind {
    public static let name = Stage.Kind(rawValue: "filter")
    public static let outputsFile: String? = "filter.json"

    public var method: DefenceSpec
    /// The attack's target (the class analysed with `classes: target`) and poison count (the budget).
    public var target: Int
    public var poisons: Int
    public var seed: Int

    /// What `filter.json` holds: what was removed, against the known poisons.
    public struct Outputs: Codable, Sendable {
        public var removed: Int
        public var poisons: Int
        public var removedPoisons: Int
        /// Removed poisons ÷ poisons, removed clean images ÷ clean images, removed poisons ÷ removed.
        public var truePositiveRate: Double
        public var falsePositiveRate: Double
        public var precision: Double
        /// Of the detector's scores (spectral signatures) against the poison indices.
        public var auroc: Double?
        /// Classes in which something was removed.
        public var flaggedClasses: [Int]

        enum CodingKeys: String, CodingKey {
            case removed, poisons, precision, auroc
            case removedPoisons = "removed_poisons"
            case truePositiveRate = "true_positive_rate"
            case falsePositiveRate = "false_positive_rate"
            case flaggedClasses = "flagged_classes"
        }
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        var cost = model.inference(run.victim, images: Double(run.dataset.victimCount))
        cost.memoryBytes = Double(run.dataset.victimCount * 256 * 4) + 2e8
        cost.diskBytes = Double(run.dataset.victimCount * 8)
        return cost
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let poison = try context.poison(stage.inputs[1])
        let poisoned = poison.apply(to: data.train)
        if case .filtering = method {
            // The thesis's filter ranked the set already: its lowest-ranked images are removed.
            let lowest = try context.outputs(stage.inputs[2], of: DetectStage.self).lowest ?? []
            return try record(
                removed: lowest.sorted(), auroc: nil, flaggedClasses: [], poisons: Set(poison.indices),
                total: poisoned.count, into: out, context)
        }
        let victim = try context.work(stage.inputs[2], as: TrainStage.self)
        let model = try context.model(stage.inputs[2], architecture: victim.architecture, data: data)
        let (f, dim) = features(model, on: poisoned)
        let isPoison = Set(poison.indices)
        var removed: [Int] = []
        var scores = [Double](repeating: 0, count: poisoned.count)
        var flaggedClasses: [Int] = []
        for c in 0..<poisoned.classes {
            let rows = poisoned.indices(of: c)
            guard !rows.isEmpty else { continue }
            var x = [Float]()
            x.reserveCapacity(rows.count * dim)
            for i in rows { x += f[(i * dim)..<((i + 1) * dim)] }
            let picked: [Int]
            switch method {
            case .spectralSignatures(let s):
                guard s.classes == .all || c == target else { continue }
                let sc = SpectralSignatures.scores(x, rows: rows.count, dim: dim, score: s.score)
                for (j, i) in rows.enumerated() { scores[i] = sc[j] }
                picked = SpectralSignatures.highest(sc, count: Int((s.remove * Double(poisons)).rounded()))
            case .activationClustering(let a):
                picked =
                    ActivationClustering.analyse(
                        x, rows: rows.count, dim: dim, components: a.components, reduction: a.reduce ?? .pca,
                        analysis: a.analysis,
                        sizeThreshold: a.sizeThreshold, silhouetteThreshold: a.silhouetteThreshold, seed: UInt64(seed)
                    ).flagged
            default:
                throw StageFailure("defence '\(method)' does not filter the training set")
            }
            if !picked.isEmpty { flaggedClasses.append(c) }
            removed += picked.map { rows[$0] }
        }
        var auroc: Double?
        if case .spectralSignatures = method {
            auroc = ROC.auroc(scores: scores, positive: (0..<poisoned.count).map(isPoison.contains))
            // Every training image's score (0 in classes not analysed), for the report's ROC curve and histogram.
            try NPY.write(
                NPYArray(shape: [scores.count], values: .float32(scores.map { Float($0) })), to: out + "/scores.npy")
        }
        try record(
            removed: removed.sorted(), auroc: auroc, flaggedClasses: flaggedClasses, poisons: isPoison,
            total: poisoned.count, into: out, context)
    }

    /// Writes the removals and their rates against the known poisons.
    func record(
        removed: [Int], auroc: Double?, flaggedClasses: [Int], poisons isPoison: Set<Int>, total: Int,
        into out: String,
        _ context: StageContext
    ) throws {
        try Artifacts.writeIndices(removed, out + "/removed.npy")
        let rates = DetectionRates(flagged: removed, poisons: isPoison, total: total)
        try context.write(
            Outputs(
                removed: rates.flagged, poisons: rates.poisons, removedPoisons: rates.flaggedPoisons,
                truePositiveRate: rates.truePositiveRate, falsePositiveRate: rates.falsePositiveRate,
                precision: rates.precision, auroc: auroc, flaggedClasses: flaggedClasses), of: FilterStage.self,
            into: out)
    }
}
