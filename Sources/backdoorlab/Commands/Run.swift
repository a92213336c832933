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
    @Option(help: ArgumentHelp("Run one task of a job array, W.I (wave W, task I), as `submit` lays them out.", valueName: "W.I"))
    var task: String?
    @Option(help: "Refuse to run unless the plan's digest is this (set by `submit`, so a changed spec cannot mix into a running array).")
    var planDigest: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        if let threads { Parallel.configure(threads: threads) }
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = planner.plan(specs)
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
                throw CLIError(message: "the plan of \(spec.path) has changed since it was submitted (digest \(waves.digest.prefix(12)), expected \(planDigest.prefix(12))); submit it again", code: 65)
            }
            if let task {
                let parts = task.split(separator: ".").compactMap { Int($0) }
                guard parts.count == 2, let t = waves.task(wave: parts[0], index: parts[1]) else {
                    throw ValidationError("--task takes W.I naming a task of the plan's \(waves.waves.count) waves (got '\(task)')")
                }
                guard shard == nil else { throw ValidationError("--task and --shard cannot be combined") }
                options.stageKeys = Set(t.stages)
            }
        }
        let executor = Executor(plan: plan, options: options)
        let todo = executor.selectedStages.filter { !options.cache.contains($0.key) }
        // A stage the plan says cannot fit in this machine's memory is refused before anything runs:
        // started, it would be killed part-way (by the kernel, with no message of ours).
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        if let big = todo.first(where: { $0.cost.memoryBytes > memory }) {
            throw CLIError(message: "\(big.kind.rawValue) \(big.shortKey) (\(big.users.first ?? "")) needs about \(PlanOutput.bytes(big.cost.memoryBytes)) of memory by the plan; this machine has \(PlanOutput.bytes(memory)) — lower its batch size", code: 65)
        }
        print("\(executor.selectedStages.count) stages for \(executor.selectedRuns.count) runs; \(todo.count) to compute, estimated \(PlanOutput.duration(todo.reduce(0) { $0 + $1.cost.seconds }))")
        let s = executor.run()
        print("\(s.computed.count) computed, \(s.fromCache.count) from cache, \(s.failed.count) failed, \(s.skipped.count) skipped; \(s.runsFinished)/\(s.runsTotal) runs finished")
        if !s.ok { throw ExitCode(s.failed.contains { $0.1 == "interrupted" } ? 130 : 1) }
    }
}

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Inspect and maintain the stage cache.",
                                                    subcommands: [List.self, Verify.self, GC.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cache entries.")
        @Option(help: "Cache directory.") var cache: String?
        func run() throws {
            let c = Cache.resolve(cache)
            for k in c.keys() {
                let m = FileManager.default.contents(atPath: c.directory(k) + "/manifest.json")
                    .flatMap { try? JSONDecoder().decode(Cache.Manifest.self, from: $0) }
                let size = (try? FileManager.default.contentsOfDirectory(atPath: c.directory(k)))?
                    .compactMap { try? FileManager.default.attributesOfItem(atPath: c.directory(k) + "/" + $0)[.size] as? Int }.reduce(0, +) ?? 0
                print("\(k.prefix(12))  \((m?.kind ?? "unfinished").padding(toLength: 16, withPad: " ", startingAt: 0))  \(PlanOutput.bytes(Double(size)).padding(toLength: 9, withPad: " ", startingAt: 0))  \(m?.created ?? "")")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every entry against its checksums; exit 1 if any is corrupt.")
        @Option(help: "Cache directory.") var cache: String?
        func run() throws {
            let c = Cache.resolve(cache)
            var bad = 0
            for k in c.keys() {
                do { _ = try c.verified(k) } catch { print("corrupt: \(error)"); bad += 1 }
            }
            print("\(c.keys().count) entries, \(bad) corrupt")
            if bad > 0 { throw ExitCode(1) }
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Remove temporary and corrupt leftovers, and entries no spec given needs.")
        @Option(help: "Cache directory.") var cache: String?
        @Argument(help: "Specs or folders whose stages to keep; with none, only leftovers are removed.") var keep: [String] = []
        func run() throws {
            let c = Cache.resolve(cache)
            let fm = FileManager.default
            var removed = 0
            for d in ["tmp", "corrupt"] where fm.fileExists(atPath: c.root + "/" + d) {
                removed += (try? fm.contentsOfDirectory(atPath: c.root + "/" + d).count) ?? 0
                try? fm.removeItem(atPath: c.root + "/" + d)
            }
            if !keep.isEmpty {
                var needed = Set<String>()
                for path in keep {
                    let loader = SpecLoader()
                    do {
                        var p = Planner()
                        needed.formUnion(p.plan(try loader.load(path)).stages.map(\.key))
                    } catch let d as Diagnostics {
                        FileHandle.standardError.write(Data(d.render(sources: loader.sources).utf8))
                        throw ExitCode(65)
                    }
                }
                for k in c.keys() where !needed.contains(k) && !c.isLocked(k) {
                    try? fm.removeItem(atPath: c.directory(k)); removed += 1
                }
            }
            print("removed \(removed) entries")
        }
    }
}
