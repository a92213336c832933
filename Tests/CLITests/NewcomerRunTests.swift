import Datasets
import Foundation
import TestSupport
import XCTest

/// What a new user meets first: one exit-code table for every command, results that never overwrite
/// another spec's.
extension RunTests {
    func testExitCodesFollowTheTableForEveryCommand() throws {
        let fm = FileManager.default
        fm.createFile(atPath: dir + "/bad.yaml", contents: Data("train: {steps: many}\n".utf8))
        fm.createFile(atPath: dir + "/orphan.yaml", contents: Data("extends: nowhere.yaml\n".utf8))
        let cases: [([String], Int32)] = [
            (["validate", dir + "/spec.yaml"], 0),
            (["validate", dir + "/bad.yaml"], 65),
            (["validate", dir + "/missing.yaml"], 66),
            (["validate", dir + "/orphan.yaml"], 66),
            (["plan", dir + "/spec.yaml", "--bogus"], 64),
            (["run", dir + "/spec.yaml", "--threads", "0"], 64),
            (["status", dir + "/spec.yaml", "--cache", dir + "/empty-cache"], 3),
            (["data", "info", "--data-dir", dir + "/nowhere"], 66),
            (["cache", "verify", "--cache", dir + "/empty-cache"], 0),
        ]
        for (args, code) in cases {
            let r = try CLITests.run(args)
            XCTAssertEqual(r.code, code, "\(args): \(r.err)")
        }
    }

    /// Two specs with one file name write one results name: the second is refused before anything runs,
    /// and the first one's results stay.
    func testResultsOfAnotherSpecAreNeverOverwritten() throws {
        writeSpec(fractions: "[0.2]")
        XCTAssertEqual(try run(dir + "/cache").code, 0)
        let first = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8)
        let other = dir + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try String(contentsOfFile: dir + "/spec.yaml", encoding: .utf8).replacingOccurrences(of: "[0.2]", with: "[0.4]")
            .write(toFile: other + "/spec.yaml", atomically: true, encoding: .utf8)
        let r = try CLITests.run([
            "run", other + "/spec.yaml", "--cache", dir + "/cache", "--results", dir + "/results",
        ])
        XCTAssertEqual(r.code, 65, r.out + r.err)
        XCTAssert(
            r.err.contains("\(dir)/results/spec.csv holds the results of \(dir)/spec.yaml, not of \(other)/spec.yaml"),
            r.err)
        XCTAssertFalse(r.out.contains("computed"), r.out)
        XCTAssertEqual(try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8), first)
        // The same spec again is its own result: it may replace it.
        XCTAssertEqual(try run(dir + "/cache").code, 0)
    }

    /// The smaller traps a first hour meets.
    func testTheSmallerTrapsOfAFirstHour() throws {
        let fm = FileManager.default
        // An empty spec is an error, not a 5-hour default training.
        fm.createFile(atPath: dir + "/empty.yaml", contents: Data())
        let empty = try CLITests.run(["plan", dir + "/empty.yaml"])
        XCTAssertEqual(empty.code, 65)
        XCTAssert(empty.err.contains("empty.yaml' has no keys"), empty.err)
        // A single number where a list of channels goes is an error, not a one-group network.
        fm.createFile(
            atPath: dir + "/w.yaml",
            contents: Data("attack: {poison: dirty_label, count: 5}\nmodel: {widths: 16}\n".utf8))
        let widths = try CLITests.run(["validate", dir + "/w.yaml"])
        XCTAssertEqual(widths.code, 65)
        XCTAssert(widths.err.contains("'model.widths' is a list (got 16); write [16] for a list of one"), widths.err)
        // --json and --dot together: a usage error, not JSON alone.
        XCTAssertEqual(try CLITests.run(["plan", dir + "/spec.yaml", "--json", "--dot"]).code, 64)
        // A cache that does not exist says so.
        let ls = try CLITests.run(["cache", "ls", "--cache", dir + "/no-cache"])
        XCTAssert(ls.out.hasPrefix("no cache at \(dir)/no-cache yet"), ls.out)
        let status = try CLITests.run(["status", dir + "/spec.yaml", "--cache", dir + "/no-cache"])
        XCTAssert(status.out.hasPrefix("no cache at \(dir)/no-cache yet"), status.out)
        // The dataset's name as specs spell it.
        let info = try CLITests.run(["data", "info", "--dataset", "fashion_mnist", "--data-dir", dir + "/data"])
        XCTAssertEqual(info.code, 0, info.err)
        // `run` ends with what it found.
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertNotNil(
            r.out.range(
                of: #"spec\.yaml \[attack\.fraction=0\.2\]: natural accuracy \d+\.\d %, attack success rate \d+\.\d %"#,
                options: .regularExpression), r.out)
    }

    /// `validate` of a folder looks into its subfolders, each with its own bases and profiles.
    func testValidateLooksIntoSubfoldersAndTheirProfiles() throws {
        let fm = FileManager.default
        for sub in ["a", "b/c", "p"] {
            try fm.createDirectory(atPath: "\(dir)/tree/\(sub)", withIntermediateDirectories: true)
        }
        fm.createFile(
            atPath: dir + "/tree/a/one.yaml", contents: Data("attack: {poison: dirty_label, count: 5}\n".utf8))
        fm.createFile(
            atPath: dir + "/tree/b/c/two.yaml", contents: Data("attack: {poison: dirty_label, count: 0}\n".utf8))
        fm.createFile(
            atPath: dir + "/tree/p/three.yaml",
            contents: Data(
                """
                attack: {poison: dirty_label, count: 5}
                defence: {kind: dp_sgd}
                profiles: {cpu: {dataset: {public_fraction: 0.5}}}
                """.utf8))
        let bad = try CLITests.run(["validate", dir + "/tree"])
        XCTAssertEqual(bad.code, 65)
        XCTAssert(bad.err.contains("tree/b/c/two.yaml:1:"), bad.err)
        fm.createFile(
            atPath: dir + "/tree/b/c/two.yaml", contents: Data("attack: {poison: dirty_label, count: 6}\n".utf8))
        let good = try CLITests.run(["validate", dir + "/tree"])
        XCTAssertEqual(good.code, 0, good.err)
        XCTAssert(good.out.hasPrefix("ok: 3 specs, 3 runs; \(dir)/tree/p under each of its profiles (cpu)"), good.out)
    }

    /// `export` writes a run's poisoned training set, poison indices, test set and model for other toolkits.
    func testExportWritesThePoisonedSetAndTheModel() throws {
        writeSpec(fractions: "[0.2]")
        let early = try CLITests.run([
            "export", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/export",
        ])
        XCTAssertEqual(early.code, 66, early.err)
        XCTAssert(early.err.contains("is not in the cache"), early.err)
        XCTAssertEqual(try run(dir + "/cache").code, 0)
        let r = try CLITests.run(["export", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/export"])
        XCTAssertEqual(r.code, 0, r.err)
        let out = dir + "/export/spec/attack.fraction=0.2"
        let images = try NPY.read(out + "/train_images.npy")
        let labels = try NPY.read(out + "/train_labels.npy")
        let poisons = try NPY.read(out + "/poison_indices.npy")
        XCTAssertEqual(images.shape, [200, 28, 28, 1])
        XCTAssertEqual(labels.shape, [200])
        // 20 % of the 20 images of class 1; clean-label poisons keep their label.
        guard case .int64(let p) = poisons.values, case .int64(let l) = labels.values else {
            return XCTFail("int64 arrays expected")
        }
        XCTAssertEqual(p.count, 4)
        XCTAssertEqual(Set(p.map { l[Int($0)] }), [1])
        XCTAssertEqual(try NPY.read(out + "/test_images.npy").shape, [60, 28, 28, 1])
        let model = try XCTUnwrap(FileManager.default.contents(atPath: out + "/model.safetensors"))
        let key = try XCTUnwrap(try stageKeys("train", in: dir + "/cache").first)
        XCTAssertEqual(model, FileManager.default.contents(atPath: "\(dir)/cache/\(key)/model.safetensors"))
        let description = try String(contentsOfFile: out + "/export.json", encoding: .utf8)
        XCTAssert(description.contains("\"poisonedImages\" : 4") && description.contains("ankle boot"), description)
        let wrong = try CLITests.run([
            "export", dir + "/spec.yaml", "--cache", dir + "/cache", "--run", "attack.fraction=0.9",
        ])
        XCTAssertEqual(wrong.code, 64)
    }
}
