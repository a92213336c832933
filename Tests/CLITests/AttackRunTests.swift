import Foundation
import XCTest

/// Blended, SIG and WaNet poisons and an all-to-all attack run end to end: each poison stage leaves its
/// images (and WaNet its noise-mode images), and each run an attack success rate.
extension RunTests {
    func testStandardAttacksRunEndToEnd() throws {
        let spec = """
            \(tinySpec(train: "steps: 6, batch_size: 10, learning_rate: 0.05"))
            attack:
              poison: dirty_label
              count: 20
              trigger:
                sweep:
                  - {pattern: blend, alpha: 0.3}
                  - {pattern: sinusoid, delta: 30}
                  - {pattern: warp, noise: 1.5, strength: 1}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.out + r.err)
        struct Results: Decodable {
            struct Run: Decodable { var attack_success_rate: Double?, stages: [String: String] }
            var runs: [Run]
        }
        let results = try JSONDecoder().decode(
            Results.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/results/spec/results.json")))
        XCTAssertEqual(results.runs.count, 3)
        for run in results.runs { XCTAssert((0...1).contains(try XCTUnwrap(run.attack_success_rate))) }
        let poisons = try stageKeys("poison", in: dir + "/cache")
        XCTAssertEqual(poisons.count, 3)
        // Only WaNet's poison stage has noise-mode images: 1.5 × 20 of them.
        let noise = poisons.filter { FileManager.default.fileExists(atPath: "\(dir)/cache/\($0)/noise_indices.npy") }
        XCTAssertEqual(noise.count, 1)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: "\(dir)/cache/\(noise[0])/noise_indices.npy"))
        XCTAssert(String(decoding: bytes.prefix(128), as: UTF8.self).contains("'shape': (30,)"))
        for p in poisons { XCTAssert(FileManager.default.fileExists(atPath: "\(dir)/cache/\(p)/examples.png")) }
    }

    /// All-to-all needs dirty-label poisons and no single-target defence; each mistake is a spec error.
    func testAllToAllRefusesWhatHasNoSingleTarget() throws {
        let spec = """
            \(tinySpec(train: "steps: 6, batch_size: 10"))
            attack: {poison: clean_label, fraction: 0.1, targets: all_to_all, trigger: {pattern: checkerboard, alpha: 0.3}}
            defence: {kind: strip}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertNotEqual(r.code, 0)
        XCTAssert(
            r.err.contains("'targets: all_to_all' relabels the poisons: it needs 'attack.poison: dirty_label'"), r.err)
        XCTAssert(r.err.contains("strip is measured against the attack's one target class"), r.err)
        XCTAssert(r.err.contains("'attack.trigger.alpha' is read only with pattern blend, not 'checkerboard'"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cache"))
    }
}
