import XCTest

@testable import Experiment

final class ProgressTests: XCTestCase {
    /// A training resumed at step 6000 of 11250 that has done 48 steps in 48 s has 5202 s left, not 4 s.
    func testETAAfterResumeCountsOnlyThisSittingsSteps() {
        let p = Progress(quiet: true)
        p.begin("train")
        p.resumed(at: 6000)
        let eta = p.remaining(done: 6048, total: 11250, now: Date().addingTimeInterval(48))
        XCTAssertEqual(eta, 5202, accuracy: 5)
    }

    func testETAFromTheStart() {
        let p = Progress(quiet: true)
        p.begin("train")
        XCTAssertEqual(p.remaining(done: 0, total: 100), 0)
        XCTAssertEqual(p.remaining(done: 25, total: 100, now: Date().addingTimeInterval(10)), 30, accuracy: 0.5)
    }
}
