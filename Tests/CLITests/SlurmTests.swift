import Foundation
import TestSupport
import XCTest

/// `submit --slurm` on a real one-node Slurm started by the test (Debian's slurm-wlm and munge,
/// which `.ci/run` installs): the array's results equal a plain `run`'s bit for bit, and a task
/// cancelled mid-training resumes from its checkpoint when the plan is submitted again.
final class SlurmTests: XCTestCase {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Slurm")
        .path

    /// Runs a bash command with system(3), output captured in a file. Not Foundation's Process: its exit
    /// watch never fired for the script that starts the Slurm daemons (seen on Swift 6.3, Linux).
    func shell(_ command: String) -> (code: Int32, out: String) {
        let log = NSTemporaryDirectory() + "backdoorlab-shell-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let status = system("/bin/bash -c \(shellQuoted(command)) > \(log) 2>&1 < /dev/null")
        let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return (status == -1 ? -1 : (status >> 8) & 0xff, out)
    }

    func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Files of every finished stage except the manifest and timing (which hold times), by key.
    func stageFiles(_ cache: String) throws -> [String: Data] {
        let fm = FileManager.default
        var out: [String: Data] = [:]
        for k in try fm.contentsOfDirectory(atPath: cache) where k.count == 64 {
            for f in try fm.contentsOfDirectory(atPath: "\(cache)/\(k)")
            where f != "manifest.json" && f != "timing.json" {
                out["\(k)/\(f)"] = fm.contents(atPath: "\(cache)/\(k)/\(f)")
            }
        }
        return out
    }

    func waitForQueue(timeout: TimeInterval = 300) {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end, !shell("squeue -h -o %i").out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    func testArrayEqualsPlainRunAndACancelledTaskResumes() throws {
        guard getuid() == 0 else { throw XCTSkip("starting Slurm daemons needs root") }
        let up = shell("\(Self.scripts)/slurm-up.sh")
        if up.code == 2 { throw XCTSkip("Slurm is not installed (apt-get install slurm-wlm munge; .ci/run does)") }
        XCTAssertEqual(up.code, 0, up.out)
        guard up.code == 0 else { return }
        defer { if up.out.contains("started") { _ = shell("\(Self.scripts)/slurm-down.sh") } }
        XCTAssert(shell("squeue -h").out.isEmpty, "the Slurm queue is not empty; this test needs it to itself")

        let dir = DatasetFiles.temporaryDirectory("backdoorlab-slurm")
        for (split, n) in [("train", 300), ("t10k", 60)] {
            DatasetFiles.write(
                DatasetFiles.idxImages(count: n, rows: 28, cols: 28) { i, p in
                    UInt8((p / 28) % 10 == i % 10 ? 220 : (p * 7 + i) % 60)
                },
                to: "\(dir)/\(split)-images-idx3-ubyte", gzip: false)
            DatasetFiles.write(
                DatasetFiles.idxLabels((0..<n).map { UInt8($0 % 10) }), to: "\(dir)/\(split)-labels-idx1-ubyte",
                gzip: false)
        }
        // Four runs: one shared dataset stage (wave 0), four poison→train→evaluate tasks (wave 1), the report (wave 2).
        let spec = dir + "/sweep.yaml"
        try """
        dataset: {name: fashion_mnist, path: \(dir), subset: 200}
        model: {units_per_group: 1, widths: [4, 4, 4], stem: 4}
        train: {steps: 150, batch_size: 10, learning_rate: 0.05, checkpoint_every: 10}
        attack: {poison: clean_label, target: {sweep: [1, 2]}, fraction: {sweep: [0.2, 0.4]}}
        """.write(toFile: spec, atomically: true, encoding: .utf8)

        let plain = try CLITests.run([
            "run", spec, "--cache", dir + "/plain", "--results", dir + "/plain-results", "--threads", "1",
        ])
        XCTAssertEqual(plain.code, 0, plain.err)

        let dry = try CLITests.run([
            "submit", spec, "--slurm", "--dry-run", "--cache", dir + "/shared", "--cpus-per-task", "1",
        ])
        XCTAssertEqual(dry.code, 0, dry.err)
        XCTAssert(dry.out.contains("6 tasks in 3 arrays over 3 waves"), dry.out)
        XCTAssert(dry.out.contains("#SBATCH --array=0-3"), dry.out)
        XCTAssert(dry.out.contains("--dependency=afterok:<wave 0 job> --kill-on-invalid-dep=yes"), dry.out)

        let args = [
            "submit", spec, "--slurm", "--cache", dir + "/shared", "--results", dir + "/results", "--cpus-per-task",
            "1",
        ]
        let first = try CLITests.run(args)
        XCTAssertEqual(first.code, 0, first.err)
        let job = try XCTUnwrap(
            first.out.split(separator: "\n").first { $0.hasPrefix("wave 1: job ") }?.split(separator: " ")[3].dropLast()
        )

        // Cancel the wave-1 task whose training has a checkpoint past step 30.
        var cancelled: (key: String, step: Int)?
        let fm = FileManager.default
        let end = Date().addingTimeInterval(240)
        while cancelled == nil && Date() < end {
            for k in (try? fm.contentsOfDirectory(atPath: dir + "/shared/partial")) ?? [] where k.count == 64 {
                guard let d = fm.contents(atPath: "\(dir)/shared/partial/\(k)/state.json"),
                    let step = (try? JSONSerialization.jsonObject(with: d) as? [String: Any])?["step"] as? Int,
                    step >= 30, step < 150
                else { continue }
                let logs = shell("grep -l 'train \(k.prefix(12))' \(dir)/shared/slurm/*/logs/w1-\(job)_*.out").out
                guard let log = logs.split(separator: "\n").first,
                    let task = log.split(separator: "_").last?.split(separator: ".").first
                else { continue }
                XCTAssertEqual(shell("scancel \(job)_\(task)").code, 0)
                cancelled = (k, step)
                break
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let killed = try XCTUnwrap(cancelled, "no training checkpoint appeared")
        waitForQueue()

        let status = try CLITests.run(["status", spec, "--cache", dir + "/shared"])
        XCTAssertEqual(status.code, 3, status.out)
        XCTAssert(status.out.contains("train             \(killed.key.prefix(12))  interrupted"), status.out)

        let second = try CLITests.run(args + ["--wait"])
        XCTAssertEqual(second.code, 0, second.out + second.err)
        XCTAssert(second.out.contains("14 stages: 14 done; 4/4 runs finished"), second.out)

        // Bit for bit the plain run's results, and every stage computed once, the cancelled one resumed.
        XCTAssertEqual(
            fm.contents(atPath: dir + "/results/sweep.csv"), fm.contents(atPath: dir + "/plain-results/sweep.csv"))
        let a = try stageFiles(dir + "/plain")
        let b = try stageFiles(dir + "/shared")
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (name, bytes) in a { XCTAssert(b[name] == bytes, "\(name) differs") }
        let logs = shell("cat \(dir)/shared/slurm/*/logs/*.out").out
        let computed = logs.split(separator: "\n").filter { $0.hasPrefix("✓ [") && !$0.hasSuffix(" cached") }.map {
            $0.split(separator: " ")[3]
        }
        XCTAssertEqual(computed.count, 14, logs)
        XCTAssertEqual(Set(computed).count, 14, logs)
        XCTAssert(logs.contains("resuming train \(killed.key.prefix(12)) at step"), logs)
    }

    func testSubmitAndTaskErrorsTeach() throws {
        let dir = DatasetFiles.temporaryDirectory("backdoorlab-submit")
        let spec = dir + "/s.yaml"
        try "dataset: {name: fashion_mnist}\nattack: {poison: dirty_label, count: {sweep: [10, 20]}}\n".write(
            toFile: spec, atomically: true, encoding: .utf8)
        let noScheduler = try CLITests.run(["submit", spec, "--cache", dir + "/c"])
        XCTAssertEqual(noScheduler.code, 64)
        XCTAssert(noScheduler.err.contains("name the scheduler: --slurm"), noScheduler.err)
        let badTask = try CLITests.run(["run", spec, "--cache", dir + "/c", "--task", "7.0"])
        XCTAssertEqual(badTask.code, 64)
        XCTAssert(badTask.err.contains("--task takes W.I naming a task of the plan's 3 waves (got '7.0')"), badTask.err)
        let stale = try CLITests.run([
            "run", spec, "--cache", dir + "/c", "--task", "1.0", "--plan-digest", "0123456789abcdef",
        ])
        XCTAssertEqual(stale.code, 65)
        XCTAssert(stale.err.contains("has changed since it was submitted"), stale.err)
        let status = try CLITests.run(["status", spec, "--cache", dir + "/c"])
        XCTAssertEqual(status.code, 3)
        XCTAssertNotNil(
            status.out.range(
                of: #"8 stages: 8 waiting; 0/2 runs finished; about [0-9.]+ (s|min|h) of planned work left\n$"#,
                options: .regularExpression), status.out)
    }
}
