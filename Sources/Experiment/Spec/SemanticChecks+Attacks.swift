import Foundation

extension SemanticChecks {
    /// A trigger setting is read by its own pattern only; a test-time amplitude or α by the patterns that have one.
    mutating func triggerSettings() {
        guard let name = v[path: "attack.trigger.pattern"]?.string, let pattern = TriggerSpec.Pattern(rawValue: name)
        else { return }
        let reads = TriggerSpec.settings[pattern] ?? []
        // The patch settings (size, corners, amplitude) carry defaults and are often inherited from a base spec
        // whose pattern a child changes, so only the settings of the other patterns are judged.
        for key in ["file", "alpha", "delta", "frequency", "grid", "strength", "noise", "seed"]
        where given("attack.trigger.\(key)") && !reads.contains(key) {
            let owners = TriggerSpec.settings.filter { $0.value.contains(key) }.map(\.key.rawValue).sorted()
            out.append(
                Diagnostic(
                    mark("attack.trigger.\(key)"),
                    "'attack.trigger.\(key)' is read only with pattern \(owners.joined(separator: " or ")), not '\(name)'"
                ))
        }
        if given("evaluate.attack_success_rate.amplitude"), !pattern.isPatch {
            out.append(
                Diagnostic(
                    mark("evaluate.attack_success_rate.amplitude"),
                    "a test-time 'amplitude' applies to the patch patterns (checkerboard, x, image), not '\(name)'"))
        }
        if given("evaluate.attack_success_rate.alpha"), pattern != .blend {
            out.append(
                Diagnostic(
                    mark("evaluate.attack_success_rate.alpha"),
                    "a test-time 'alpha' applies to pattern blend, not '\(name)'"))
        }
    }

    /// All-to-all relabels BadNets-style poisons and has no single target for a defence to look for.
    mutating func allToAll() {
        guard v[path: "attack.targets"]?.string == "all_to_all" else { return }
        if poison != "dirty_label" {
            out.append(
                Diagnostic(
                    mark("attack.targets"),
                    "'targets: all_to_all' relabels the poisons: it needs 'attack.poison: dirty_label'"))
        }
        if v[path: "evaluate.attack_success_rate.exclude"]?.string == "classified_target" {
            out.append(
                Diagnostic(
                    mark("evaluate.attack_success_rate.exclude"),
                    "all-to-all has no single target to exclude: use 'exclude: labelled_target' (every test image counts)"
                ))
        }
        let kind = v[path: "defence.kind"]?.string ?? "none"
        if ["strip", "neural_cleanse"].contains(kind) {
            out.append(
                Diagnostic(
                    mark("defence.kind"),
                    "\(kind) is measured against the attack's one target class; all-to-all has none"))
        }
        if kind == "spectral_signatures", v[path: "defence.classes"]?.string == "target" {
            out.append(
                Diagnostic(
                    mark("defence.classes"), "'classes: target' analyses one target class; all-to-all has none"))
        }
    }
}
