import ArgumentParser
import Datasets
import Experiment
import Foundation
import Tensor

@main
struct BackdoorLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backdoorlab",
        abstract: "Backdoor attacks and defences on image classifiers, from YAML experiment specs.",
        version: "0.1.0",
        subcommands: [
            Validate.self, PlanCommand.self, Run.self, ReportCommand.self, Submit.self, Status.self, CacheCommand.self,
            ExportCommand.self, Train.self, Bench.self, DataCommand.self, GrammarCommand.self,
        ])

    /// Like ParsableCommand.main, but every error exits with its code in the README's table: 64 usage,
    /// 65 bad spec or data, 66 missing input, 70 internal (anything no command turned into a message),
    /// 74 a file or folder that cannot be read or written.
    static func main() {
        Heap.keepFreedMemory()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as CLIError {
            fail(e.message, code: e.code)
        } catch let e as DatasetError {
            fail(e.description, code: e.reason == .missing ? 66 : 65)
        } catch let e as Cache.AccessError {
            fail(e.description, code: 74)
        } catch let e as CocoaError where e.isFileError {
            fail(
                e.localizedDescription + ((e.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? ""),
                code: 74)
        } catch {
            // The parser's own errors (usage 64, --help 0, ExitCode(n)) keep their codes; an error it does not
            // know is one of ours that no command caught, which is a defect, not a user mistake.
            guard exitCode(for: error) == .failure, !(error is ExitCode) else { exit(withError: error) }
            fail("internal: \(error) (please report it)", code: 70)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(code)
    }
}
