import Foundation
import Tensor
import XCTest

final class RNGTests: XCTestCase {
    func testSameSeedSameStreamDifferentSeedDifferent() {
        var a = RNG(seed: 42)
        var b = RNG(seed: 42)
        var c = RNG(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        let sb = (0..<100).map { _ in b.next() }
        let sc = (0..<100).map { _ in c.next() }
        XCTAssertEqual(sa, sb)
        XCTAssertNotEqual(sa, sc)
    }

    func testSplitStreamsAreIndependentOfDrawsOnTheParent() {
        var parent = RNG(seed: 7)
        let before = parent.split("augment")
        _ = (0..<1000).map { _ in parent.next() }
        XCTAssertEqual(parent.split("augment"), before)
        XCTAssertNotEqual(parent.split("augment"), parent.split("order"))
        XCTAssertNotEqual(parent.split(1), parent.split(2))
    }

    func testDistributions() {
        var r = RNG(seed: 1)
        let n = 100_000
        var s = 0.0
        var q = 0.0
        var u = 0.0
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<n {
            let z = Double(r.normal())
            s += z
            q += z * z
            let v = r.uniform()
            XCTAssert(v >= 0 && v < 1)
            u += Double(v)
            counts[r.below(10)] += 1
        }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.02)
        XCTAssertEqual(q / Double(n), 1, accuracy: 0.02)
        XCTAssertEqual(u / Double(n), 0.5, accuracy: 0.01)
        for c in counts { XCTAssertEqual(Double(c) / Double(n), 0.1, accuracy: 0.01) }
    }

    func testPermutationIsAPermutation() {
        var r = RNG(seed: 3)
        let p = r.permutation(1000)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertNotEqual(p, Array(0..<1000))
    }

    func testCodableRoundTrip() throws {
        var r = RNG(seed: 9)
        _ = r.next()
        let back = try JSONDecoder().decode(RNG.self, from: JSONEncoder().encode(r))
        XCTAssertEqual(back, r)
    }
}
