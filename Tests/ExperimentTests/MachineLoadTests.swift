import Experiment
import XCTest

/// The load other processes put on the machine, from /proc counters written by hand.
final class MachineLoadTests: XCTestCase {
    func testCountersParseByHand() throws {
        let stat = """
            cpu  100 5 50 800 20 3 2 0 0 0
            cpu0 50 2 25 400 10 1 1 0 0 0
            intr 12345
            """
        let cpu = try XCTUnwrap(MachineLoad.cpuTimes(procStat: stat))
        XCTAssertEqual(cpu.busy, 100 + 5 + 50 + 3 + 2)  // user nice system irq softirq steal
        XCTAssertEqual(cpu.total, 160 + 800 + 20)  // and idle, iowait
        // A command name with spaces and parentheses does not shift the fields.
        let mine = "4242 (back door) lab)) R 1 2 3 4 5 6 7 8 9 10 70 30 0 0 20 0"
        XCTAssertEqual(MachineLoad.processTime(selfStat: mine), 100)
        XCTAssertNil(MachineLoad.cpuTimes(procStat: "intr 1\n"))
    }

    /// Two cores for 10 s = 2 000 jiffies; all busy, 1 000 of them ours: others used half the machine.
    func testOthersShareByHand() {
        let before = MachineLoad(busy: 5_000, total: 20_000, own: 300)
        let after = MachineLoad(busy: 7_000, total: 22_000, own: 1_300)
        XCTAssertEqual(before.othersShare(until: after), 0.5, accuracy: 1e-12)
        // Alone on the machine: our time is all the busy time.
        let alone = MachineLoad(busy: 6_800, total: 22_000, own: 2_100)
        XCTAssertEqual(before.othersShare(until: alone), 0, accuracy: 1e-12)
        XCTAssertGreaterThan(0.5, MachineLoad.storeLimit)
    }

    func testThisMachineReadsOnLinux() throws {
        #if os(Linux)
            let a = try XCTUnwrap(MachineLoad.now())
            var x = 0.0
            for i in 0..<2_000_000 { x += Double(i).squareRoot() }
            let b = try XCTUnwrap(MachineLoad.now())
            XCTAssertGreaterThan(x, 0)
            XCTAssertGreaterThanOrEqual(b.own, a.own)
            XCTAssert((0...1).contains(a.othersShare(until: b)))
        #endif
    }
}
