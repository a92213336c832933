import Experiment
import Foundation
import XCTest

/// `cache export` and `cache import`: finished work moved to a fresh machine without its bulky files.
extension RunTests {
    /// A fresh cache with the exported entries reports the same numbers and recomputes nothing; an evaluation that
    /// reads an exported victim's weights recomputes the victim (and its poisons) first, to the same bytes.
    func testExportedStagesLetAFreshCacheReportAndSkipFinishedRuns() throws {
        let cache = dir + "/cache"
        let store = dir + "/store"
        let fresh = dir + "/fresh"
        XCTAssertEqual(try run(cache).code, 0)
        let csv = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8)
        // 3 KiB: the tiny victims' weights (8 KiB) and poisoned images (3–6 KiB) are left out.
        let export = try CLITests.run([
            "cache", "export", dir + "/spec.yaml", "--cache", cache, "--to", store, "--max-file-kib", "3",
        ])
        XCTAssertEqual(export.code, 0, export.err)
        XCTAssert(export.out.hasPrefix("exported 8 entries ("), export.out)
        XCTAssert(export.out.hasSuffix("0 already there; 0 of the 8 stages are not in \(cache)\n"), export.out)
        let victims = try stageKeys("train", in: store)
        XCTAssertEqual(victims.count, 2)
        let manifest = try String(contentsOfFile: "\(store)/\(victims[0])/manifest.json", encoding: .utf8)
        XCTAssert(manifest.contains("\"omitted\" : {\n    \"model.safetensors\""), manifest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(store)/\(victims[0])/model.safetensors"))
        XCTAssertLessThan(bytes(under: store), bytes(under: cache))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store + "/tmp"))  // nothing left to commit but entries

        let imported = try CLITests.run(["cache", "import", store, "--cache", fresh])
        XCTAssertEqual(imported.code, 0, imported.err)
        XCTAssert(imported.out.hasPrefix("imported 8 entries ("), imported.out)
        XCTAssertEqual(try CLITests.run(["cache", "verify", "--cache", fresh]).code, 0)
        try FileManager.default.removeItem(atPath: dir + "/results")
        let again = try run(fresh)
        XCTAssertEqual(again.code, 0, again.err)
        XCTAssertEqual(computed(again.out), [])
        XCTAssertEqual(try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8), csv)
        let report = try CLITests.run(["report", dir + "/spec.yaml", "--cache", fresh, "--out", dir + "/report"])
        XCTAssertEqual(report.code, 0, report.err)
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssert(md.contains("| attack.fraction=0.4 | "), md)
        XCTAssertFalse(md.contains("| not run |"), md)

        // Exporting a run needs its victim's weights: the message says how to get them back, and following it works.
        let refused = try CLITests.run([
            "export", dir + "/spec.yaml", "--cache", fresh, "--out", dir + "/export", "--run", "attack.fraction=0.2",
        ])
        XCTAssertEqual(refused.code, 66, refused.err)
        let advice = try XCTUnwrap(
            refused.err.range(of: "remove .+ and run the spec again", options: .regularExpression))
        XCTAssert(refused.err.contains("came from `cache import` without their larger files"), refused.err)
        XCTAssert(refused.err.contains("(without model.safetensors)"), refused.err)
        for entry in refused.err[advice].dropFirst("remove ".count).split(separator: " ").prefix(while: { $0 != "and" })
        {
            try FileManager.default.removeItem(atPath: String(entry))
        }
        XCTAssertEqual(try run(fresh).code, 0)
        let exported = try CLITests.run([
            "export", dir + "/spec.yaml", "--cache", fresh, "--out", dir + "/export", "--run", "attack.fraction=0.2",
        ])
        XCTAssertEqual(exported.code, 0, exported.err)

        // Another evaluation of both victims reads their weights: the 0.4 victim's are still left out.
        try evaluateExcludingClassifiedTarget()
        let more = try run(fresh)
        XCTAssertEqual(more.code, 0, more.err)
        XCTAssertEqual(
            computed(more.out).sorted(), ["evaluate", "evaluate", "poison", "report", "train"])
        for v in victims {
            XCTAssertEqual(
                FileManager.default.contents(atPath: "\(fresh)/\(v)/model.safetensors"),
                FileManager.default.contents(atPath: "\(cache)/\(v)/model.safetensors"))
        }
        XCTAssertEqual(try CLITests.run(["cache", "verify", "--cache", fresh]).code, 0)
        // A whole entry is never replaced by an exported one.
        let back = try CLITests.run(["cache", "import", store, "--cache", fresh])
        XCTAssert(back.out.hasPrefix("imported 0 entries (0 B)"), back.out)
    }

    /// Unfinished work: the entries a stage still to run will read are exported whole when their stage took long
    /// enough, so a fresh cache resumes without recomputing them; below the time they are left out as before.
    func testExportOfUnfinishedWorkKeepsWholeWhatItsStagesWillRead() throws {
        let cache = dir + "/cache"
        XCTAssertEqual(try run(cache).code, 0)
        try evaluateExcludingClassifiedTarget()  // two evaluations to come, which read both victims' weights
        func export(_ store: String, over seconds: String) throws -> String {
            let r = try CLITests.run([
                "cache", "export", dir + "/spec.yaml", "--cache", cache, "--to", store, "--max-file-kib", "3",
                "--whole-if-needed-over", seconds,
            ])
            XCTAssertEqual(r.code, 0, r.err)
            return r.out
        }
        // The tiny victims train in well under an hour per MiB: left out, and a fresh cache would retrain them.
        let partial = try export(dir + "/partial", over: "3600")
        XCTAssertFalse(partial.contains("whole"), partial)
        for v in try stageKeys("train", in: dir + "/partial") {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/partial/\(v)/model.safetensors"))
        }

        // A millionth of a second per MiB: below any stage's recorded time, so only a time read lets them through.
        let out = try export(dir + "/store", over: "0.000001")
        XCTAssert(out.contains("; whole, as unfinished stages read them: "), out)
        XCTAssertEqual(out.components(separatedBy: "train ").count - 1, 2, out)
        XCTAssertFalse(out.contains("poison "), out)  // read only by the victims, which are finished
        let victims = try stageKeys("train", in: dir + "/store")
        XCTAssertEqual(victims.count, 2)
        for v in victims {
            XCTAssertEqual(
                FileManager.default.contents(atPath: "\(dir)/store/\(v)/model.safetensors"),
                FileManager.default.contents(atPath: "\(cache)/\(v)/model.safetensors"))
            let manifest = try String(contentsOfFile: "\(dir)/store/\(v)/manifest.json", encoding: .utf8)
            XCTAssertFalse(manifest.contains("omitted"), manifest)
        }
        XCTAssertEqual(try CLITests.run(["cache", "import", dir + "/store", "--cache", dir + "/fresh"]).code, 0)
        let resumed = try run(dir + "/fresh")
        XCTAssertEqual(resumed.code, 0, resumed.err)
        XCTAssertEqual(computed(resumed.out).sorted(), ["evaluate", "evaluate", "report"])

        // Victims cheap for their bytes go without their weights, so a fresh cache retrains them — and that
        // retraining reads the poisons: a poison stage costly for its bytes then goes whole (times set by the test).
        func setSeconds(_ kind: String, _ seconds: Double) throws {
            for key in try stageKeys(kind, in: cache) {
                let path = URL(fileURLWithPath: "\(cache)/\(key)/timing.json")
                var t = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
                t["seconds"] = seconds
                let data = try JSONSerialization.data(withJSONObject: t)
                try data.write(to: path)
                // The entry's checksum of it, so that the entry still verifies.
                let manifestPath = URL(fileURLWithPath: "\(cache)/\(key)/manifest.json")
                var m = try XCTUnwrap(
                    try JSONSerialization.jsonObject(with: Data(contentsOf: manifestPath)) as? [String: Any])
                var files = try XCTUnwrap(m["files"] as? [String: String])
                files["timing.json"] = Cache.sha256(data)
                m["files"] = files
                try JSONSerialization.data(withJSONObject: m).write(to: manifestPath)
            }
        }
        try setSeconds("train", 0)
        try setSeconds("poison", 1e9)
        let chain = try export(dir + "/chain", over: "3600")
        XCTAssert(chain.contains("; whole, as unfinished stages read them: poison "), chain)
        XCTAssertFalse(chain.contains("train "), chain)
        XCTAssertEqual(try CLITests.run(["cache", "import", dir + "/chain", "--cache", dir + "/fresh2"]).code, 0)
        let retrained = try run(dir + "/fresh2")
        XCTAssertEqual(retrained.code, 0, retrained.err)
        XCTAssertFalse(computed(retrained.out).contains("poison"), retrained.out)
        XCTAssert(computed(retrained.out).contains("train"), retrained.out)
    }

    /// A job array's tasks (as `submit` lays them out) recompute the exported stages a later task reads, so the
    /// array finishes as a plain run does.
    func testJobArrayTasksRecomputeExportedInputs() throws {
        let cache = dir + "/cache"
        let store = dir + "/store"
        let fresh = dir + "/fresh"
        XCTAssertEqual(try run(cache).code, 0)
        XCTAssertEqual(
            try CLITests.run([
                "cache", "export", dir + "/spec.yaml", "--cache", cache, "--to", store, "--max-file-kib", "3",
            ]).code, 0)
        XCTAssertEqual(try CLITests.run(["cache", "import", store, "--cache", fresh]).code, 0)
        try evaluateExcludingClassifiedTarget()
        let plain = try run(cache)
        XCTAssertEqual(plain.code, 0, plain.err)
        let expected = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/results")

        let dry = try CLITests.run(["submit", dir + "/spec.yaml", "--slurm", "--cache", fresh, "--dry-run"])
        XCTAssertEqual(dry.code, 0, dry.err)
        // Each array's `--array=0-N` and its wave, in order; every task of a wave, then the next wave.
        var tasks: [String] = []
        var count = 0
        for line in dry.out.split(separator: "\n") {
            if line.hasPrefix("#SBATCH --array=0") {
                count = (line.split(separator: "-").last.flatMap { Int($0) } ?? 0) + 1
            }
            if let r = line.range(of: #"--task \d+\."#, options: .regularExpression) {
                let wave = line[r].dropFirst("--task ".count).dropLast()
                tasks += (0..<count).map { "\(wave).\($0)" }
            }
        }
        XCTAssertEqual(tasks, ["1.0", "1.1", "2.0"], dry.out)
        var computed: [String] = []
        for t in tasks {
            let r = try run(fresh, extra: ["--task", t])
            XCTAssertEqual(r.code, 0, "task \(t): " + r.err)
            computed += self.computed(r.out)
        }
        XCTAssertEqual(computed.sorted(), ["evaluate", "evaluate", "poison", "poison", "report", "train", "train"])
        XCTAssertEqual(try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8), expected)
    }

    /// The spec's runs evaluated once more (another ASR definition): new evaluations of the same victims.
    func evaluateExcludingClassifiedTarget() throws {
        let spec = try String(contentsOfFile: dir + "/spec.yaml", encoding: .utf8)
        FileManager.default.createFile(
            atPath: dir + "/spec.yaml",
            contents: Data((spec + "\nevaluate: {attack_success_rate: {exclude: classified_target}}\n").utf8))
    }

    /// Bytes of the files under a folder.
    func bytes(under path: String) -> Int {
        let fm = FileManager.default
        return (fm.subpaths(atPath: path) ?? []).reduce(0) {
            $0 + ((try? fm.attributesOfItem(atPath: path + "/" + $1)[.size] as? Int) ?? 0)
        }
    }

    func testImportFromAMissingFolderExits66() throws {
        let r = try CLITests.run(["cache", "import", dir + "/nowhere", "--cache", dir + "/cache"])
        XCTAssertEqual(r.code, 66)
        XCTAssert(r.err.contains("no folder at \(dir)/nowhere to import from"), r.err)
    }
}
