import XCTest

@testable import Backdoor

final class FilteringDetectionTests: XCTestCase {
    /// 2 of the 3 poisons among the 3 lowest of 10 images; chance puts 3 · 3/10 = 0.9 there.
    func testFoundAgainstChanceByHand() {
        let r = FilteringDetection.result(
            ranked: [5, 3, 9, 1, 0, 2, 4, 6, 7, 8], poisons: [3, 9, 7], inspect: 3, filterTestAccuracy: 0.8)
        XCTAssertEqual(r.found, 2)
        XCTAssertEqual(r.inspect, 3)
        XCTAssertEqual(r.expectedByChance, 0.9, accuracy: 1e-12)
        XCTAssertEqual(r.ratioToChance, 2 / 0.9, accuracy: 1e-12)
        XCTAssertEqual(r.lowest, [5, 3, 9])
        // Inspecting more than there are images inspects them all.
        XCTAssertEqual(
            FilteringDetection.result(ranked: [1, 0], poisons: [0], inspect: 5, filterTestAccuracy: 1).inspect, 2)
    }

    /// The trusted set never holds a poison, is seeded, and is the requested size.
    func testCleanImagesExcludePoisons() {
        let poisons: Set<Int> = Set(stride(from: 0, to: 100, by: 3))
        let a = FilteringDetection.cleanImages(count: 40, of: 100, poisons: poisons, seed: 7)
        XCTAssertEqual(a.count, 40)
        XCTAssert(poisons.isDisjoint(with: a))
        XCTAssertEqual(Set(a).count, 40)
        XCTAssertEqual(a, FilteringDetection.cleanImages(count: 40, of: 100, poisons: poisons, seed: 7))
        XCTAssertNotEqual(a, FilteringDetection.cleanImages(count: 40, of: 100, poisons: poisons, seed: 8))
    }
}
