import ArgumentParser
import Experiment
import Foundation

/// Options shared by the commands that read specs.
struct SpecOptions: ParsableArguments {
    @Argument(help: "A spec file or a folder of specs.") var path: String
    @Option(help: "Overlay profiles/<name>.yaml of the spec folder (e.g. cpu, full).") var profile: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value: key.path=value (repeatable; narrows a sweep).", valueName: "key=value"))
    var overrides: [String] = []

    /// Loads and validates; on problems prints them all and exits 65 (66 for a missing path).
    func load(needsData: Bool = true) throws -> [LoadedSpec] { try loadWithSources(needsData: needsData).specs }

    /// `needsData: false` (validate, plan): an unset `${env:NAME}` is noted, not an error.
    func loadWithSources(needsData: Bool = true) throws -> (specs: [LoadedSpec], sources: SourceCache) {
        var loader = SpecLoader(profile: profile, overrides: overrides)
        loader.allowUnsetEnvironment = !needsData
        do {
            do {
                let specs = try loader.load(path)
                for name in loader.unsetVariables.names.sorted() {
                    FileHandle.standardError.write(Data("note: ${env:\(name)} is not set; planning does not need it, but `run` will (the stage keys of the data it names change once it is set)\n".utf8))
                }
                return (specs, loader.sources)
            } catch let one as Diagnostic { throw Diagnostics([one]) }
        } catch let d as Diagnostics {
            FileHandle.standardError.write(Data(d.render(sources: loader.sources).utf8))
            // 66 when what is missing is a file (the spec, or a base it extends); 65 for anything wrong inside one.
            let missing = d.items.allSatisfy { $0.message.hasPrefix("no such spec file") || $0.message.hasPrefix("cannot read spec file") }
            throw ExitCode(missing ? 66 : 65)
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check specs: every error with file:line:column, exit 65 if any.")
    @OptionGroup var spec: SpecOptions

    func run() throws {
        // A folder is checked with every folder of specs below it, each as a folder of its own (its bases,
        // its profiles); all their errors are printed before the exit code says whether there were any.
        var specs: [LoadedSpec] = [], failed = false, profiled: [String] = []
        for path in Validate.specFolders(spec.path) {
            // A folder that offers profiles is checked under each of them when none is given.
            let offered = spec.profile == nil && path != spec.path ? SpecLoader().profiles(offeredBy: path) : []
            if !offered.isEmpty { profiled.append("\(path) under each of its profiles (\(offered.joined(separator: ", ")))") }
            for profile in offered.isEmpty ? [spec.profile] : offered.map(Optional.some) {
                var one = spec
                one.path = path
                one.profile = profile
                do { specs += try one.load(needsData: false) } catch let e as ExitCode where e.rawValue == 65 { failed = true }
            }
        }
        if failed { throw ExitCode(65) }
        let runs = specs.reduce(0) { $0 + $1.runs.count }
        print("ok: \(specs.count) spec\(specs.count == 1 ? "" : "s"), \(runs) run\(runs == 1 ? "" : "s")"
            + (profiled.isEmpty ? "" : "; " + profiled.joined(separator: "; ")))
    }

    /// `path`, and when it is a folder every folder below it that holds specs (not `profiles/` overlays,
    /// nor results or report folders).
    static func specFolders(_ path: String) -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [path] }
        var out: [String] = []
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        for sub in (fm.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).sorted() {
            let parts = sub.split(separator: "/")
            guard !parts.contains(where: { ["profiles", "results", "report"].contains($0) || $0.hasPrefix(".") }) else { continue }
            let full = base + "/" + sub
            guard fm.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue,
                  let names = try? fm.contentsOfDirectory(atPath: full),
                  names.contains(where: { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("_") }) else { continue }
            out.append(full)
        }
        // The folder itself when it holds specs, or when nothing below does (its own error says so).
        let own = (try? fm.contentsOfDirectory(atPath: path))?.contains { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("_") } ?? false
        return own || out.isEmpty ? [path] + out : out
    }
}

struct PlanCommand: ParsableCommand {
    /// Above this many runs `plan` says that it will take a while.
    static let largeRunCount = 10_000
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry run: the stage graph with FLOPs, time, memory, disk, and what is already cached.")
    @OptionGroup var spec: SpecOptions
    @Flag(help: "Print the plan as JSON.") var json = false
    @Flag(help: "Print the plan as a Graphviz graph.") var dot = false
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?

    func validate() throws {
        if json && dot { throw ValidationError("--json and --dot are two formats of the same plan: give one of them") }
    }

    func run() throws {
        let specs = try spec.load(needsData: false)
        var planner = Planner(rates: Rates.stored())
        // Planning is linear but not free (validation of every run dominates: ~0.5 ms a run here).
        let runCount = specs.reduce(0) { $0 + $1.runs.count }
        if runCount > PlanCommand.largeRunCount {
            FileHandle.standardError.write(Data("note: \(runCount) runs (more than \(PlanCommand.largeRunCount)); planning this many takes about \(max(1, runCount / 2000)) s and the table has a line per stage\n".utf8))
        }
        let plan = try planner.plan(specs)
        let dir = cache ?? ProcessInfo.processInfo.environment["BACKDOORLAB_CACHE"] ?? ".backdoorlab"
        let cached: (String) -> Bool = { FileManager.default.fileExists(atPath: "\(dir)/\($0)/manifest.json") }
        if json { print(PlanOutput.json(plan, cached: cached), terminator: "") } else if dot { print(PlanOutput.dot(plan), terminator: "") } else {
            print(PlanOutput.table(plan, cached: cached), terminator: "")
        }
    }
}

struct GrammarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar",
        abstract: "Print or write the spec language reference and its JSON Schema (generated from the validator).")
    @Option(help: "Write REFERENCE.md (keeping its hand-written preamble) and spec.schema.json into this folder.") var write: String?
    @Flag(help: "Print the JSON Schema instead of the reference.") var schema = false

    func run() throws {
        let ref = (write ?? "grammar") + "/REFERENCE.md"
        let existing = (try? String(contentsOfFile: ref, encoding: .utf8)) ?? "# Spec language reference\n"
        let md = Grammar.markdown(preamble: Grammar.preamble(of: existing))
        guard let dir = write else {
            print(schema ? Grammar.jsonSchema() : md, terminator: "")
            return
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try md.write(toFile: ref, atomically: true, encoding: .utf8)
        try Grammar.jsonSchema().write(toFile: dir + "/spec.schema.json", atomically: true, encoding: .utf8)
        print("wrote \(ref) and \(dir)/spec.schema.json")
    }
}
