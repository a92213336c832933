import ArgumentParser
import Experiment
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write report.md and report.html for specs: every run's metrics (also as CSV), figures, compute, and the verdict on each expectation.",
        discussion:
            "Reads the cache only: runs still missing show as 'not run'. Exit 0 unless an expectation fails or rests on a flagged run (then 1)."
    )
    @OptionGroup var spec: SpecOptions
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?
    @Option(help: "Folder for report.md, report.html and the figures.") var out: String = "report"

    func run() throws {
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = try planner.plan(specs)
        let title = "BackdoorLab report: \(spec.path)" + (spec.profile.map { " (profile \($0))" } ?? "")
        let report = Report(specs: specs, plan: plan, cache: Cache.resolve(cache), title: title)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try report.markdown.write(toFile: out + "/report.md", atomically: true, encoding: .utf8)
        try report.html.write(toFile: out + "/report.html", atomically: true, encoding: .utf8)
        for (name, data) in report.files { try data.write(to: URL(fileURLWithPath: out + "/" + name)) }
        for (e, v) in report.verdicts {
            print(
                "\(v.label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(e.spec): \(e.finding)"
                    + (v.detail.isEmpty ? "" : " — \(v.detail)"))
        }
        let charts = report.files.keys.filter { $0.hasSuffix(".svg") }.sorted()
        let pngs = try rasterize(charts, in: out)
        let tables = report.files.keys.filter { $0.hasSuffix(".csv") }.count
        let figures = report.files.count - tables
        print(
            "wrote \(out)/report.md, report.html, \(figures) figure\(figures == 1 ? "" : "s") and \(tables) CSV table\(tables == 1 ? "" : "s")"
                + (charts.isEmpty
                    ? ""
                    : pngs.map { "; the \($0) charts also as PNG" }
                        ?? "; charts as SVG only (PNG copies need rsvg-convert: apt-get install librsvg2-bin)"))
        // A verdict resting on a collapsed model is as much a failure as a finding that fails.
        if report.verdicts.contains(where: { $0.1.isNegative }) { throw ExitCode(1) }
    }

    /// PNG copies of the SVG charts, for viewers that show no SVG: drawn by rsvg-convert (librsvg2-bin)
    /// where it is installed; nil where it is not.
    func rasterize(_ charts: [String], in out: String) throws -> Int? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard !charts.isEmpty,
            let tool = path.split(separator: ":").map({ "\($0)/rsvg-convert" }).first(
                where: FileManager.default.isExecutableFile)
        else { return nil }
        for chart in charts {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = [
                "--background-color", "white", "-o", out + "/" + chart.dropLast(4) + ".png", out + "/" + chart,
            ]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw CLIError(
                    message: "rsvg-convert could not draw \(out)/\(chart) as PNG (exit \(p.terminationStatus))",
                    code: 70)
            }
        }
        return charts.count
    }
}
