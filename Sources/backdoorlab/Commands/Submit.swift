import ArgumentParser
import Experiment
import Foundation

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a plan to Slurm: one job array per dependency wave, every task sharing one cache.",
        discussion: """
            Stages serving the same runs form one task; a wave's array starts when the previous wave's has \
            finished (afterok). Tasks whose stages are all cached are left out, so submitting again after a \
            failure or a cancellation runs only what is missing, and a killed training resumes from its checkpoint. \
            Requests are the cost model's estimate times --margin, plus 5 minutes per task.
            """)
    @OptionGroup var spec: SpecOptions
    @Flag(help: "Submit with sbatch (Slurm is the scheduler supported).") var slurm = false
    @Option(help: "Cache directory on a filesystem every node sees.") var cache: String
    @Option(help: "Where results go (on the shared filesystem).") var results: String = "results"
    @Option(help: "Cores per task (default: this machine's, which the cost model's rates were measured with).")
    var cpusPerTask: Int?
    @Option(help: "Requested time and memory are the estimate times this.") var margin: Double = 1.5
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm account.") var account: String?
    @Option(
        name: .customLong("sbatch-flag"),
        help: ArgumentHelp("A further #SBATCH flag, e.g. --qos=long (repeatable).", valueName: "flag"))
    var sbatchFlags: [String] = []
    @Option(help: "The backdoorlab binary as compute nodes see it (default: this one).") var binary: String?
    @Flag(help: "Print the scripts and the sbatch commands instead of submitting.") var dryRun = false
    @Flag(
        help: "Wait until the jobs have left the queue, then report like `status`; exit 1 unless every stage is done.")
    var wait = false

    func validate() throws {
        guard slurm else { throw ValidationError("name the scheduler: --slurm (the one supported)") }
        guard margin >= 1 else { throw ValidationError("--margin must be at least 1 (got \(margin))") }
        if let c = cpusPerTask, c < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
    }

    func run() throws {
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = try planner.plan(specs)
        let waves = Waves(plan)
        let store = Cache(root: absolute(cache))
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let folder = "\(store.root)/slurm/\(stamp)-\(waves.digest.prefix(8))"
        var o = SlurmJobs.Options(
            binary: binary ?? Self.ownPath(), specPath: absolute(spec.path), cache: store.root,
            results: absolute(results), logs: folder + "/logs",
            cpusPerTask: cpusPerTask ?? ProcessInfo.processInfo.activeProcessorCount)
        o.profile = spec.profile
        o.overrides = spec.overrides
        o.margin = margin
        o.partition = partition
        o.account = account
        o.extra = sbatchFlags
        // An entry from `cache import` whose files a stage still to run reads is recomputed by its task.
        let rebuild = Executor(plan: plan, options: Executor.Options(cache: store, resultsDirectory: o.results))
            .selection.rebuild
        let jobs = SlurmJobs(
            plan: plan, waves: waves, cached: { store.contains($0) && !rebuild.contains($0) }, options: o)
        guard !jobs.arrays.isEmpty else {
            print(
                "nothing to submit: all \(plan.stages.count) stages are cached (`backdoorlab run` writes the results)")
            return
        }
        // Every array of a wave waits for all the arrays of the wave before it.
        var previous: [String] = []
        var current: [String] = []
        var currentWave = -1
        var ids: [String] = []
        for a in jobs.arrays {
            if a.wave != currentWave {
                if !current.isEmpty { previous = current }
                current = []
                currentWave = a.wave
            }
            let file = "\(folder)/wave-\(a.wave)\(a.part == 0 ? "" : "-\(a.part)").sbatch"
            let dependency =
                previous.isEmpty
                ? [] : ["--dependency=afterok:" + previous.joined(separator: ":"), "--kill-on-invalid-dep=yes"]
            if dryRun {
                print("# sbatch --parsable \((dependency + [file]).joined(separator: " "))")
                print(a.script)
                current.append("<wave \(a.wave)\(a.part == 0 ? "" : "." + String(a.part)) job>")
                continue
            }
            try FileManager.default.createDirectory(atPath: o.logs, withIntermediateDirectories: true)
            try a.script.write(toFile: file, atomically: true, encoding: .utf8)
            let id = try Self.sbatch(["--parsable"] + dependency + [file])
            current.append(id)
            ids.append(id)
            print(
                "wave \(a.wave)\(a.part == 0 ? "" : " (part \(a.part))"): job \(id), \(a.tasks.count) task\(a.tasks.count == 1 ? "" : "s") [\(SlurmJobs.arraySpec(a.tasks))], "
                    + "\(PlanOutput.duration(a.seconds)) and \(PlanOutput.bytes(a.memoryBytes)) each")
        }
        let tasks = jobs.arrays.reduce(0) { $0 + $1.tasks.count }
        let estimate = jobs.arrays.reduce(0) { $0 + $1.estimatedSeconds } * Double(plan.rates.threads) / 3600
        let requested = jobs.arrays.reduce(0) { $0 + $1.cpuHours }
        let waveCount = Set(jobs.arrays.map(\.wave)).count
        print(
            "\(tasks) tasks in \(jobs.arrays.count) arrays over \(waveCount) waves (of the plan's \(waves.taskCount) tasks in \(waves.waves.count) waves); "
                + "requested \(String(format: "%.1f", requested)) CPU-hours for an estimated \(String(format: "%.1f", estimate)) "
                + "(\(o.cpusPerTask) cores per task, times scaled from the \(plan.rates.threads) cores `bench` measured; margin \(margin), 5 min per task)"
        )
        if dryRun { return }
        print("scripts and logs: \(folder); progress: backdoorlab status \(spec.path) --cache \(store.root)")
        if wait {
            try Self.waitForQueue(ids)
            let report = StatusReport(plan: plan, cache: store)
            print(report.summary)
            if !report.allDone {
                print(report.problems, terminator: "")
                throw ExitCode(1)
            }
        }
    }

    func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }

    static func ownPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs sbatch and returns the job id it prints.
    static func sbatch(_ args: [String]) throws -> String {
        let (code, out, err) = try slurmCommand("sbatch", args)
        guard code == 0,
            let id = out.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
            !id.isEmpty
        else {
            throw CLIError(
                message: "sbatch failed (exit \(code)): \(err.trimmingCharacters(in: .whitespacesAndNewlines))",
                code: 69)
        }
        return id
    }

    /// Polls squeue every 2 s until none of the jobs is queued or running.
    static func waitForQueue(_ ids: [String]) throws {
        while true {
            let (code, out, err) = try slurmCommand("squeue", ["-h", "-o", "%i", "-j", ids.joined(separator: ",")])
            // squeue exits non-zero once every job id has left the controller's memory.
            if code != 0 && !err.contains("Invalid job id") {
                throw CLIError(message: "squeue failed: \(err)", code: 69)
            }
            if out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            Thread.sleep(forTimeInterval: 2)
        }
    }

    static func slurmCommand(_ name: String, _ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [name] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw CLIError(message: "cannot start \(name): \(error)", code: 69) }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errText = String(decoding: e, as: UTF8.self)
        if p.terminationStatus == 127 {
            throw CLIError(
                message: "\(name) not found on PATH: is Slurm installed here? (--dry-run prints the scripts)", code: 69)
        }
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), errText)
    }
}
