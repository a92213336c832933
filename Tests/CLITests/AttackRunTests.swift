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

extension RunTests {
    /// A folder of specs that each attack once and sweep the defence is reported as a matrix.
    func testAFolderOfAttacksIsReportedAsAMatrix() throws {
        let folder = dir + "/matrix"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let base = """
            \(tinySpec(train: "steps: 6, batch_size: 10, learning_rate: 0.05"))
            defence: {sweep: [none, {kind: fine_tuning, clean_fraction: 0.1, epochs: 1, batch_size: 10}]}
            seeds: 2
            """
        FileManager.default.createFile(atPath: folder + "/_base.yaml", contents: Data(base.utf8))
        let attacks = [
            "badnets": "{poison: dirty_label, count: 20}",
            "blended": "{poison: dirty_label, count: 20, trigger: {pattern: blend}}",
        ]
        for (name, attack) in attacks {
            FileManager.default.createFile(
                atPath: "\(folder)/\(name).yaml", contents: Data("extends: _base.yaml\nattack: \(attack)\n".utf8))
        }
        // DP-SGD's transfer set-up against both attacks, verbatim: the matrix's "dp_sgd (transfer)" column.
        let dp = """
            dataset: {name: fashion_mnist, path: \(dir)/data, subset: 200, public_fraction: 0.5}
            model: {units_per_group: 1, widths: [4, 4, 4], stem: 4}
            train: {steps: 4, learning_rate: 0.05}
            attack: {sweep: [\(attacks["badnets"] ?? ""), \(attacks["blended"] ?? "")]}
            defence:
              kind: {sweep: [sgd_baseline, dp_sgd]}
              lot_size: 20
              microbatches: 2
              noise_multiplier: 1
              pretrain: {dataset: public, train: {steps: 3, batch_size: 10, learning_rate: 0.05}}
            """
        FileManager.default.createFile(atPath: folder + "/dp_sgd.yaml", contents: Data(dp.utf8))
        let r = try CLITests.run(["run", folder, "--cache", dir + "/cache", "--results", dir + "/results"])
        XCTAssertEqual(r.code, 0, r.out + r.err)
        let rep = try CLITests.run(["report", folder, "--cache", dir + "/cache", "--out", dir + "/report"])
        XCTAssertEqual(rep.code, 0, rep.out + rep.err)
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssert(md.contains("## Attack × defence matrix"), md)
        XCTAssert(md.contains("| attack | none | fine_tuning | dp_sgd (transfer) |"), md)
        // The transfer column: one seed, its DER against the SGD baseline with the same attack.
        XCTAssertNotNil(
            md.range(
                of: #"\| badnets \|.*\| [\d.]+ % / [\d.]+ % / [\d.]+ % / [\d.]+ \|\n"#, options: .regularExpression), md
        )
        // Each cell is filled, over two seeds: C-Acc / ASR ± half-width / R-Acc / DER, the undefended DER 0.50 by
        // definition.
        XCTAssertNotNil(
            md.range(
                of:
                    #"\| blended \| [\d.]+ % / [\d.]+ % ± [\d.]+ / [\d.]+ % / 0\.50 \| [\d.]+ % / [\d.]+ % ± [\d.]+ / [\d.]+ % / [\d.]+ \|"#,
                options: .regularExpression), md)
        XCTAssert(md.contains("Over seeds: means, and the ASR's 95 % interval half-width in points."), md)
        for f in ["matrix-asr.svg", "matrix-der.svg"] {
            let svg = try String(contentsOfFile: dir + "/report/" + f, encoding: .utf8)
            XCTAssert(svg.contains(">blended<") && svg.contains(">badnets<") && !svg.contains("not run"), svg)
        }
    }
}
