import ArgumentParser
import Foundation

@main
struct BackdoorLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backdoorlab",
        abstract: "Backdoor attacks and defences on image classifiers, from YAML experiment specs.",
        version: "0.1.0",
        subcommands: [Validate.self, PlanCommand.self, Run.self, ReportCommand.self, Submit.self, Status.self, CacheCommand.self, Train.self, Bench.self, DataCommand.self, GrammarCommand.self])

    /// Like ParsableCommand.main, but our own errors exit with their sysexits code (64 usage, 65 data, 66 missing input).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
            Foundation.exit(e.code)
        } catch {
            exit(withError: error)
        }
    }
}
