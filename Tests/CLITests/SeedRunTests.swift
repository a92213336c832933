import Foundation
import XCTest

/// A seeded spec end to end: each seed a run, the results with each point's spread, the report's table.
extension RunTests {
    func testSeededSpecReportsItsSpread() throws {
        let spec = """
            \(tinySpec(train: "steps: 4, batch_size: 10, learning_rate: 0.05"))
            attack: {poison: dirty_label, count: {sweep: [10, 30]}}
            seeds: 2
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.out + r.err)
        // One dataset stage for both seeds; a training per seed and count.
        XCTAssertEqual(try stageKeys("dataset", in: dir + "/cache").count, 1)
        XCTAssertEqual(try stageKeys("train", in: dir + "/cache").count, 4)
        let csv = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssert(lines[0].hasPrefix("attack.count,seed,") && lines[0].hasSuffix(",attack_success_rate_ci95_high"))
        struct Results: Decodable {
            struct Aggregate: Decodable {
                struct Spread: Decodable { var mean: Double, sd: Double, ci95: [Double] }
                var point: [String: String], seeds: [Int], metrics: [String: Spread]
            }
            struct Run: Decodable { var point: [String: String], natural_accuracy: Double }
            var runs: [Run], aggregates: [Aggregate]
        }
        let results = try JSONDecoder().decode(
            Results.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/results/spec/results.json")))
        XCTAssertEqual(results.aggregates.map(\.point), [["attack.count": "10"], ["attack.count": "30"]])
        let first = results.aggregates[0]
        XCTAssertEqual(first.seeds, [0, 1])
        let acc = try XCTUnwrap(first.metrics["natural_accuracy"])
        let seeds = results.runs.filter { $0.point["attack.count"] == "10" }.map(\.natural_accuracy)
        XCTAssertEqual(acc.mean, (seeds[0] + seeds[1]) / 2, accuracy: 1e-12)
        // Two seeds: half-width t(0.975, 1) · s / √2 = 12.706 · s / √2.
        XCTAssertEqual(acc.ci95[1] - acc.mean, 12.706_204_736 * acc.sd / 2.0.squareRoot(), accuracy: 1e-6)
        let rep = try CLITests.run(["report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report"])
        XCTAssertEqual(rep.code, 0, rep.out + rep.err)
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssert(md.contains("| run | seeds | natural accuracy | attack success rate | R-Acc |"), md)
        XCTAssert(md.contains("| attack.count=10 | 0, 1 | "), md)
        // The figure: one line of means with its interval shaded, and a caption that says so.
        XCTAssert(
            md.contains(
                "![spec](spec.svg)\n\n(Lines: the mean over seeds; shaded: its 95 % Student-t interval, cut at 0 and 100 %.)"
            ), md)
        let svg = try String(contentsOfFile: dir + "/report/spec.svg", encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<polygon ").count - 1, 1, svg)
    }
}
