import Backdoor
import Foundation

extension Stage.Kind { public static let report = ReportStage.name }

/// One spec's results table: a CSV row and a JSON object per run, assembled from its runs'
/// evaluations (and trainings and detections). Inputs: every evaluation and detection of the spec.
public struct ReportStage: StageKind {
    public static let name = Stage.Kind(rawValue: "report")
    public static let outputsFile: String? = "results.json"

    public var file: String
    public var report: ReportSpec

    public var publishes: String? { file }

    /// What `results.json` holds.
    public struct Outputs: Codable, Sendable {
        public var spec: String
        public var runs: [RunResult]
        /// With seeds: per point, each metric over the seeds.
        public var aggregates: [SeedAggregate]?
    }

    /// One run's numbers.
    public struct RunResult: Codable, Sendable {
        public var spec: String
        public var point: [String: String]
        public var poisonedImages: Int
        public var naturalAccuracy: Double
        public var stages: [String: String]
        public var perClassAccuracy: [Double]?
        public var attackSuccessRate: Double?
        public var asrExcludingLabelledTarget: Double?
        public var asrExcludingClassifiedTarget: Double?
        public var perClassAttackSuccessRate: [Double?]?
        public var target: Int?
        public var cleanTargetRate: Double?
        /// Triggered non-target test images still classified as their true label (R-Acc).
        public var robustAccuracy: Double?
        /// Why the numbers cannot be trusted (a collapsed or untrained model); absent when they can.
        public var flags: [String]?
        public var privacy: PrivacyRecord?
        public var detection: FilteringDetection.Result?
        /// What a cleansing defence removed, against the known poisons.
        public var filter: FilterStage.Outputs?
        /// STRIP's threshold and rates (without the per-input entropies, which its entry keeps).
        public var strip: STRIPStage.Outputs?
        /// What fine-tuning or fine-pruning used and pruned.
        public var repair: RepairStage.Record?
        /// Neural Cleanse's mask norms, anomaly indices and flagged class.
        public var neuralCleanse: ReverseStage.Outputs?

        enum CodingKeys: String, CodingKey {
            case spec, point, stages, target, flags, privacy, detection, filter, strip, repair
            case neuralCleanse = "neural_cleanse"
            case poisonedImages = "poisoned_images"
            case naturalAccuracy = "natural_accuracy"
            case perClassAccuracy = "per_class_accuracy"
            case attackSuccessRate = "attack_success_rate"
            case asrExcludingLabelledTarget = "asr_excluding_labelled_target"
            case asrExcludingClassifiedTarget = "asr_excluding_classified_target"
            case perClassAttackSuccessRate = "per_class_attack_success_rate"
            case cleanTargetRate = "clean_target_rate"
            case robustAccuracy = "robust_accuracy"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(spec, forKey: .spec)
            try c.encode(point, forKey: .point)
            try c.encode(stages, forKey: .stages)
            try c.encodeIfPresent(target, forKey: .target)
            try c.encodeIfPresent(flags, forKey: .flags)
            try c.encodeIfPresent(privacy, forKey: .privacy)
            try c.encodeIfPresent(detection, forKey: .detection)
            try c.encodeIfPresent(filter, forKey: .filter)
            try c.encodeIfPresent(strip, forKey: .strip)
            try c.encodeIfPresent(repair, forKey: .repair)
            try c.encodeIfPresent(neuralCleanse, forKey: .neuralCleanse)
            try c.encode(poisonedImages, forKey: .poisonedImages)
            try c.encode(naturalAccuracy, forKey: .naturalAccuracy)
            try c.encodeIfPresent(perClassAccuracy, forKey: .perClassAccuracy)
            try c.encodeIfPresent(attackSuccessRate, forKey: .attackSuccessRate)
            try c.encodeIfPresent(asrExcludingLabelledTarget, forKey: .asrExcludingLabelledTarget)
            try c.encodeIfPresent(asrExcludingClassifiedTarget, forKey: .asrExcludingClassifiedTarget)
            // Classes without a triggered image have no rate: null, so positions stay classes.
            try c.encodeIfPresent(perClassAttackSuccessRate, forKey: .perClassAttackSuccessRate)
            try c.encodeIfPresent(cleanTargetRate, forKey: .cleanTargetRate)
            try c.encodeIfPresent(robustAccuracy, forKey: .robustAccuracy)
        }
    }

    static let columns = [
        "poisoned_images", "natural_accuracy", "attack_success_rate", "asr_excluding_labelled_target",
        "asr_excluding_classified_target", "epsilon", "delta", "train_key", "evaluate_key", "clean_target_rate",
        "flags",
    ]

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost { Cost(diskBytes: 1e5) }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let mine = context.plan.runs.filter { $0.file == file }
        var header = (mine.first?.point.map(\.key) ?? []) + ReportStage.columns
        var rows: [[String]] = []
        var results: [RunResult] = []
        func f(_ d: Double?) -> String { d.map { String(format: "%.4f", $0) } ?? "" }
        for r in mine {
            let m = try context.outputs(r.evaluate, of: EvaluateStage.self)
            let headline =
                r.headline == .classifiedTarget ? m.attackSuccessRateExcludingClassified : m.attackSuccessRate
            let privacy = (try? context.outputs(r.train, of: TrainStage.self))?.privacy
            let eps = privacy.map { $0.epsilon.isFinite ? String(format: "%.2f", $0.epsilon) : "inf" } ?? ""
            let delta = privacy.map { "\($0.delta)" } ?? ""
            let fields = [
                "\(r.poisonCount)", f(m.naturalAccuracy), f(headline), f(m.attackSuccessRate),
                f(m.attackSuccessRateExcludingClassified), eps, delta, r.train, r.evaluate, f(m.cleanTargetRate),
                csvField(m.flags.joined(separator: "; ")),
            ]
            rows.append(r.point.map { csvField($0.value.text) } + fields)
            let perClass = (try? context.work(r.evaluate, as: EvaluateStage.self))?.perClass ?? true
            var detection = r.detect.flatMap { try? context.outputs($0, of: DetectStage.self) }
            detection?.lowest = nil
            let filter = r.defence.flatMap { try? context.outputs($0, of: FilterStage.self) }
            var strip = r.defence.flatMap { try? context.outputs($0, of: STRIPStage.self) }
            strip?.cleanEntropies = nil
            strip?.triggeredEntropies = nil
            let repair = try [r.defence, r.train].compactMap { $0 }.first { context.plan.stage($0)?.kind == .repair }
                .map { try Artifacts.readJSON(RepairStage.Record.self, try context.dir($0) + "/repair.json") }
            let neuralCleanse = r.defence.flatMap { try? context.outputs($0, of: ReverseStage.self) }
            results.append(
                RunResult(
                    spec: file, point: Dictionary(uniqueKeysWithValues: r.point.map { ($0.key, $0.value.text) }),
                    poisonedImages: r.poisonCount, naturalAccuracy: m.naturalAccuracy,
                    stages: ["train": r.train, "evaluate": r.evaluate],
                    perClassAccuracy: perClass ? m.perClassAccuracy : nil,
                    attackSuccessRate: headline, asrExcludingLabelledTarget: m.attackSuccessRate,
                    asrExcludingClassifiedTarget: m.attackSuccessRateExcludingClassified,
                    perClassAttackSuccessRate: perClass ? m.perClassAttackSuccessRate : nil, target: r.target,
                    cleanTargetRate: m.cleanTargetRate, robustAccuracy: m.robustAccuracy,
                    flags: m.flags.isEmpty ? nil : m.flags, privacy: privacy,
                    detection: detection, filter: filter, strip: strip, repair: repair, neuralCleanse: neuralCleanse))
        }
        let aggregates = SeedAggregate.aggregate(results)
        if let aggregates {
            // Each run's row also carries its point's spread over the seeds.
            header += SeedAggregate.columns
            for (i, r) in results.enumerated() {
                var p = r.point
                p["seed"] = nil
                rows[i] += aggregates.first { $0.point == p }?.fields ?? []
            }
        }
        let csv = ([header] + rows).map { $0.joined(separator: ",") + "\n" }.joined()
        try csv.write(toFile: out + "/results.csv", atomically: true, encoding: .utf8)
        try context.write(Outputs(spec: file, runs: results, aggregates: aggregates), of: ReportStage.self, into: out)
    }
}

/// A CSV field, quoted when it holds a comma or a quote.
func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
