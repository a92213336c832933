import XCTest

@testable import Backdoor

final class LossTrackingTests: XCTestCase {
    /// Linear interpolation between order statistics, by hand: positions 0.75, 1.5 and 2.25 of [1, 2, 3, 4].
    func testQuartilesByHand() {
        let q = quartiles([4, 1, 3, 2])
        XCTAssertEqual(q.q25, 1.75)
        XCTAssertEqual(q.median, 2.5)
        XCTAssertEqual(q.q75, 3.25)
        XCTAssertEqual(quartiles([7]).median, 7)
    }

    /// Records survive their CSV; the trigger reliance is the last record's median ratio.
    func testRecordsRoundTripThroughTheirCSV() {
        let records = [
            LossTracking.Record(
                step: 0, all: [2, 2.3, 2.5], poisoned: [2.1, 2.2, 2.4], poisonedWithoutTrigger: [2, 2.25, 2.5]),
            LossTracking.Record(
                step: 500, all: [0.1, 0.2, 0.4], poisoned: [0.01, 0.02, 0.05], poisonedWithoutTrigger: [1.5, 3.0, 4.5]),
        ]
        let csv = LossTracking.csv(records)
        XCTAssert(csv.hasPrefix("step,group,q25,median,q75\n0,all,2.0,2.3,2.5\n500,all,0.1,0.2,0.4\n0,poisoned,"), csv)
        XCTAssertEqual(LossTracking.records(csv: csv), records)
        XCTAssertEqual(LossTracking.triggerReliance(records)!, 3.0 / 0.02, accuracy: 1e-9)
        XCTAssertNil(LossTracking.triggerReliance([]))
        // A truncated file loses the incomplete record, not the others.
        XCTAssertEqual(LossTracking.records(csv: String(csv.dropLast(20))).map(\.step), [0])
    }
}
