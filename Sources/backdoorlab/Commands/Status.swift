import ArgumentParser
import Experiment
import Foundation
import Tensor

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Which stages of a plan are done, running, interrupted, failed or waiting, read from the cache alone.",
        discussion:
            "Works while a job array runs: a running stage is one whose lock another process holds. Exit 0 when every stage is done, 3 otherwise."
    )
    @OptionGroup var spec: SpecOptions
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?
    @Flag(help: "List finished stages too.") var all = false

    func run() throws {
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let c = Cache.resolve(cache)
        if !FileManager.default.fileExists(atPath: c.root) {
            print("no cache at \(c.root) yet: nothing has run there (--cache or $BACKDOORLAB_CACHE choose another)")
        }
        let plan = try planner.plan(specs)
        let report = StatusReport(
            plan: plan.calibrated(Calibration(plan: plan, cache: c, threads: Parallel.threads)), cache: c)
        print(report.table(all: all), terminator: "")
        print(report.summary)
        if !report.allDone { throw ExitCode(3) }
    }
}
