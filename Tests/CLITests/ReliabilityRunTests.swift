import Datasets
import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Nothing silently wrong: damaged checkpoints, kills between renames, diverged and collapsed models,
/// `gc` beside running work, read-only caches and held locks, run as a user would.
extension RunTests {
    var fm: FileManager { .default }

    /// The single training stage of a one-run spec, killed at step 12 (checkpoints at 5 and 10 survive).
    func killedTraining(_ cache: String) throws -> String {
        let killed = try run(cache, env: ["BACKDOORLAB_KILL_AT_STEP": "12"])
        XCTAssertNotEqual(killed.code, 0)
        return try XCTUnwrap(try fm.contentsOfDirectory(atPath: cache + "/partial").first { $0.count == 64 })
    }

    func assertSameTraining(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let ka = try stageKeys("train", in: a)
        let kb = try stageKeys("train", in: b)
        XCTAssertEqual(ka, kb, file: file, line: line)
        XCTAssertEqual(ka.count, 1, file: file, line: line)
        for k in ka {
            for f in ["model.safetensors", "training.json"] {
                XCTAssertEqual(
                    fm.contents(atPath: "\(a)/\(k)/\(f)"), fm.contents(atPath: "\(b)/\(k)/\(f)"), "\(f) differs",
                    file: file, line: line)
            }
        }
    }

    /// A flipped bit, an edited step and a truncated file in the newest checkpoint: each is found by its
    /// checksum, set aside, and training resumes from the previous checkpoint to the very same bytes.
    func testADamagedCheckpointIsSetAsideAndTrainingResumesFromTheLastGoodOne() throws {
        writeSpec(fractions: "[0.2]")
        XCTAssertEqual(try run(dir + "/straight").code, 0)
        let damage: [(String, (String) throws -> Void)] = [
            (
                "model.safetensors does not match its checksum",
                { d in
                    var b = [UInt8](self.fm.contents(atPath: d + "/model.safetensors")!)
                    b[b.count - 3] ^= 0x10
                    try Data(b).write(to: URL(fileURLWithPath: d + "/model.safetensors"))
                }
            ),
            (
                "state.json does not match its checksum",
                { d in
                    let s = String(decoding: self.fm.contents(atPath: d + "/state.json")!, as: UTF8.self)
                    try s.replacingOccurrences(of: "\"step\" : 10", with: "\"step\" : 14").write(
                        toFile: d + "/state.json", atomically: true, encoding: .utf8)
                }
            ),
            (
                "optimizer.safetensors does not match its checksum",
                { d in
                    let b = self.fm.contents(atPath: d + "/optimizer.safetensors")!
                    try b.prefix(b.count / 2).write(to: URL(fileURLWithPath: d + "/optimizer.safetensors"))
                }
            ),
        ]
        for (n, (reason, spoil)) in damage.enumerated() {
            let cache = dir + "/cache-\(n)"
            let key = try killedTraining(cache)
            try spoil(cache + "/partial/" + key)
            let verify = try CLITests.run(["cache", "verify", "--cache", cache])
            XCTAssertEqual(verify.code, 1, verify.out)
            XCTAssert(verify.out.contains("damaged checkpoint: partial/\(key): \(reason)"), verify.out)
            let resumed = try run(cache)
            XCTAssertEqual(resumed.code, 0, resumed.err)
            XCTAssert(
                resumed.err.contains(
                    "checkpoint \(key.prefix(12)) of stage \(key.prefix(12)) is damaged (\(reason)); moved to \(cache)/corrupt/partial-\(key)-"
                ), resumed.err)
            XCTAssert(resumed.out.contains("at step 5 of 24"), resumed.out)
            try assertSameTraining(dir + "/straight", cache)
            XCTAssertEqual(try CLITests.run(["cache", "verify", "--cache", cache]).code, 0)
        }
    }

    /// A SIGKILL just before each of the cache's renames (checkpoint swaps and entry commits): the rerun
    /// resumes from the newest complete checkpoint, leaves no leftovers, and trains the same bytes.
    func testAKillBeforeEveryRenameResumesToTheSameBytes() throws {
        writeSpec(fractions: "[0.2]")
        XCTAssertEqual(try run(dir + "/straight").code, 0)
        // dataset, poison, 4 checkpoint swaps (1 + 2 + 3 + 3 renames), train, evaluate, report: 14 renames.
        for n in 1...14 {
            let cache = dir + "/kill-\(n)"
            let killed = try run(cache, env: ["BACKDOORLAB_KILL_AT_RENAME": "\(n)"])
            XCTAssertNotEqual(killed.code, 0, "rename \(n)")
            if n == 8 {
                // Killed between moving step 10's checkpoint aside and moving step 15's into place.
                let status = try CLITests.run(["status", dir + "/spec.yaml", "--cache", cache])
                XCTAssert(status.out.contains("resumes at step 15"), status.out)
            }
            let resumed = try run(cache)
            XCTAssertEqual(resumed.code, 0, "rename \(n): \(resumed.err)")
            try assertSameTraining(dir + "/straight", cache)
            let left = (try? fm.contentsOfDirectory(atPath: cache + "/partial")) ?? []
            XCTAssertEqual(left, [], "rename \(n)")
        }
    }

    /// A training whose loss turns to NaN fails with the step, caches nothing, and exits non-zero.
    func testADivergedTrainingFailsAndCachesNothing() throws {
        writeSpec(fractions: "[0.2]")
        let cache = dir + "/cache"
        let r = try run(cache, extra: ["--set", "train.learning_rate=1000000"])
        XCTAssertNotEqual(r.code, 0)
        XCTAssert(r.err.contains("training diverged at step "), r.err)
        XCTAssertEqual(try stageKeys("train", in: cache), [])
        XCTAssertEqual(try stageKeys("evaluate", in: cache), [])
    }

    /// A model that calls every image one class scores a perfect ASR; the run warns that it is flagged,
    /// its results carry the flag and the clean-to-target rate, and `report` gives no verdict on it.
    func testACollapsedModelIsFlaggedNotReportedAsAPerfectAttack() throws {
        writeSpec(fractions: "[0.2]")
        let r = try run(dir + "/cache", extra: ["--set", "train.learning_rate=1000000", "--set", "train.steps=1"])
        XCTAssertEqual(r.code, 0, r.out + r.err)
        XCTAssert(r.err.contains("warning: flagged run"), r.err)
        XCTAssert(r.err.contains("is near chance"), r.err)
        let csv = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8)
        XCTAssert(csv.split(separator: "\n")[0].hasSuffix(",clean_target_rate,flags"), csv)
        XCTAssert(csv.contains("is near chance"), csv)
    }

    /// `gc` leaves what a running process is writing: a temporary entry of a live process, a locked
    /// stage's entry and its checkpoint leftovers; it says what it skipped.
    func testGarbageCollectionSkipsWorkInProgress() throws {
        let cache = dir + "/cache"
        XCTAssertEqual(try run(cache).code, 0)
        let key = try XCTUnwrap(try stageKeys("train", in: cache).first)
        // A temporary entry of this (live) process, and an abandoned one of a process that is gone.
        let live = "\(cache)/tmp/\(key)-\(getpid())-abcd1234"
        let dead = "\(cache)/tmp/\(String(repeating: "e", count: 64))-2147483000-abcd1234"
        for d in [live, dead] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        // Hold the train stage's lock as a running `run` would, with a checkpoint being swapped.
        let fd = open("\(cache)/locks/\(key).lock", O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        defer { close(fd) }
        try fm.createDirectory(atPath: "\(cache)/partial/\(key).tmp-\(getpid())", withIntermediateDirectories: true)
        writeSpec(fractions: "[0.6]")
        let gc = try CLITests.run(["cache", "gc", "--yes", "--cache", cache, dir + "/spec.yaml"])
        XCTAssertEqual(gc.code, 0, gc.err)
        XCTAssert(
            gc.out.contains("skipped tmp/\(key)-\(getpid())-abcd1234 (being written by a running process)"), gc.out)
        XCTAssert(gc.out.contains("skipped partial/\(key).tmp-\(getpid()) (its training is running)"), gc.out)
        XCTAssert(gc.out.contains("skipped \(key.prefix(12)) (locked by a running process)"), gc.out)
        XCTAssert(fm.fileExists(atPath: live))
        XCTAssertFalse(fm.fileExists(atPath: dead))
        XCTAssert(fm.fileExists(atPath: "\(cache)/\(key)/manifest.json"))
    }

    /// A cache that cannot be written (a lab's shared results on a read-only mount) still serves its
    /// finished entries; a stage it lacks fails with a message that names the path.
    func testACacheThatCannotBeWrittenServesFinishedEntries() throws {
        let cache = dir + "/cache"
        XCTAssertEqual(try run(cache).code, 0)
        // As root, permissions do not stop writes: make the lock and temporary folders impossible instead.
        for d in ["locks", "tmp"] {
            try? fm.removeItem(atPath: cache + "/" + d)
            fm.createFile(atPath: cache + "/" + d, contents: Data("not a folder".utf8))
        }
        let again = try run(cache)
        XCTAssertEqual(again.code, 0, again.err)
        XCTAssert(again.out.contains("0 computed, 8 from cache"), again.out)
        writeSpec(fractions: "[0.6]")
        let missing = try run(cache)
        XCTAssertNotEqual(missing.code, 0)
        XCTAssert(missing.err.contains("cannot create \(cache)/locks"), missing.err)
    }

    /// A stage whose lock another process holds: `run` waits, says who holds it, and SIGTERM stops it.
    func testWaitingForAHeldLockNamesTheHolderAndCanBeInterrupted() throws {
        XCTAssertEqual(try run(dir + "/first").code, 0)
        let cache = dir + "/cache"
        try fm.createDirectory(atPath: cache + "/locks", withIntermediateDirectories: true)
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for name in try fm.contentsOfDirectory(atPath: dir + "/first/locks") {
            let fd = open("\(cache)/locks/\(name)", O_CREAT | O_RDWR, 0o644)
            XCTAssertEqual(flock(fd, LOCK_EX), 0)
            let pid = Array("\(getpid())\n".utf8)
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            fds.append(fd)
        }
        let p = Process()
        p.executableURL = CLITests.executable
        p.arguments = ["run", dir + "/spec.yaml", "--cache", cache, "--results", dir + "/results"]
        let out = dir + "/run.out"
        fm.createFile(atPath: out, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while Date() < deadline {
            text = String(decoding: fm.contents(atPath: out) ?? Data(), as: UTF8.self)
            if text.contains("waiting for its lock") { break }
            usleep(100_000)
        }
        XCTAssert(text.contains("waiting for its lock, held by PID \(getpid())"), text)
        p.terminate()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
    }
}
