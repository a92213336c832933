import Foundation
import XCTest

@testable import Reports

/// The t distribution and seed summaries against hand computations and SciPy
/// (`Fixtures/make_statistics_fixtures.py` wrote `statistics.json` once).
final class StatisticsTests: XCTestCase {
    struct Fixture: Decodable {
        struct Quantile: Decodable { var p: Double, nu: Double, t: Double }
        struct CDF: Decodable { var t: Double, nu: Double, cdf: Double }
        struct Interval: Decodable { var values: [Double], mean: Double, sd: Double, lower: Double, upper: Double }
        var quantiles: [Quantile], cdfs: [CDF], interval: Interval
    }

    func fixture() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "statistics", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Closed forms: ν = 1 is Cauchy, t = tan(π(p − ½)); ν = 2 has t = (2p − 1)·√(2 / (4p(1 − p))).
    func testQuantilesByHand() {
        for p in [0.6, 0.9, 0.975] {
            XCTAssertEqual(StudentT.quantile(p, degreesOfFreedom: 1), tan(Double.pi * (p - 0.5)), accuracy: 1e-9)
            XCTAssertEqual(
                StudentT.quantile(p, degreesOfFreedom: 2), (2 * p - 1) * (2 / (4 * p * (1 - p))).squareRoot(),
                accuracy: 1e-9)
        }
        XCTAssertEqual(StudentT.quantile(0.5, degreesOfFreedom: 7), 0, accuracy: 1e-12)
    }

    func testQuantilesAndCDFAgreeWithSciPy() throws {
        let f = try fixture()
        for q in f.quantiles {
            XCTAssertEqual(StudentT.quantile(q.p, degreesOfFreedom: q.nu), q.t, accuracy: 1e-8 * max(1, abs(q.t)))
        }
        for c in f.cdfs { XCTAssertEqual(StudentT.cdf(c.t, degreesOfFreedom: c.nu), c.cdf, accuracy: 1e-10) }
    }

    /// Four seeds of the trigger-only ASR: mean, sample SD and the 95 % t interval as SciPy's `t.interval`.
    func testIntervalAgreesWithSciPy() throws {
        let f = try fixture().interval
        let s = SeedSummary(f.values)
        XCTAssertEqual(s.mean, f.mean, accuracy: 1e-12)
        XCTAssertEqual(s.standardDeviation, f.sd, accuracy: 1e-12)
        XCTAssertEqual(s.lower, f.lower, accuracy: 1e-9)
        XCTAssertEqual(s.upper, f.upper, accuracy: 1e-9)
    }

    /// Two values 1 and 3: mean 2, s = √2, half-width t(0.975, 1)·√2/√2 = 12.706.
    func testTwoValueIntervalByHand() {
        let s = SeedSummary([1, 3])
        XCTAssertEqual(s.standardDeviation, 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.halfWidth, 12.706_204_736, accuracy: 1e-6)
        let one = SeedSummary([0.4])
        XCTAssertEqual(one.lower, 0.4)
        XCTAssertEqual(one.upper, 0.4)
        XCTAssertNil(one.seedsToDecide(against: 0.5))
    }

    /// The bootstrap interval lies inside the values' range, contains the mean, and is reproducible.
    func testBootstrapIntervalIsSeededAndInsideTheData() {
        let v = [1.2, 0.8, 3.5, 1.1, 0.9]
        let a = SeedSummary(bootstrap: v)
        XCTAssertEqual(a, SeedSummary(bootstrap: v))
        XCTAssert(a.lower >= 0.8 && a.upper <= 3.5 && a.lower <= a.mean && a.mean <= a.upper, "\(a)")
        XCTAssertLessThan(a.upper - a.lower, 3.5 - 0.8)
    }

    /// Seeds needed: the smallest n with t(0.975, n − 1)·s/√n below the gap to the threshold.
    func testSeedsToDecide() throws {
        let s = SeedSummary([0.194, 0.140, 0.141, 0.247])  // s ≈ 0.051
        let n = try XCTUnwrap(s.seedsToDecide(against: 0.15))
        func half(_ n: Int) -> Double {
            SeedSummary.tFactor(count: n, confidence: 0.95) * s.standardDeviation / Double(n).squareRoot()
        }
        XCTAssertLessThan(half(n), abs(s.mean - 0.15))
        XCTAssertGreaterThanOrEqual(half(n - 1), abs(s.mean - 0.15))
    }
}
