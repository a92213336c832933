import ArgumentParser
import Experiment
import Foundation
import Tensor

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Inspect and maintain the stage cache.",
        subcommands: [List.self, Verify.self, GC.self, Export.self, Import.self])

    /// The stage keys of the plans of `paths` (specs or folders) under `profile`; a bad spec exits 65.
    static func plannedKeys(_ paths: [String], profile: String?) throws -> [String] {
        keys(of: try plans(paths, profile: profile))
    }

    /// The stage keys of `plans`, each once, in plan order.
    static func keys(of plans: [Plan]) -> [String] {
        var seen = Set<String>()
        return plans.flatMap { $0.stages.map(\.key) }.filter { seen.insert($0).inserted }
    }

    /// The plans of `paths` (specs or folders) under `profile`, one per path; a bad spec exits 65.
    static func plans(_ paths: [String], profile: String?) throws -> [Plan] {
        try paths.map { path in
            let loader = SpecLoader(profile: profile)
            do {
                var p = Planner()
                return try p.plan(try loader.load(path))
            } catch let d as Diagnostics {
                FileHandle.standardError.write(Data(d.render(sources: loader.sources).utf8))
                throw ExitCode(65)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the finished stages of specs, without their bulky files, into a folder to commit or send.",
            discussion: """
                Each cached stage of the specs' plans is copied with its records (metrics, curves, poison indices, \
                example images); files over the limit (trained weights, image arrays) are left out and named in its \
                manifest. `cache import` brings the folder into another machine's cache: `report` then renders from \
                it, and `run` skips the runs whose evaluation it holds and recomputes an exported stage only where a \
                stage still to run needs its files. Entries that the plans' unfinished stages will read (a GAN, latent \
                codes, a reference model) are exported whole when their compute is worth their bytes (by default a \
                minute or more per MiB), so that the other machine resumes the runs without recomputing them.
                """)
        @Option(help: "Cache directory to export from.") var cache: String?
        @Option(help: "Profile of the specs or folders given (as for run).") var profile: String?
        @Option(help: "Folder to write the entries into (created; entries already there are kept).") var to: String
        @Option(help: "Largest file kept, in KiB.") var maxFileKib = Cache.exportFileLimit / 1024
        @Option(
            help: ArgumentHelp(
                "Export whole an entry that unfinished stages will read if its stage took at least this many seconds per MiB of its files.",
                valueName: "seconds-per-MiB"))
        var wholeIfNeededOver: Double = 60
        @Argument(help: "Specs or folders whose stages to export.") var specs: [String]
        func run() throws {
            let c = Cache.resolve(cache)
            let plans = try CacheCommand.plans(specs, profile: profile)
            let keys = CacheCommand.keys(of: plans)
            let options = Executor.Options(cache: c, resultsDirectory: "")
            let whole = plans.reduce(into: Set<String>()) {
                $0.formUnion(
                    Executor(plan: $1, options: options).entriesToExportWhole(
                        secondsPerMiB: wholeIfNeededOver, limit: maxFileKib * 1024))
            }
            let t = try c.export(keys, to: Cache(root: to), limit: maxFileKib * 1024, whole: whole)
            let missing = keys.filter { !c.contains($0) }.count
            let wholeCopied = t.copied.filter(whole.contains).map { "\(c.manifest($0)?.kind ?? "?") \($0.prefix(12))" }
            let wholeNote =
                wholeCopied.isEmpty
                ? "" : "; whole, as unfinished stages read them: " + wholeCopied.joined(separator: ", ")
            print(
                "exported \(t.copied.count) entries (\(PlanOutput.bytes(Double(t.bytes)))) to \(to), leaving out \(PlanOutput.bytes(Double(t.omittedBytes))) of larger files; \(t.kept.count) already there; \(missing) of the \(keys.count) stages are not in \(c.root)\(wholeNote)"
            )
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Bring exported (or whole) entries from a folder into the cache.")
        @Option(help: "Cache directory to import into.") var cache: String?
        @Argument(help: "Folder written by `cache export`, or another cache.") var from: String
        func run() throws {
            guard FileManager.default.fileExists(atPath: from) else {
                throw CLIError(message: "no folder at \(from) to import from", code: 66)
            }
            let c = Cache.resolve(cache)
            let t = try c.importEntries(from: Cache(root: from))
            print(
                "imported \(t.copied.count) entries (\(PlanOutput.bytes(Double(t.bytes)))) into \(c.root); \(t.kept.count) were there already"
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cache entries.")
        @Option(help: "Cache directory.") var cache: String?
        func run() throws {
            let c = Cache.resolve(cache)
            guard FileManager.default.fileExists(atPath: c.root) else {
                print(
                    "no cache at \(c.root) yet (a first `run` creates it; --cache or $BACKDOORLAB_CACHE choose another)"
                )
                return
            }
            if c.keys().isEmpty { print("the cache at \(c.root) holds no entries") }
            for k in c.keys() {
                let m = c.manifest(k)
                let size = Cache.size(c.directory(k))
                print(
                    "\(k.prefix(12))  \((m?.kind ?? "unfinished").padding(toLength: 16, withPad: " ", startingAt: 0))  \(PlanOutput.bytes(Double(size)).padding(toLength: 9, withPad: " ", startingAt: 0))  \(m?.created ?? "")"
                )
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry and training checkpoint against its checksums; exit 1 if any is damaged.")
        @Option(help: "Cache directory.") var cache: String?
        func run() throws {
            let v = Cache.resolve(cache).verify()
            for p in v.problems { print(p) }
            print("\(v.entries) entries, \(v.checkpoints) checkpoints; \(v.problems.count) corrupt")
            if !v.problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Remove temporary and quarantined leftovers, and entries no spec given needs.",
            discussion: """
                Without --yes nothing is removed: gc lists what it would remove and what it keeps, with sizes and \
                the specs each entry served. Entries and checkpoints a running process holds are never touched.
                """)
        @Option(help: "Cache directory.") var cache: String?
        @Option(help: "Profile of the specs or folders given (as for run).") var profile: String?
        @Flag(help: "Remove what is listed (without it, gc only says what it would remove).") var yes = false
        @Argument(help: "Specs or folders whose stages to keep; with none, only leftovers are removed.") var keep:
            [String] = []
        func run() throws {
            let c = Cache.resolve(cache)
            let needed = keep.isEmpty ? nil : Set(try CacheCommand.plannedKeys(keep, profile: profile))
            let result = c.collect(keep: needed, remove: yes)
            func size(_ b: Int) -> String { PlanOutput.bytes(Double(b)) }
            func line(_ i: Cache.Collection.Item) -> String {
                let name = i.path.count == 64 ? String(i.path.prefix(12)) : i.path
                let served =
                    i.served.isEmpty
                    ? ""
                    : "  served " + i.served.prefix(3).joined(separator: ", ")
                        + (i.served.count > 3 ? ", … (\(i.served.count))" : "")
                return "  \(name)  \(i.kind)  \(size(i.bytes))" + served
            }
            print(
                "\(yes ? "removed" : "would remove") \(result.removed.count) (\(size(result.bytesRemoved)))"
                    + (result.removed.isEmpty ? "" : ":"))
            for i in result.removed { print(line(i)) }
            // Work in progress is never removed; say what was left and why.
            for s in result.skipped { print("skipped \(s)") }
            print(
                "keeps \(result.kept.count) entries (\(size(result.bytesKept)))"
                    + (needed == nil ? "" : " that the specs given need or a process holds"))
            if !yes && !result.removed.isEmpty { print("nothing removed: run again with --yes to remove them") }
        }
    }
}
