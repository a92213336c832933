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
        let r = try CLITests.run(["run", other + "/spec.yaml", "--cache", dir + "/cache", "--results", dir + "/results"])
        XCTAssertEqual(r.code, 65, r.out + r.err)
        XCTAssert(r.err.contains("\(dir)/results/spec.csv holds the results of \(dir)/spec.yaml, not of \(other)/spec.yaml"), r.err)
        XCTAssertFalse(r.out.contains("computed"), r.out)
        XCTAssertEqual(try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8), first)
        // The same spec again is its own result: it may replace it.
        XCTAssertEqual(try run(dir + "/cache").code, 0)
    }
}
