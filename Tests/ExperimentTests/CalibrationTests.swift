import Datasets
import Experiment
import Foundation
import TestSupport
import XCTest

final class CalibrationTests: XCTestCase {
    func cleanLabelPlan() throws -> Plan {
        let folder = SpecFolder()
        folder.write("s.yaml", cleanLabel)
        return try folder.plan("s.yaml")
    }

    func testFactorIsTheMedianRatioOfAKindWithEnoughLongEnoughStages() {
        let c = Calibration(finished: [
            (.evaluate, 3, 4), (.evaluate, 3, 3.9), (.evaluate, 2, 9), (.evaluate, 4, 5.2),  // 1.33, 1.3, 4.5, 1.3
            (.train, 100, 99), (.train, 100, 130),  // two stages: too few
            (.poison, 0.01, 0.5), (.poison, 0.01, 0.5), (.poison, 0.01, 0.5),  // under a second of estimate
            (.perturb, 10, 11), (.perturb, 10, 9), (.perturb, 10, 0),  // a zero timing is no measurement
        ])
        // Median of 1.3, 1.3, 1.333…, 4.5: (1.3 + 1.333…) / 2; the paused 4.5 does not move it.
        XCTAssertEqual(c.factors[.evaluate]?.ratio ?? 0, (1.3 + 4.0 / 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(c.factors[.evaluate]?.stages, 4)
        XCTAssertNil(c.factors[.train])
        XCTAssertNil(c.factors[.poison])
        XCTAssertNil(c.factors[.perturb])
        let odd = Calibration(finished: [(.encode, 10, 13), (.encode, 10, 12), (.encode, 10, 30)])
        XCTAssertEqual(odd.factors[.encode], Calibration.Factor(ratio: 1.3, stages: 3))
    }

    func testCalibratedPlanScalesOnlyItsKindsTimes() throws {
        let plan = try cleanLabelPlan()
        let c = Calibration(factors: [.evaluate: .init(ratio: 1.5, stages: 3)])
        let scaled = plan.calibrated(c)
        XCTAssertEqual(scaled.calibration, c)
        var expected = 0.0
        for (a, b) in zip(plan.stages, scaled.stages) {
            XCTAssertEqual(b.cost.seconds, a.cost.seconds * (a.kind == .evaluate ? 1.5 : 1))
            XCTAssertEqual(b.cost.flops, a.cost.flops)
            expected += b.cost.seconds
        }
        XCTAssertGreaterThan(plan.count(.evaluate), 0)
        XCTAssertEqual(scaled.total.seconds, expected, accuracy: expected * 1e-12)
        XCTAssertEqual(
            c.summary, "times scaled by this plan's finished stages (median measured ÷ estimated): evaluate ×1.50 (3)")
        XCTAssertNil(Calibration.none.summary)
        XCTAssert(PlanOutput.table(scaled, cached: { _ in false }).contains("evaluate ×1.50 (3)"))
    }

    func testFactorsComeFromThePlansFinishedStagesRunWithTheSameThreads() throws {
        let plan = try cleanLabelPlan()
        let root = DatasetFiles.temporaryDirectory("backdoorlab-calibration")
        let cache = Cache(root: root)
        let evaluations = plan.stages.filter { $0.kind == .evaluate }
        XCTAssertGreaterThanOrEqual(evaluations.count, 7)
        func finish(_ s: Stage, seconds: Double, threads: Int?, load: Double? = 0.02) throws {
            let dir = cache.directory(s.key)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
            try JSONEncoder().encode(
                StageTiming(seconds: seconds, earlierSittingsSeconds: 0, threads: threads, othersLoad: load)
            )
            .write(to: URL(fileURLWithPath: dir + "/timing.json"))
        }
        // Three on 2 threads at 2× their estimate count; left out: one on 8 threads (another machine sharing
        // the cache), one beside another process using 40 % of the machine, one of an older version that
        // recorded neither, and one where the load could not be read.
        for s in evaluations.prefix(3) { try finish(s, seconds: 2 * s.cost.seconds, threads: 2) }
        try finish(evaluations[3], seconds: 0.5 * evaluations[3].cost.seconds, threads: 8)
        try finish(evaluations[4], seconds: 5 * evaluations[4].cost.seconds, threads: 2, load: 0.4)
        try finish(evaluations[5], seconds: 5 * evaluations[5].cost.seconds, threads: nil, load: nil)
        try finish(evaluations[6], seconds: 5 * evaluations[6].cost.seconds, threads: 2, load: nil)
        let c = Calibration(plan: plan, cache: cache, threads: 2)
        XCTAssertEqual(c.factors[.evaluate]?.stages, 3)
        XCTAssertEqual(c.factors[.evaluate]?.ratio ?? 0, 2, accuracy: 1e-12)
        XCTAssertEqual(c.factors.count, 1)
        XCTAssertEqual(Calibration(plan: plan, cache: cache, threads: 8).factors, [:])
    }
}
