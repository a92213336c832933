import Datasets
import Foundation
import XCTest

/// The cleansing and inference-time defences end to end on a tiny set: what they remove and reject is
/// in the results, and their stages share the undefended victim.
extension RunTests {
    func testDefencesCleanseRetrainAndReject() throws {
        let spec = """
            \(tinySpec(train: "steps: 12, batch_size: 10, learning_rate: 0.05"))
            attack: {poison: dirty_label, target: 0, count: 20}
            defence:
              sweep:
                - none
                - {kind: spectral_signatures, classes: target, remove: 1}
                - {kind: activation_clustering, components: 3}
                - {kind: strip, copies: 5, inputs: 10}
                - {kind: fine_tuning, clean_fraction: 0.1, epochs: 1, batch_size: 10}
                - {kind: fine_pruning, clean_fraction: 0.1, epochs: 1, batch_size: 10, max_accuracy_drop: 0.5}
                - {kind: neural_cleanse, reverse_steps: 5, reverse_batch_size: 8, clean_fraction: 0.1, epochs: 1, batch_size: 10}
                - {kind: filtering, clean_images: 40, remove: 1, train: {steps: 8, batch_size: 10}}
                - {kind: abl, isolation_share: 0.5, isolation_rate: 0.05, unlearning_epochs: 1}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.out + r.err)
        // The undefended victim serves none, STRIP, the repairs and two filters' features; each filter retrains once.
        XCTAssertEqual(try stageKeys("train", in: dir + "/cache").count, 5)
        XCTAssertEqual(try stageKeys("filter", in: dir + "/cache").count, 3)
        XCTAssertEqual(try stageKeys("detect", in: dir + "/cache").count, 1)
        XCTAssertEqual(try stageKeys("repair", in: dir + "/cache").count, 4)
        XCTAssertEqual(try stageKeys("reverse", in: dir + "/cache").count, 1)
        struct Results: Decodable {
            struct Run: Decodable {
                struct Filter: Decodable { var removed: Int, poisons: Int, removed_poisons: Int }
                struct Strip: Decodable { var threshold: Double, auroc: Double?, false_rejection_rate: Double }
                struct Repair: Decodable { var clean_images: Int, pruned_channels: [Int], accuracies: [Double] }
                var stages: [String: String]
                var filter: Filter?
                var strip: Strip?
                var repair: Repair?
                struct Cleanse: Decodable { var l1: [Double], anomaly_index: [Double] }
                var neural_cleanse: Cleanse?
            }
            var runs: [Run]
        }
        let results = try JSONDecoder().decode(
            Results.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/results/spec/results.json")))
        XCTAssertEqual(results.runs.count, 9)
        XCTAssertNil(results.runs[0].filter)
        // Spectral signatures on the target class only, budget 1 × 20 poisons.
        let spectral = try XCTUnwrap(results.runs[1].filter)
        XCTAssertEqual(spectral.removed, 20)
        XCTAssertEqual(spectral.poisons, 20)
        XCTAssertLessThanOrEqual(spectral.removed_poisons, 20)
        XCTAssertNotNil(results.runs[2].filter)
        // The retrained victim saw the set less what the filter removed.
        struct Training: Decodable { var train_images: Int }
        let retrained = try JSONDecoder().decode(
            Training.self,
            from: Data(
                contentsOf: URL(fileURLWithPath: "\(dir)/cache/\(results.runs[1].stages["train"] ?? "")/training.json"))
        )
        XCTAssertEqual(retrained.train_images, 200 - 20)
        let strip = try XCTUnwrap(results.runs[3].strip)
        XCTAssert(strip.threshold.isFinite)
        XCTAssert((0...1).contains(try XCTUnwrap(strip.auroc)))
        XCTAssert((0...1).contains(strip.false_rejection_rate))
        XCTAssertEqual(results.runs[3].stages["train"], results.runs[0].stages["train"])
        // Fine-tuning on 10 % (20 images, none a poison), fine-pruning first prunes while accuracy allows.
        let tuning = try XCTUnwrap(results.runs[4].repair)
        XCTAssertEqual(tuning.clean_images, 20)
        XCTAssertEqual(tuning.pruned_channels, [])
        let pruning = try XCTUnwrap(results.runs[5].repair)
        XCTAssertEqual(pruning.accuracies.count, pruning.pruned_channels.count + 1)
        XCTAssertLessThan(pruning.pruned_channels.count, 4)
        XCTAssert(pruning.accuracies.allSatisfy { $0 >= pruning.accuracies[0] - 0.5 })
        // Neural Cleanse: one reversed mask per class, each with its anomaly index; then the unlearning.
        let cleanse = try XCTUnwrap(results.runs[6].neural_cleanse)
        XCTAssertEqual(cleanse.l1.count, 10)
        XCTAssertEqual(cleanse.anomaly_index.count, 10)
        XCTAssertNotNil(results.runs[6].repair)
        // Its picture: the attack's own trigger first, then the 10 reversed ones, each a cell of 28·3 + 2·2 pixels.
        let reverseKey = try XCTUnwrap(try stageKeys("reverse", in: dir + "/cache").first)
        let png = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/cache/\(reverseKey)/reversed.png"))
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(width, 11 * (28 * 3 + 4))
        // The thesis's filtering as a cleansing defence: its 20 lowest-ranked images removed, then a retraining.
        XCTAssertEqual(results.runs[7].filter?.removed, 20)
        XCTAssertNotEqual(results.runs[7].stages["train"], results.runs[0].stages["train"])
        // ABL: the victim trained with local gradient ascent isolated 5 % (10 images) at half its steps.
        let ablVictim = try XCTUnwrap(
            try stageKeys("train", in: dir + "/cache").first {
                FileManager.default.fileExists(atPath: "\(dir)/cache/\($0)/isolated.npy")
            })
        guard case .int64(let isolated) = try NPY.read("\(dir)/cache/\(ablVictim)/isolated.npy").values else {
            return XCTFail("int64 indices expected")
        }
        XCTAssertEqual(isolated.count, 10)
        XCTAssertNotNil(results.runs[8].repair)
        // The report: the defence table, the spectral filter's ROC curve and score histogram, STRIP's entropies
        // and ROC, Neural Cleanse's reversed triggers.
        let report = try CLITests.run([
            "report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report",
        ])
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        for text in [
            "| run | C-Acc | ASR | R-Acc | DER |", "-roc.svg)", "-scores.svg)", "STRIP entropies", "![STRIP ROC](",
            "reversed.png",
        ] {
            XCTAssert(md.contains(text), "\(text) missing from the report (exit \(report.code)): \(md.prefix(2000))")
        }
        // ABL's row counts the isolated images as its removals, against the known poisons.
        let poisonKey = try XCTUnwrap(try stageKeys("poison", in: dir + "/cache").first)
        guard case .int64(let poisons) = try NPY.read("\(dir)/cache/\(poisonKey)/indices.npy").values else {
            return XCTFail("int64 indices expected")
        }
        let hits = Set(isolated).intersection(Set(poisons)).count
        let ablRow = try XCTUnwrap(
            md.split(separator: "\n").first {
                $0.hasPrefix("| defence.kind=abl |") && $0.split(separator: "|").count == 8
            }, md)
        let cells = ablRow.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(cells[5], String(format: "%.1f %%", 100 * Double(hits) / Double(poisons.count)), String(ablRow))
        XCTAssertEqual(
            cells[6], String(format: "%.1f %%", 100 * Double(isolated.count - hits) / Double(200 - poisons.count)),
            String(ablRow))
    }
}
