import Backdoor
import Foundation
import Tensor

/// Runs a plan's stages in dependency order against the cache.
public final class Executor {
    public struct Options: Sendable {
        public var cache: Cache
        public var resultsDirectory: String
        public var keepGoing = false
        /// (index, count): run only every count-th run of the plan, starting at index (job arrays).
        public var shard: (Int, Int)?
        /// Only these stages (one task of a job array, see `Waves`); runs are those whose evaluation is among them.
        public var stageKeys: Set<String>?
        public var quiet = false
        public init(cache: Cache, resultsDirectory: String) {
            self.cache = cache
            self.resultsDirectory = resultsDirectory
        }
    }

    public struct Summary: Sendable {
        public var computed: [String] = [], fromCache: [String] = [], failed: [(String, String)] = [],
            skipped: [String] = []
        public var recomputedCorrupt: [String] = []
        public var runsFinished = 0, runsTotal = 0
        /// SIGINT or SIGTERM stopped the run: a stage that checks for it stopped at a checkpoint, or one
        /// that does not (a perturbation) finished and was cached, and the stages after it were skipped.
        public var interrupted = false
        public var ok: Bool { failed.isEmpty && skipped.isEmpty && runsFinished == runsTotal }
    }

    let plan: Plan
    let options: Options
    let progress: Progress
    let context: StageContext

    public init(plan: Plan, options: Options) {
        self.plan = plan
        self.options = options
        progress = Progress(quiet: options.quiet)
        context = StageContext(cache: options.cache, progress: progress, plan: plan)
    }

    /// The runs this process is responsible for (all, or its shard's).
    public var selectedRuns: [PlannedRun] {
        if let keys = options.stageKeys { return plan.runs.filter { keys.contains($0.evaluate) } }
        guard let (i, n) = options.shard else { return plan.runs }
        return plan.runs.enumerated().filter { $0.offset % n == i }.map(\.element)
    }

    /// Stages needed by the selected runs (their inputs, transitively), plus report stages.
    public var selectedStages: [Stage] { selection.stages }

    /// The selected runs' stages in plan order, and the exported entries among them to recompute. An exported
    /// entry (`Cache.export`) serves as it is — its inputs are not needed — unless a stage computed now reads
    /// its artifacts; a report reads only its inputs' records, which an export keeps.
    public var selection: (stages: [Stage], rebuild: Set<String>) {
        // One task of a job array: its stages, rebuilding those the whole plan's selection rebuilds.
        if let keys = options.stageKeys {
            return (plan.stages.filter { keys.contains($0.key) }, needed(by: plan.runs).rebuild.intersection(keys))
        }
        let (need, rebuild, _) = needed(by: selectedRuns)
        return (plan.stages.filter { need.contains($0.key) || $0.work.publishes != nil }, rebuild)
    }

    /// The cached entries whose files a stage still to compute reads (not only records, as a report does): where
    /// `entriesToExportWhole` starts.
    var cachedEntriesStillRead: Set<String> { needed(by: plan.runs).read }

    /// The cached entries an export should carry whole so that another machine resumes the plan without repeating
    /// costly work: each entry a stage still to run reads, if its stage took at least `secondsPerMiB` per MiB of
    /// its files. An entry read that is not worth its bytes but loses files over `limit` is recomputed there where
    /// it is read, and that recomputation reads its own inputs: they are weighed by the same rule (an adversarial
    /// reference behind a class's PGD perturbation a new seed's poisons read).
    public func entriesToExportWhole(secondsPerMiB: Double, limit: Int) -> Set<String> {
        let cache = options.cache
        var queue = Array(cachedEntriesStillRead)
        var seen = Set(queue)
        var whole = Set<String>()
        while let k = queue.popLast() {
            if cache.isCostly(k, secondsPerMiB: secondsPerMiB) {
                whole.insert(k)
                continue
            }
            guard cache.losesFiles(k, over: limit), let s = plan.stage(k), s.work.publishes == nil else { continue }
            for i in s.inputs where cache.contains(i) && seen.insert(i).inserted { queue.append(i) }
        }
        return whole
    }

    /// The stages `runs` need, down to entries the cache holds; the exported ones among them to recompute; and
    /// the cached entries that a stage to compute reads.
    func needed(by runs: [PlannedRun]) -> (need: Set<String>, rebuild: Set<String>, read: Set<String>) {
        let cache = options.cache
        var need = Set<String>()
        var rebuild = Set<String>()
        var read = Set<String>()
        func visit(_ k: String, reads: Bool) {
            if reads && cache.contains(k) { read.insert(k) }
            let exported = cache.contains(k) && !cache.isComplete(k)
            let first = need.insert(k).inserted
            let rebuilt = reads && exported && rebuild.insert(k).inserted
            guard first || rebuilt, let s = plan.stage(k) else { return }
            if exported && !rebuilt { return }
            let computes = !cache.contains(k) || rebuilt
            for i in s.inputs { visit(i, reads: computes && s.work.publishes == nil) }
        }
        for r in runs {
            visit(r.evaluate, reads: false)
            r.detect.map { visit($0, reads: false) }
            r.defence.map { visit($0, reads: false) }
        }
        return (need, rebuild, read)
    }

    /// Exported entries this run recomputes (set when it starts).
    var rebuild = Set<String>()

    public func run() -> Summary {
        Interrupt.install()
        var summary = Summary()
        summary.runsTotal = selectedRuns.count
        var failedKeys = Set<String>()
        let (stages, rebuild) = selection
        self.rebuild = rebuild
        for (n, s) in stages.enumerated() {
            if Interrupt.isRequested {
                summary.interrupted = true
                summary.skipped.append(s.key)
                continue
            }
            let title = "[\(n + 1)/\(stages.count)] \(s.kind.rawValue) \(s.shortKey)"
            if let reason = reasonToSkip(s, summary: summary, failed: failedKeys) {
                // A report waits for runs of other shards; anything downstream of a failure fails too.
                if reason == .inputFailed || options.shard == nil || s.inputs.contains(where: failedKeys.contains) {
                    summary.skipped.append(s.key)
                }
                if reason == .inputFailed { failedKeys.insert(s.key) }
                if !options.quiet {
                    print(
                        "- \(title): "
                            + (reason == .inputFailed
                                ? "skipped, an input failed" : "waiting for runs outside this shard"))
                }
                continue
            }
            do {
                try runStage(s, title: title, summary: &summary)
            } catch is Interrupted {
                summary.interrupted = true
                progress.finish(title, status: "interrupted", ok: false)
                summary.failed.append((s.key, "interrupted"))
                failedKeys.insert(s.key)
                break
            } catch {
                progress.finish(title, status: "✗", ok: false)
                FileHandle.standardError.write(
                    Data("error: \(s.kind.rawValue) \(s.shortKey) (\(s.origin.description)): \(error)\n".utf8))
                summary.failed.append((s.key, "\(error)"))
                failedKeys.insert(s.key)
                options.cache.recordFailure(
                    s.key, message: "\(error)", log: ProcessInfo.processInfo.environment["BACKDOORLAB_LOG"])
                if !options.keepGoing { break }
            }
        }
        let done = Set(summary.computed + summary.fromCache)
        summary.runsFinished = selectedRuns.filter { done.contains($0.evaluate) }.count
        return summary
    }

    /// Why a stage is not run now.
    enum SkipReason { case inputFailed, waitingForOtherShards }

    func reasonToSkip(_ s: Stage, summary: Summary, failed: Set<String>) -> SkipReason? {
        if s.work.publishes != nil,
            !s.inputs.allSatisfy({ options.cache.contains($0) || summary.computed.contains($0) })
        {
            return .waitingForOtherShards
        }
        return s.inputs.contains(where: failed.contains) ? .inputFailed : nil
    }

    /// Serves `s` from the cache or computes it under its lock, then publishes a report's results.
    func runStage(_ s: Stage, title: String, summary: inout Summary) throws {
        // A job-array task takes its inputs from earlier waves; say so plainly if one is missing.
        if options.stageKeys != nil,
            let missing = s.inputs.first(where: { !options.cache.contains($0) && !summary.computed.contains($0) })
        {
            throw StageFailure(
                "its input \(plan.stage(missing)?.kind.rawValue ?? "stage") \(missing.prefix(12)) is not in the cache; an earlier wave has not finished"
            )
        }
        // A finished entry needs no lock (and no write access: a read-only cache serves it); an exported one
        // whose artifacts a later stage reads is recomputed.
        let rebuilding = rebuild.contains(s.key)
        let finished = !rebuilding && (try? options.cache.verified(s.key)) != nil
        let waiting = { (holder: String) in
            print("… \(title): waiting for its lock, \(holder); Ctrl-C stops")
            fflush(nil)
        }
        var corrupt = false
        let fromCache =
            try finished
            || options.cache.withLock(s.key, waiting: waiting) { () throws -> Bool in
                if rebuilding && !options.cache.isComplete(s.key) {
                    try? FileManager.default.removeItem(atPath: options.cache.directory(s.key))
                }
                do {
                    if try options.cache.verified(s.key) != nil { return true }
                } catch let p as Cache.Problem {
                    print("warning: \(p); recomputing")
                    corrupt = true
                    options.cache.quarantine(s.key)
                }
                progress.begin(title)
                try compute(s)
                return false
            }
        if corrupt { summary.recomputedCorrupt.append(s.key) }
        if fromCache {
            summary.fromCache.append(s.key)
            if !options.quiet { print("✓ \(title) cached") }
        } else {
            summary.computed.append(s.key)
            options.cache.clearFailure(s.key)
            progress.finish(title, status: "✓")
        }
        if let file = s.work.publishes { try writeResults(s, of: file) }
    }

    func compute(_ s: Stage) throws {
        context.beginStage()
        let load = MachineLoad.now()
        _ = try options.cache.store(stage: s) { dir in
            try s.work.run(s, in: context, into: dir)
            // Every sitting's time: a resumed training adds the time its checkpoint recorded. With the
            // machine's load beside it, `plan` calibrates only from stages that had the machine to themselves.
            let others = load.flatMap { before in MachineLoad.now().map { before.othersShare(until: $0) } }
            try Artifacts.writeJSON(
                StageTiming(
                    seconds: context.elapsedSeconds, earlierSittingsSeconds: context.priorSeconds,
                    threads: Parallel.threads, othersLoad: others),
                dir + "/timing.json")
        }
        // A finished training stage no longer needs its checkpoint.
        if s.totalSteps != nil { options.cache.removeCheckpoints(s.key) }
    }

    /// The name a spec's results take in the results directory: its file name without `.yaml`.
    public static func resultsName(_ file: String) -> String {
        ((file as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// Where the results directory records which spec file a result name belongs to.
    func ownerFile(_ name: String) -> String { "\(options.resultsDirectory)/\(name)/spec-path.txt" }

    /// The spec file whose results a name holds, if another spec file's: nil when free or `file`'s own.
    func otherOwner(of name: String, than file: String) -> String? {
        guard let recorded = try? String(contentsOfFile: ownerFile(name), encoding: .utf8),
            recorded != Executor.absolute(file)
        else { return nil }
        return recorded
    }

    /// Result names that two specs would share: two specs of this plan with one file name, or a result
    /// already written there by another spec file. Each would overwrite the other's results.
    public func resultConflicts() -> [String] {
        var owners: [String: String] = [:]
        var conflicts: [String] = []
        for s in plan.stages {
            guard let file = s.work.publishes else { continue }
            let name = Executor.resultsName(file)
            let path = Executor.absolute(file)
            if let other = owners[name], other != path {
                conflicts.append("\(file) and \(other) would both write \(options.resultsDirectory)/\(name).csv")
            } else if let recorded = otherOwner(of: name, than: file) {
                conflicts.append(
                    "\(options.resultsDirectory)/\(name).csv holds the results of \(recorded), not of \(file)")
            }
            owners[name] = path
        }
        return conflicts
    }

    static func absolute(_ file: String) -> String { URL(fileURLWithPath: file).standardizedFileURL.path }

    /// Copies a report's tables out of the cache into the results directory.
    func writeResults(_ s: Stage, of file: String) throws {
        let dir = options.cache.directory(s.key)
        let name = Executor.resultsName(file)
        let out = options.resultsDirectory
        let fm = FileManager.default
        try fm.createDirectory(atPath: out + "/" + name, withIntermediateDirectories: true)
        // Never overwrite another spec's results (two specs named badnets.yaml in different folders).
        if let recorded = otherOwner(of: name, than: file) {
            throw StageFailure(
                "\(out)/\(name).csv holds the results of \(recorded); give this run another --results folder")
        }
        try Executor.absolute(file).write(toFile: ownerFile(name), atomically: true, encoding: .utf8)
        for f in ["results.csv", "results.json"] {
            let dest = f == "results.csv" ? "\(out)/\(name).csv" : "\(out)/\(name)/results.json"
            // Copy beside the destination, then rename over it: concurrent runs never see half a file or collide.
            let tmp = dest + ".tmp-\(getpid())"
            try? fm.removeItem(atPath: tmp)
            try fm.copyItem(atPath: dir + "/" + f, toPath: tmp)
            guard rename(tmp, dest) == 0 else { throw StageFailure("cannot write \(dest)") }
        }
        if !options.quiet { print("  results: \(out)/\(name).csv") }
    }
}
