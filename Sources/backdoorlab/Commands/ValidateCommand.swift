import ArgumentParser
import Experiment
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check specs: every error with file:line:column, exit 65 if any.")
    @OptionGroup var spec: SpecOptions

    func run() throws {
        // A folder is checked with every folder of specs below it, each as a folder of its own (its bases,
        // its profiles); all their errors are printed before the exit code says whether there were any.
        var specs: [LoadedSpec] = []
        var failed = false
        var profiled: [String] = []
        for path in Validate.specFolders(spec.path) {
            // A folder that offers profiles is checked under each of them when none is given.
            let offered = spec.profile == nil && path != spec.path ? SpecLoader().profiles(offeredBy: path) : []
            if !offered.isEmpty {
                profiled.append("\(path) under each of its profiles (\(offered.joined(separator: ", ")))")
            }
            for profile in offered.isEmpty ? [spec.profile] : offered.map(Optional.some) {
                var one = spec
                one.path = path
                one.profile = profile
                do { specs += try one.load(needsData: false) } catch let e as ExitCode where e.rawValue == 65 {
                    failed = true
                }
            }
        }
        if failed { throw ExitCode(65) }
        let runs = specs.reduce(0) { $0 + $1.runs.count }
        print(
            "ok: \(specs.count) spec\(specs.count == 1 ? "" : "s"), \(runs) run\(runs == 1 ? "" : "s")"
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
            guard !parts.contains(where: { ["profiles", "results", "report"].contains($0) || $0.hasPrefix(".") }) else {
                continue
            }
            let full = base + "/" + sub
            guard fm.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue,
                let names = try? fm.contentsOfDirectory(atPath: full),
                names.contains(where: { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("_") })
            else { continue }
            out.append(full)
        }
        // The folder itself when it holds specs, or when nothing below does (its own error says so).
        let own =
            (try? fm.contentsOfDirectory(atPath: path))?.contains {
                ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("_")
            } ?? false
        return own || out.isEmpty ? [path] + out : out
    }
}
