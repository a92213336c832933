import Foundation
import Learning
import XCTest

/// Against Google's dp-accounting 0.6.0 (values written by Fixtures/make_fixtures.py).
final class RDPAccountantTests: XCTestCase {
    struct Fixture: Decodable {
        struct Eps: Decodable {
            var q: Double
            var sigma: Double
            var steps: Int
            var delta: Double
            var epsilon: Double
            var order: Double
        }
        struct One: Decodable {
            var q: Double
            var sigma: Double
            var order: Double
            var rdp: Double
        }
        var epsilon: [Eps]
        var rdp: [One]
    }

    func fixture() throws -> Fixture {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(
            "rdp_accountant.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testThesisReferenceValuesWithinOnePercent() {
        // The reference: q = 0.04, 10 000 steps, δ = 1e-5.
        let a = RDPAccountant.epsilon(q: 0.04, sigma: 1, steps: 10_000, delta: 1e-5)
        XCTAssertEqual(a.epsilon, 37.58, accuracy: 0.3758)
        XCTAssertEqual(a.order, 2.0)
        let b = RDPAccountant.epsilon(q: 0.04, sigma: 2.0 / 3, steps: 10_000, delta: 1e-5)
        XCTAssertEqual(b.epsilon, 114.69, accuracy: 1.1469)
        XCTAssertEqual(b.order, 1.5)
    }

    func testMatchesDPAccountingEverywhere() throws {
        let f = try fixture()
        for e in f.epsilon {
            let r = RDPAccountant.epsilon(q: e.q, sigma: e.sigma, steps: e.steps, delta: e.delta)
            XCTAssertEqual(r.epsilon, e.epsilon, accuracy: e.epsilon * 1e-6, "q \(e.q) σ \(e.sigma)")
            XCTAssertEqual(r.order, e.order, "q \(e.q) σ \(e.sigma)")
        }
        for o in f.rdp {
            XCTAssertEqual(
                RDPAccountant.rdp(q: o.q, sigma: o.sigma, order: o.order), o.rdp, accuracy: abs(o.rdp) * 1e-9,
                "order \(o.order)")
        }
    }

    func testEdgeCases() {
        XCTAssertEqual(RDPAccountant.epsilon(q: 0.04, sigma: 0, steps: 10, delta: 1e-5).epsilon, .infinity)
        XCTAssertEqual(RDPAccountant.rdp(q: 0, sigma: 1, order: 2), 0)
        XCTAssertEqual(RDPAccountant.rdp(q: 1, sigma: 2, order: 3), 3.0 / 8)
    }
}
