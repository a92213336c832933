import Foundation

extension SpecLoader {
    /// The typed expectations of a loaded spec (its first run's `expect:`; sweeps do not reach into it).
    func expectations(of spec: LoadedSpec, path: String) -> [Expectation] {
        guard let run = spec.runs.first, let list = run.spec.expect else { return [] }
        let dir = (path as NSString).deletingLastPathComponent
        func file(_ v: String?) -> String? {
            v.map { display($0.hasPrefix("/") ? $0 : (dir as NSString).appendingPathComponent($0)) }
        }
        func selectors(_ v: [String]?) -> [(key: String, value: String)] {
            (v ?? []).map { s in
                // No '=': reported by checkExpectations.
                guard let eq = s.firstIndex(of: "=") else { return (s, "\u{0}") }
                return (
                    s[..<eq].trimmingCharacters(in: .whitespaces),
                    s[s.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                )
            }
        }
        return list.enumerated().map { i, e in
            let leftFile = file(e.runs) ?? spec.file
            let hasRight = e.than != nil || e.thanWhere != nil
            return Expectation(
                finding: e.finding, metric: e.metric, comparison: e.is,
                left: .init(file: leftFile, selectors: selectors(e.where)),
                right: hasRight ? .init(file: file(e.than) ?? leftFile, selectors: selectors(e.thanWhere)) : nil,
                value: e.value, times: e.times, plus: e.plus, pairBy: e.pairBy, along: e.along,
                mean: e.aggregate == .mean,
                spec: spec.file, mark: run.mark("expect[\(i)]"))
        }
    }

    /// Cross-file checks: every referenced spec exists, selectors name settings with values that occur.
    /// Returns the problems, and the referenced specs that were not among `specs` (their runs are needed too).
    /// `failed`: files (as displayed) that did not load; an expectation naming one is not checked again.
    func checkExpectations(_ specs: [LoadedSpec], failed: [String] = []) -> (
        problems: [Diagnostic], extra: [LoadedSpec]
    ) {
        var checks = ExpectationChecks(loader: self, specs: specs, failed: Set(failed))
        for spec in specs {
            guard let run = spec.runs.first else { continue }
            for (i, e) in spec.expectations.enumerated() { checks.check(e, at: { run.mark("expect[\(i)].\($0)") }) }
        }
        return (checks.problems, checks.extra)
    }

    /// What a run must do for `metric` to have a value (nil: every finished run has one).
    static func metricNeeds(_ metric: ExpectationSpec.Metric) -> (what: String, holds: (ExperimentSpec) -> Bool)? {
        switch metric {
        case .epsilon:
            return (
                "training with DP-SGD (defence.kind: dp_sgd)",
                { if case .dpSGD = $0.defence { return true } else { return false } }
            )
        case .triggerReliance, .poisonLossWithoutTrigger:
            return (
                "loss tracking (loss_tracking.enabled: true) of poisoned images",
                { $0.lossTracking.enabled && $0.attack.poison != .none }
            )
        case .detectionEnrichment:
            return (
                "detection by filtering (detection.enabled: true) of poisoned images",
                { $0.detection.enabled && $0.attack.poison != .none }
            )
        case .attackSuccessRate: return ("an attack (attack.poison)", { $0.attack.poison != .none })
        case .naturalAccuracy: return nil
        case .poisonsRemoved, .cleanRemoved:
            return (
                "a cleansing defence (defence.kind: spectral_signatures, activation_clustering or filtering) or ABL's isolation against an attack",
                {
                    guard $0.attack.poison != .none else { return false }
                    if case .abl = $0.defence { return true }
                    return $0.defence.stage == .filter
                }
            )
        case .defenceAUROC:
            return (
                "spectral signatures or STRIP (defence.kind) against an attack",
                {
                    if case .spectralSignatures = $0.defence { return $0.attack.poison != .none }
                    if case .strip = $0.defence { return $0.attack.poison != .none }
                    return false
                }
            )
        case .targetAnomalyIndex:
            return (
                "Neural Cleanse (defence.kind: neural_cleanse) against an attack",
                { if case .neuralCleanse = $0.defence { return $0.attack.poison != .none } else { return false } }
            )
        case .asrAfterRejection:
            return (
                "STRIP (defence.kind: strip) against an attack",
                { if case .strip = $0.defence { return $0.attack.poison != .none } else { return false } }
            )
        }
    }
}
