import Backdoor
import Foundation

/// A finished run's metrics, read from the cache (nil while the stage that makes one is missing).
/// Each evaluation's metrics.json is read once: a report asks for several metrics of every run.
public final class RunMetrics {
    public let cache: Cache
    private var attacks: [String: AttackMetrics?] = [:]
    private var isolations: [String: DetectionRates?] = [:]
    public init(cache: Cache) { self.cache = cache }

    /// The record of a finished stage of kind `K`; nil while it is missing.
    func record<K: StageKind>(_ key: String?, of kind: K.Type, file: String? = K.outputsFile) -> K.Outputs? {
        guard let key, let file, cache.contains(key) else { return nil }
        return try? Artifacts.readJSON(K.Outputs.self, cache.directory(key) + "/" + file)
    }

    public func attack(_ r: PlannedRun) -> AttackMetrics? {
        if let known = attacks[r.evaluate] { return known }
        guard cache.contains(r.evaluate),
            let d = FileManager.default.contents(atPath: cache.directory(r.evaluate) + "/metrics.json")
        else { return nil }
        let m = try? JSONDecoder().decode(AttackMetrics.self, from: d)
        attacks[r.evaluate] = m
        return m
    }

    /// Why run `r`'s numbers cannot be trusted (near-chance accuracy, near-constant predictions); empty
    /// when they can or the run has not finished.
    public func flags(_ r: PlannedRun) -> [String] { attack(r)?.flags ?? [] }

    /// Run `r`'s value of `metric`; nil while it is missing.
    public func value(_ r: PlannedRun, _ metric: ExpectationSpec.Metric) -> Double? {
        switch metric {
        case .attackSuccessRate:
            guard let m = attack(r) else { return nil }
            return r.headline == .classifiedTarget ? m.attackSuccessRateExcludingClassified : m.attackSuccessRate
        case .naturalAccuracy: return attack(r)?.naturalAccuracy
        case .epsilon: return record(r.train, of: TrainStage.self)?.privacy?.epsilon
        case .detectionEnrichment: return record(r.detect, of: DetectStage.self)?.ratioToChance
        case .triggerReliance: return lossTracking(r).flatMap(LossTracking.triggerReliance)
        case .poisonLossWithoutTrigger: return lossTracking(r)?.last?.poisonedWithoutTrigger[1]
        case .poisonsRemoved:
            return record(r.defence, of: FilterStage.self)?.truePositiveRate ?? isolation(r)?.truePositiveRate
        case .cleanRemoved:
            return record(r.defence, of: FilterStage.self)?.falsePositiveRate ?? isolation(r)?.falsePositiveRate
        case .defenceAUROC:
            return record(r.defence, of: FilterStage.self)?.auroc ?? record(r.defence, of: STRIPStage.self)?.auroc
        case .asrAfterRejection: return record(r.defence, of: STRIPStage.self)?.attackSuccessRateAfter
        case .targetAnomalyIndex:
            guard let target = r.target, let nc = record(r.defence, of: ReverseStage.self),
                nc.anomalyIndex.indices.contains(target)
            else { return nil }
            // Only a mask below the median is a backdoor's: an outlier above it counts as 0.
            return nc.l1[target] < NeuralCleanse.median(nc.l1) ? nc.anomalyIndex[target] : 0
        }
    }

    /// ABL's isolation as a detector: the images its victim isolated for unlearning against the poisons. Nil for
    /// other defences, and while a stage is missing. (A victim that isolates too early isolates no poison, and
    /// the unlearning then damages it without touching the backdoor.) Read once per run: a report asks twice.
    func isolation(_ r: PlannedRun) -> DetectionRates? {
        guard let repair = r.defence, let poisonKey = r.poison else { return nil }
        if let known = isolations[repair] { return known }
        // The unlearning (repair) stage's inputs are [dataset, poison, victim]; only ABL's victim isolates.
        guard let victim = cache.manifest(repair)?.inputs.last, cache.contains(victim), cache.contains(poisonKey)
        else { return nil }  // not computed yet: asked again later
        var rates: DetectionRates?
        if let isolated = try? Artifacts.readIndices(cache.directory(victim) + "/isolated.npy"),
            let poisons = try? Artifacts.readIndices(cache.directory(poisonKey) + "/indices.npy"),
            let total = record(victim, of: TrainStage.self)?.trainImages
        {
            rates = DetectionRates(flagged: isolated, poisons: Set(poisons), total: total)
        }
        isolations[repair] = rates
        return rates
    }

    /// The victim's loss-tracking records, when it kept them.
    func lossTracking(_ r: PlannedRun) -> [LossTracking.Record]? {
        guard cache.contains(r.train),
            let text = try? String(contentsOfFile: cache.directory(r.train) + "/loss_tracking.csv", encoding: .utf8)
        else { return nil }
        let records = LossTracking.records(csv: text)
        return records.isEmpty ? nil : records
    }

    /// Wall seconds the run's stages took (from their cache entries), counting shared stages in full.
    public func seconds(_ keys: [String]) -> Double {
        keys.reduce(0) { total, key in
            guard cache.contains(key) else { return total }
            return total + (cache.timing(key)?.seconds ?? 0)
        }
    }
}
