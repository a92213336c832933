import ArgumentParser
import Experiment
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.md and report.html for specs: every run's metrics, figures, compute, and the verdict on each expectation.",
        discussion: "Reads the cache only: runs still missing show as 'not run'. Exit 0 unless an expectation fails (then 1).")
    @OptionGroup var spec: SpecOptions
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?
    @Option(help: "Folder for report.md, report.html and the figures.") var out: String = "report"

    func run() throws {
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = planner.plan(specs)
        let title = "BackdoorLab report: \(spec.path)" + (spec.profile.map { " (profile \($0))" } ?? "")
        let report = Report(specs: specs, plan: plan, cache: Cache.resolve(cache), title: title)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try report.markdown.write(toFile: out + "/report.md", atomically: true, encoding: .utf8)
        try report.html.write(toFile: out + "/report.html", atomically: true, encoding: .utf8)
        for (name, data) in report.files { try data.write(to: URL(fileURLWithPath: out + "/" + name)) }
        for (e, v) in report.verdicts { print("\(v.label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(e.spec): \(e.finding)" + (v.detail.isEmpty ? "" : " — \(v.detail)")) }
        print("wrote \(out)/report.md, report.html and \(report.files.count) figures")
        if report.verdicts.contains(where: { $0.1.label == "fails" }) { throw ExitCode(1) }
    }
}
