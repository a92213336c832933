import Backdoor
import Experiment
import Foundation
import TestSupport
import XCTest

/// Defects that gave a wrong answer, a crash or a leak of a file's contents on crafted input.
final class ReliabilityTests: XCTestCase {
    /// The rendered diagnostics of loading `name` from `f`, and how many errors there were.
    func diagnostics(_ f: SpecFolder, _ name: String) -> (text: String, count: Int) {
        let loader = SpecLoader(environment: [:], displayRoot: f.dir)
        do {
            _ = try loader.load(f.dir + "/" + name)
            return ("", 0)
        } catch let d as Diagnostics {
            return (d.render(sources: loader.sources), d.items.count)
        } catch let d as Diagnostic {
            return (Diagnostics([d]).render(sources: loader.sources), 1)
        } catch {
            return ("\(error)", 1)
        }
    }

    /// Sweeps whose sizes multiply past Int (10²⁰ runs) are an error, not an overflow trap.
    func testSweepsThatMultiplyPastIntAreOneError() {
        let f = SpecFolder()
        let axes = Array(repeating: "{sweep: *s}", count: 19).joined(separator: ", ")
        f.write("s.yaml", "model: {widths: [{sweep: &s [1,2,3,4,5,6,7,8,9,10]}, \(axes)]}\n")
        let d = diagnostics(f, "s.yaml")
        XCTAssertEqual(d.count, 1, d.text)
        XCTAssert(
            d.text.contains("the 20 sweeps of this spec make more than 100000 runs (10 × 10 × 10 × 10 × 10 × 10 × …)"),
            d.text)
    }

    /// `extends` of a file that is not a spec: one error, and not a byte of the file is printed.
    func testExtendingAFileThatIsNotASpecQuotesNothingOfIt() {
        let f = SpecFolder()
        f.write(
            "secret", (1...30).map { "user\($0):secret-hash-\($0):20228:0:99999:7:::" }.joined(separator: "\n") + "\n")
        f.write("s.yaml", "extends: secret\ntitle: x\n")
        let d = diagnostics(f, "s.yaml")
        XCTAssertEqual(d.count, 1, d.text)
        XCTAssert(
            d.text.contains(
                "s.yaml:1:10: error: 'secret' is not a spec file: none of its 30 top-level keys is a spec key"), d.text)
        XCTAssertFalse(d.text.contains("secret-hash"), d.text)
        // Not YAML at all: one error, nothing quoted either.
        f.write("binary", "\u{1}\u{2}: [unclosed\n  {{{ secret-hash-9\n")
        f.write("t.yaml", "extends: binary\n")
        let b = diagnostics(f, "t.yaml")
        XCTAssertEqual(b.count, 1, b.text)
        XCTAssert(b.text.contains("'binary' is not a spec file: it is not YAML"), b.text)
        XCTAssertFalse(b.text.contains("secret-hash"), b.text)
    }

    /// A 900 kB key is named by its first characters and its length; its line is cut around the column.
    func testAHugeKeyIsQuotedShort() {
        let f = SpecFolder()
        let key = String(repeating: "k", count: 900_000)
        // An explicit key (`? key`): YAML caps plain keys at 1 024 characters.
        f.write("s.yaml", "title: x\n? \(key)\n: 1\n")
        let d = diagnostics(f, "s.yaml")
        XCTAssertEqual(d.count, 1, d.text)
        XCTAssert(
            d.text.contains("unknown key '\(String(repeating: "k", count: 60))… (900000 characters)'"),
            String(d.text.prefix(300)))
        XCTAssertLessThan(d.text.count, 1_000)
    }

    func testLongSourceLinesAreCutAroundTheColumn() {
        let line = String(repeating: "a", count: 300) + "X" + String(repeating: "b", count: 300)
        let f = SpecFolder()
        f.write("s.yaml", "title: x\nattack: {poison: dirty_label, count: 5, \(line): 1}\n")
        let d = diagnostics(f, "s.yaml")
        let quoted = d.text.split(separator: "\n").filter { $0.hasPrefix("  ") }
        XCTAssertEqual(quoted.count, 2, d.text)
        XCTAssertLessThanOrEqual(quoted[0].count, Diagnostic.quotedWidth + 4)
        XCTAssert(quoted[0].hasSuffix("…"), String(quoted[0]))
        // The caret still points at the key's first character.
        let caret = quoted[1].firstIndex(of: "^").map { quoted[1].distance(from: quoted[1].startIndex, to: $0) }
        let start = quoted[0].range(of: "aaaa").map {
            quoted[0].distance(from: quoted[0].startIndex, to: $0.lowerBound)
        }
        XCTAssertEqual(caret, start)
    }

    /// Every training stage takes its checkpoint interval from the train block that sets its steps.
    func testCheckpointEveryReachesPretrainReferenceAndDetect() throws {
        let f = SpecFolder()
        f.write(
            "ref.yaml",
            """
            dataset: {name: fashion_mnist}
            attack:
              poison: clean_label
              target: 0
              fraction: 0.1
              perturbation:
                kind: pgd
                epsilon: 300
                steps: 2
                reference: {training: standard, train: {steps: 70, checkpoint_every: 7}}
            detection: {enabled: true, train: {steps: 90, checkpoint_every: 9}}
            train: {steps: 50, checkpoint_every: 5}
            """)
        f.write(
            "dp.yaml",
            """
            dataset: {name: fashion_mnist, public_fraction: 0.5}
            train: {steps: 40, checkpoint_every: 4}
            attack: {poison: dirty_label, target: 0, count: 10}
            defence: {kind: dp_sgd, clip: 1, lot_size: 100, microbatches: 4}
            """)
        let plan = try f.plan()
        func every(_ kind: Stage.Kind) -> [Int] {
            plan.stages.filter { $0.kind == kind }.compactMap { $0.checkpointEvery }.sorted()
        }
        XCTAssertEqual(every(.trainReference), [7])
        XCTAssertEqual(every(.detect), [9])
        XCTAssertEqual(every(.pretrain), [4])
        XCTAssertEqual(every(.train), [4, 5])
    }

    /// Look-ups by key and the users of a stage shared by every run stay right on a large sweep.
    func testALargeSweepPlansWithEveryStageFoundByKey() throws {
        let f = SpecFolder()
        let counts = (1...200).map(String.init).joined(separator: ", ")
        f.write(
            "s.yaml",
            "dataset: {name: fashion_mnist, subset: 1000}\nattack: {poison: dirty_label, count: {sweep: [\(counts)]}}\ntrain: {steps: {sweep: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}}\n"
        )
        let plan = try f.plan()
        XCTAssertEqual(plan.runs.count, 2_000)
        let dataset = try XCTUnwrap(plan.stages.first { $0.kind == .dataset })
        XCTAssertEqual(dataset.users.count, 2_000)
        for s in plan.stages { XCTAssertEqual(plan.stage(s.key)?.kind, s.kind) }
        XCTAssertNil(plan.stage(String(repeating: "0", count: 64)))
    }
}

/// A model that learnt nothing, or calls everything one class, must not pass for a result.
final class CollapsedModelTests: XCTestCase {
    func testAConstantModelIsFlaggedAndItsCleanTargetRateIsOne() {
        let labels = (0..<100).map { $0 % 10 }
        let m = AttackMetrics.compute(
            labels: labels, clean: Array(repeating: 0, count: 100), triggered: Array(repeating: 0, count: 100),
            target: 0, classes: 10)
        XCTAssertEqual(m.attackSuccessRate, 1)
        XCTAssertEqual(m.cleanTargetRate, 1)
        XCTAssertEqual(m.dominantPrediction, AttackMetrics.DominantPrediction(predictedClass: 0, share: 1))
        XCTAssertEqual(
            m.flags,
            [
                "accuracy 10.0 % is near chance (10.0 % for 10 classes)",
                "100.0 % of the clean test images are classified as class 0",
            ])
    }

    func testAHealthyModelIsNotFlagged() {
        let labels = (0..<100).map { $0 % 10 }
        // Right on 90 images; 3 of the 90 non-target images already called the target without a trigger.
        var clean = labels
        for i in [1, 2, 3] { clean[i] = 0 }
        for i in [4, 5, 6, 7, 8, 11, 12] { clean[i] = (labels[i] + 1) % 10 }
        let m = AttackMetrics.compute(
            labels: labels, clean: clean, triggered: Array(repeating: 0, count: 100), target: 0, classes: 10)
        XCTAssertEqual(m.naturalAccuracy, 0.9, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(m.cleanTargetRate), 3.0 / 90, accuracy: 1e-12)
        XCTAssertEqual(m.flags, [])
    }

    /// Metrics cached before these fields existed still decode (and are judged by accuracy alone).
    func testMetricsCachedBeforeTheFlagsDecode() throws {
        let old = #"{"naturalAccuracy": 0.1, "attackSuccessRate": 1, "perClassAccuracy": [1,0,0,0,0,0,0,0,0,0]}"#
        let m = try JSONDecoder().decode(AttackMetrics.self, from: Data(old.utf8))
        XCTAssertNil(m.cleanTargetRate)
        XCTAssertEqual(m.flags, ["accuracy 10.0 % is near chance (10.0 % for 10 classes)"])
    }

    /// An expectation that reads a flagged run is "unreliable", whichever way its numbers point.
    func testNoVerdictRestsOnAFlaggedRun() throws {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            """
            attack: {poison: dirty_label, target: 0, count: {sweep: [10, 20]}}
            expect:
              - finding: a strong attack
                is: ">="
                value: 0.9
            """)
        let specs = try f.load()
        var planner = Planner(rates: .defaults)
        let plan = try planner.plan(specs)
        let e = try XCTUnwrap(specs.first?.expectations.first)
        XCTAssertEqual(e.evaluate(plan.runs) { _, _ in 1 }, .holds("100.0 % vs 90.0 %"))
        let flagged = e.evaluate(
            plan.runs, flags: { $0.value[path: "attack.count"]?.int == 20 ? ["accuracy 10.0 % is near chance"] : [] },
            metric: { _, _ in 1 })
        XCTAssertEqual(flagged, .unreliable("run attack.count=20 is flagged: accuracy 10.0 % is near chance"))
        XCTAssertEqual(flagged.label, "unreliable")
        // Without results there is nothing to distrust yet.
        XCTAssertEqual(
            e.evaluate(plan.runs, flags: { _ in ["x"] }) { _, _ in nil }, .notRun("2 of 2 runs have no result yet"))
    }
}

/// A clone of the repository stands alone: nothing in it points at files outside it.
final class SelfContainedTests: XCTestCase {
    func testNothingPointsOutsideTheRepository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        // Built from parts, so this file does not match itself.
        let needle = ".." + "/shared"
        var offenders: [String] = []
        let fm = FileManager.default
        for top in ["README.md", "Package.swift", "grammar", "experiments", "Sources", "Tests", ".ci"] {
            let base = root.appendingPathComponent(top).path
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: base, isDirectory: &isDir) else { continue }
            let files =
                isDir.boolValue
                ? (fm.enumerator(atPath: base)?.compactMap { $0 as? String } ?? []).map { base + "/" + $0 } : [base]
            for f in files {
                guard let d = fm.contents(atPath: f), let text = String(data: d, encoding: .utf8) else { continue }
                if text.contains(needle) { offenders.append(String(f.dropFirst(root.path.count + 1))) }
            }
        }
        XCTAssertEqual(offenders, [])
    }
}

/// A newcomer's mistakes: findings that can never be checked, errors hidden behind others, keys that
/// cannot be removed, profiles and data paths that planning does not need.
final class NewcomerSpecTests: XCTestCase {
    func diagnostics(_ f: SpecFolder, _ name: String? = nil, profile: String? = nil, set: [String] = []) -> [Diagnostic]
    {
        do {
            _ = try f.load(name, profile: profile, set: set)
            return []
        } catch let d as Diagnostics {
            return d.items
        } catch let d as Diagnostic {
            return [d]
        } catch {
            XCTFail("\(error)")
            return []
        }
    }

    func testFindingsThatCanNeverBeCheckedAreErrorsAtTheirPlace() {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            """
            attack: {poison: dirty_label, target: 0, count: {sweep: [10, 20]}}
            expect:
              - {finding: eps, metric: epsilon, is: "<=", value: 8}
              - {finding: reliance, metric: trigger_reliance, is: ">=", value: 10}
              - {finding: found, metric: detection_enrichment, is: ">=", value: 10}
              - {finding: grows, is: increasing, along: attack.target}
              - {finding: grows with the count, is: increasing, along: attack.count}
            """)
        let d = diagnostics(f, "s.yaml")
        XCTAssertEqual(
            d.map(\.description),
            [
                "s.yaml:3:28: error: metric 'epsilon' needs training with DP-SGD (defence.kind: dp_sgd); s.yaml [attack.count=10] has none",
                "s.yaml:4:33: error: metric 'trigger_reliance' needs loss tracking (loss_tracking.enabled: true) of poisoned images; s.yaml [attack.count=10] has none",
                "s.yaml:5:30: error: metric 'detection_enrichment' needs detection by filtering (detection.enabled: true) of poisoned images; s.yaml [attack.count=10] has none",
                "s.yaml:6:45: error: 'attack.target' takes 1 value among the runs compared, so nothing can increase or decrease along it; sweep it",
            ])
    }

    /// Type errors, semantic errors and expectation errors of every file come in one pass.
    func testEveryErrorOfEveryFileAtOnce() {
        let f = SpecFolder()
        f.write(
            "a.yaml",
            """
            train: {steps: many}
            attack: {poison: dirty_label, target: 12, count: 5, fraction: 0.1}
            """)
        f.write(
            "b.yaml",
            """
            attack: {poison: dirty_label, target: 0, count: 5}
            expect:
              - {finding: x, is: ">=", value: 0.5, where: [attack.count=6]}
            """)
        let d = diagnostics(f).map(\.description)
        XCTAssertEqual(
            d,
            [
                "a.yaml:1:16: error: 'train.steps' must be an integer in [1, 1000000000] (got 'many')",
                "a.yaml:2:39: error: 'attack.target' must be a class of fashion_mnist (0…9; got 12)",
                "a.yaml:2:50: error: give one of 'attack.fraction', 'attack.fraction_of_dataset' and 'attack.count', not 'fraction' and 'count'",
                "b.yaml:3:47: error: 'attack.count=6' selects no run of b.yaml (attack.count is 5)",
            ])
    }

    /// `null` removes a key, inherited or set on the command line, so its default (or another key) applies.
    func testNullRemovesAnInheritedKey() throws {
        let f = SpecFolder()
        f.write("base.yaml", "attack: {poison: dirty_label, target: 0, count: 75}\n")
        f.write("child.yaml", "extends: base.yaml\nattack: {count: null, fraction_of_dataset: 0.01}\n")
        let child = try f.load("child.yaml")
        XCTAssertNil(child[0].runs[0].value[path: "attack.count"])
        XCTAssertEqual(child[0].runs[0].value[path: "attack.fraction_of_dataset"]?.double, 0.01)
        let set = try f.load("base.yaml", set: ["attack.count=null", "attack.fraction_of_dataset=0.1"])
        XCTAssertNil(set[0].runs[0].value[path: "attack.count"])
        XCTAssertEqual(diagnostics(f, "base.yaml", set: ["attack.count=~"]).count, 1)  // now nothing says how much
    }

    /// A folder with profiles, loaded without one: its errors come with the profiles it offers.
    func testAFolderWithProfilesSaysSoWhenNoneIsGiven() {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            """
            attack: {poison: dirty_label, target: 0, count: 5}
            defence: {kind: dp_sgd}
            profiles: {cpu: {dataset: {public_fraction: 0.5}}, full: {dataset: {public_fraction: 0.5}}}
            """)
        let d = diagnostics(f).map(\.description)
        XCTAssert(d.contains { $0.contains("these specs define profiles (cpu, full) and none was given") }, "\(d)")
        XCTAssertEqual(diagnostics(f, profile: "cpu").count, 0)
    }

    /// Planning reads no data: an unset ${env:…} is noted, not an error, where the loader allows it.
    func testPlanningNeedsNoDataPaths() throws {
        let f = SpecFolder()
        f.write("s.yaml", "dataset: {name: cifar10, path: \"${env:NO_SUCH_DIR_FOR_TESTS}\"}\n")
        XCTAssertEqual(
            diagnostics(f, "s.yaml").map(\.message),
            ["environment variable 'NO_SUCH_DIR_FOR_TESTS' is not set (used as ${env:NO_SUCH_DIR_FOR_TESTS})"])
        var loader = SpecLoader(environment: [:], displayRoot: f.dir)
        loader.allowUnsetEnvironment = true
        let specs = try loader.load(f.dir + "/s.yaml")
        XCTAssertEqual(specs[0].runs[0].value[path: "dataset.path"]?.string, "${env:NO_SUCH_DIR_FOR_TESTS}")
        XCTAssertEqual(loader.unsetVariables.names, ["NO_SUCH_DIR_FOR_TESTS"])
    }
}

/// The editor schema agrees with the tool on every spec of the repository, checked by an independent
/// JSON Schema implementation (Python's jsonschema; CI installs python3-jsonschema and python3-yaml).
final class EditorSchemaTests: XCTestCase {
    func testEverySpecInTheRepositoryPassesTheEditorSchema() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Schema/validate_specs.py"
        ).path
        // The Python on the PATH first, then Debian's (where apt installs python3-jsonschema).
        var missing = ""
        for python in ["python3", "/usr/bin/python3"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python, script]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            do { try p.run() } catch { continue }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if p.terminationStatus == 2 || p.terminationStatus == 127 {
                missing += "\(python): \(text)"
                continue
            }
            XCTAssertEqual(p.terminationStatus, 0, text)
            XCTAssert(text.contains(" specs, 0 disagreements"), text)
            return
        }
        throw XCTSkip("no Python with jsonschema and PyYAML: \(missing)")
    }
}

/// Every stage key of every spec in the repository, against a committed snapshot: a key that changes
/// orphans every cache entry computed under it, so a change must be deliberate (bump the stage kind's
/// version and regenerate with BACKDOORLAB_UPDATE_SNAPSHOT=1).
final class StageKeySnapshotTests: XCTestCase {
    func testStageKeysOfEveryRepositorySpecAreUnchanged() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let snapshot = root.appendingPathComponent("Tests/ExperimentTests/Specs/stage-keys.txt")
        var lines: [String] = []
        for (folder, profile) in [
            ("experiments/examples", nil), ("experiments/examples/clean_label", nil), ("experiments/examples/gan", nil),
            ("experiments/thesis", "cpu"), ("experiments/thesis", "full"), ("experiments/defences", nil),
            ("experiments/defences", "quick"), ("experiments/matrix", nil), ("experiments/matrix", "quick"),
            ("experiments/thesis", "cpu+seeds"),
        ] as [(String, String?)] {
            var loader = SpecLoader(environment: [:], profile: profile, displayRoot: root.path)
            loader.allowUnsetEnvironment = true
            var planner = Planner(rates: .defaults)
            let plan = try planner.plan(try loader.load(root.appendingPathComponent(folder).path))
            for s in plan.stages {
                lines.append("\(folder)\(profile.map { " --profile \($0)" } ?? "") \(s.kind.rawValue) \(s.key)")
            }
        }
        let text = lines.sorted().joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["BACKDOORLAB_UPDATE_SNAPSHOT"] != nil {
            try text.write(to: snapshot, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: snapshot, encoding: .utf8)
        let changed = Set(text.split(separator: "\n")).symmetricDifference(Set(committed.split(separator: "\n")))
        XCTAssert(changed.isEmpty, "stage keys changed:\n" + changed.sorted().prefix(20).joined(separator: "\n"))
    }
}
