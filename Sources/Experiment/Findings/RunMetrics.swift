import Backdoor
import Foundation

/// A finished run's metrics, read from the cache (nil while the stage that makes one is missing).
/// Each evaluation's metrics.json is read once: a report asks for several metrics of every run.
public final class RunMetrics {
    public let cache: Cache
    private var attacks: [String: AttackMetrics?] = [:]
    public init(cache: Cache) { self.cache = cache }

    func json(_ key: String?, _ file: String) -> [String: Any]? {
        guard let key, cache.contains(key), let d = FileManager.default.contents(atPath: cache.directory(key) + "/" + file) else { return nil }
        return (try? JSONSerialization.jsonObject(with: d)) as? [String: Any]
    }

    public func attack(_ r: PlannedRun) -> AttackMetrics? {
        if let known = attacks[r.evaluate] { return known }
        guard cache.contains(r.evaluate), let d = FileManager.default.contents(atPath: cache.directory(r.evaluate) + "/metrics.json") else { return nil }
        let m = try? JSONDecoder().decode(AttackMetrics.self, from: d)
        attacks[r.evaluate] = m
        return m
    }

    /// Why run `r`'s numbers cannot be trusted (near-chance accuracy, near-constant predictions); empty
    /// when they can or the run has not finished.
    public func flags(_ r: PlannedRun) -> [String] { attack(r)?.flags ?? [] }

    /// One of `SpecSchema.expectationMetrics` for run `r`.
    public func value(_ r: PlannedRun, _ metric: String) -> Double? {
        switch metric {
        case "attack_success_rate":
            guard let m = attack(r) else { return nil }
            return r.headline == "classified_target" ? m.attackSuccessRateExcludingClassified : m.attackSuccessRate
        case "natural_accuracy": return attack(r)?.naturalAccuracy
        case "epsilon":
            guard let p = json(r.train, "training.json")?["privacy"] as? [String: Any], let e = p["epsilon"] as? Double else { return nil }
            return e < 0 ? .infinity : e
        case "detection_enrichment": return json(r.detect, "detection.json")?["ratio_to_chance"] as? Double
        case "trigger_reliance": return triggerReliance(r)
        case "poison_loss_without_trigger": return finalLossMedians(r)?["poisoned_without_trigger"]
        default: return nil
        }
    }

    /// Median loss of the poisons without the trigger ÷ with it, at the last recorded step (fig 4-1).
    func triggerReliance(_ r: PlannedRun) -> Double? {
        guard let m = finalLossMedians(r), let without = m["poisoned_without_trigger"], let with = m["poisoned"], with > 0 else { return nil }
        return without / with
    }

    /// Each loss-tracking group's median loss at its last recorded step.
    func finalLossMedians(_ r: PlannedRun) -> [String: Double]? {
        guard cache.contains(r.train), let text = try? String(contentsOfFile: cache.directory(r.train) + "/loss_tracking.csv", encoding: .utf8) else { return nil }
        return LossFigure.parse(csv: text).rows.compactMapValues { rows in rows.max { $0.step < $1.step }?.q[1] }
    }

    /// Wall seconds the run's stages took (from their cache entries), counting shared stages in full.
    public func seconds(_ keys: [String]) -> Double {
        keys.reduce(0) { $0 + ((json($1, "timing.json")?["seconds"] as? Double) ?? 0) }
    }
}
