import Dispatch
import Synchronization
import XCTest

@testable import Tensor

/// The persistent workers behind `Parallel.forEach`: every iteration runs exactly once, back to back,
/// after the workers have gone to sleep, nested inside another call, and from several threads at once.
final class WorkerPoolTests: XCTestCase {
    /// Counts how often each iteration ran.
    final class Tally: @unchecked Sendable {
        let runs: UnsafeMutablePointer<Atomic<Int>>
        let size: Int
        init(_ size: Int) {
            self.size = size
            runs = .allocate(capacity: size)
            for i in 0..<size { (runs + i).initialize(to: Atomic(0)) }
        }
        deinit { runs.deallocate() }
        func hit(_ i: Int) { runs[i].add(1, ordering: .relaxed) }
        func counts() -> [Int] { (0..<size).map { runs[$0].load(ordering: .relaxed) } }
    }

    func testEveryIterationRunsOnceBackToBack() {
        let pool = WorkerPool(workers: 3)
        defer { pool.retire() }
        for count in [1, 2, 3, 4, 5, 17, 64] {
            let tally = Tally(count)
            for _ in 0..<2000 { pool.run(count) { tally.hit($0) } }
            XCTAssertEqual(tally.counts(), Array(repeating: 2000, count: count), "count \(count)")
        }
    }

    func testWorkersWakeFromSleep() {
        let pool = WorkerPool(workers: 1)
        defer { pool.retire() }
        let tally = Tally(2)
        for _ in 0..<5 {
            // Longer than the spin: the worker is asleep on the condition variable when the call comes.
            usleep(UInt32(3 * WorkerPool.spinNanoseconds / 1000))
            pool.run(2) { tally.hit($0) }
        }
        XCTAssertEqual(tally.counts(), [5, 5])
    }

    func testWorkersShareTheIterations() {
        let pool = WorkerPool(workers: 1)
        defer { pool.retire() }
        let caller = pthread_self()
        let elsewhere = Atomic<Int>(0)
        for _ in 0..<200 {
            pool.run(2) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
                // Long enough that the caller cannot take both iterations before the worker wakes.
                usleep(200)
            }
        }
        XCTAssertGreaterThan(elsewhere.load(ordering: .relaxed), 0, "no iteration ran on the worker")
    }

    func testNestedCallRunsInOrderOnItsThread() {
        let pool = WorkerPool(workers: 2)
        defer { pool.retire() }
        let inner = Tally(3 * 5)
        let outer = Tally(3)
        for _ in 0..<100 {
            pool.run(3) { o in
                outer.hit(o)
                pool.run(5) { i in inner.hit(o * 5 + i) }
            }
        }
        XCTAssertEqual(outer.counts(), [100, 100, 100])
        XCTAssertEqual(inner.counts(), Array(repeating: 100, count: 15))
    }

    func testCallsFromSeveralThreads() {
        let pool = WorkerPool(workers: 2)
        defer { pool.retire() }
        let callers = 4
        let tallies = (0..<callers).map { _ in Tally(3) }
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0..<500 { pool.run(3) { tallies[c].hit($0) } }
        }
        for c in 0..<callers { XCTAssertEqual(tallies[c].counts(), [500, 500, 500], "caller \(c)") }
    }

    func testParallelForEachRunsEveryWorker() {
        let tally = Tally(Parallel.threads + 3)
        Parallel.forEach(tally.size) { tally.hit($0) }
        XCTAssertEqual(tally.counts(), Array(repeating: 1, count: tally.size))
    }
}
