import ArgumentParser
import Experiment
import Foundation
import Tensor

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
            FileHandle.standardError.write(
                Data(
                    "note: \(runCount) runs (more than \(PlanCommand.largeRunCount)); planning this many takes about \(max(1, runCount / 2000)) s and the table has a line per stage\n"
                        .utf8))
        }
        let dir = cache ?? ProcessInfo.processInfo.environment["BACKDOORLAB_CACHE"] ?? ".backdoorlab"
        let cached: (String) -> Bool = { FileManager.default.fileExists(atPath: "\(dir)/\($0)/manifest.json") }
        let raw = try planner.plan(specs)
        let plan = raw.calibrated(Calibration(plan: raw, cache: Cache(root: dir), threads: Parallel.threads))
        if json {
            print(PlanOutput.json(plan, cached: cached), terminator: "")
        } else if dot {
            print(PlanOutput.dot(plan), terminator: "")
        } else {
            print(PlanOutput.table(plan, cached: cached), terminator: "")
        }
    }
}
