import ArgumentParser
import Experiment
import Foundation
import Tensor

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Execute specs: every stage in dependency order, cached; results as CSV and JSON.",
        discussion: """
            Finished stages are reused from the cache; a killed training stage resumes from its last checkpoint. \
            Exit code 0 only when every run finished.
            """)
    @OptionGroup var spec: SpecOptions
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?
    @Option(help: "Where results go: <dir>/<spec>.csv and <dir>/<spec>/results.json.") var results: String = "results"
    @Option(help: "Run one slice of the plan's runs, I/N (0-based), for job arrays.") var shard: String?
    @Flag(help: "Keep running other stages after one fails.") var keepGoing = false
    @Option(help: "Worker threads (results are bit-identical for a fixed count).") var threads: Int?
    @Option(
        help: ArgumentHelp(
            "Run one task of a job array, W.I (wave W, task I), as `submit` lays them out.", valueName: "W.I"))
    var task: String?
    @Option(
        help:
            "Refuse to run unless the plan's digest is this (set by `submit`, so a changed spec cannot mix into a running array)."
    )
    var planDigest: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        if let threads { Parallel.configure(threads: threads) }
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = try planner.plan(specs)
        var options = Executor.Options(cache: Cache.resolve(cache), resultsDirectory: results)
        options.keepGoing = keepGoing
        if let shard {
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] > 0, parts[0] >= 0, parts[0] < parts[1] else {
                throw ValidationError("--shard takes I/N with 0 ≤ I < N (got '\(shard)')")
            }
            options.shard = (parts[0], parts[1])
        }
        if task != nil || planDigest != nil {
            let waves = Waves(plan)
            if let planDigest, planDigest != waves.digest {
                throw CLIError(
                    message:
                        "the plan of \(spec.path) has changed since it was submitted (digest \(waves.digest.prefix(12)), expected \(planDigest.prefix(12))); submit it again",
                    code: 65)
            }
            if let task {
                let parts = task.split(separator: ".").compactMap { Int($0) }
                guard parts.count == 2, let t = waves.task(wave: parts[0], index: parts[1]) else {
                    throw ValidationError(
                        "--task takes W.I naming a task of the plan's \(waves.waves.count) waves (got '\(task)')")
                }
                guard shard == nil else { throw ValidationError("--task and --shard cannot be combined") }
                options.stageKeys = Set(t.stages)
            }
        }
        let executor = Executor(plan: plan, options: options)
        // Results are named by spec file name: refuse before any compute to let one spec's overwrite another's.
        let conflicts = executor.resultConflicts()
        if !conflicts.isEmpty {
            throw CLIError(
                message: conflicts.joined(separator: "\n") + "\ngive --results a folder of its own for these specs",
                code: 65)
        }
        let (selected, rebuild) = executor.selection
        let todo = selected.filter { !options.cache.contains($0.key) || rebuild.contains($0.key) }
        // A stage the plan says cannot fit in this machine's memory is refused before anything runs:
        // started, it would be killed part-way (by the kernel, with no message of ours).
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        if let big = todo.first(where: { $0.cost.memoryBytes > memory }) {
            throw CLIError(
                message:
                    "\(big.kind.rawValue) \(big.shortKey) (\(big.users.first ?? "")) needs about \(PlanOutput.bytes(big.cost.memoryBytes)) of memory by the plan; this machine has \(PlanOutput.bytes(memory)) — lower its batch size",
                code: 65)
        }
        let calibration = Calibration(plan: plan, cache: options.cache, threads: Parallel.threads)
        let estimate = todo.reduce(0) { $0 + calibration.seconds($1) }
        print(
            "\(selected.count) stages for \(executor.selectedRuns.count) runs; \(todo.count) to compute, estimated \(PlanOutput.duration(estimate))"
        )
        let s = executor.run()
        print(
            "\(s.computed.count) computed, \(s.fromCache.count) from cache, \(s.failed.count) failed, \(s.skipped.count) skipped; \(s.runsFinished)/\(s.runsTotal) runs finished"
        )
        if s.interrupted {
            // A stage that does not check for the signal ran to its end first; say why the rest did not run.
            FileHandle.standardError.write(Data("\(Interrupted())\n".utf8))
            throw ExitCode(130)
        }
        if !s.ok { throw ExitCode(1) }
        // What the runs found, so a user sees the answer without opening the CSV.
        let metrics = RunMetrics(cache: options.cache)
        let finished = executor.selectedRuns.filter { metrics.value($0, .naturalAccuracy) != nil }
        for r in finished.prefix(20) {
            func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", 100 * $0) } ?? "—" }
            let asr = r.target == nil ? "" : ", attack success rate \(pct(metrics.value(r, .attackSuccessRate)))"
            print("  \(r.displayName): natural accuracy \(pct(metrics.value(r, .naturalAccuracy)))\(asr)")
        }
        if finished.count > 20 { print("  … and \(finished.count - 20) more runs (see \(results))") }
        // A collapsed or untrained model finishes like any other; its ASR must not pass for a result.
        let flagged = executor.selectedRuns.compactMap { r -> String? in
            let f = metrics.flags(r)
            return f.isEmpty ? nil : "\(r.displayName): \(f.joined(separator: "; "))"
        }
        // Its numbers are still what the model scored, so the run has done its job; they are marked in the
        // results and `report` gives no verdict on them.
        for line in flagged {
            FileHandle.standardError.write(
                Data("warning: flagged run \(line); marked in the results, and no expectation uses it\n".utf8))
        }
    }
}
