import ArgumentParser
import Experiment
import Foundation

/// Options shared by the commands that read specs.
struct SpecOptions: ParsableArguments {
    @Argument(help: "A spec file or a folder of specs.") var path: String
    @Option(
        help:
            "Overlay profiles/<name>.yaml of the spec folder and the specs' own profiles blocks (e.g. cpu, full); a+b applies a, then b."
    ) var profile: String?
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a value: key.path=value (repeatable; narrows a sweep).", valueName: "key=value"))
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
                    FileHandle.standardError.write(
                        Data(
                            "note: ${env:\(name)} is not set; planning does not need it, but `run` will (the stage keys of the data it names change once it is set)\n"
                                .utf8))
                }
                return (specs, loader.sources)
            } catch let one as Diagnostic { throw Diagnostics([one]) }
        } catch let d as Diagnostics {
            FileHandle.standardError.write(Data(d.render(sources: loader.sources).utf8))
            // 66 when what is missing is a file (the spec, or a base it extends); 65 for anything wrong inside one.
            let missing = d.items.allSatisfy {
                $0.message.hasPrefix("no such spec file") || $0.message.hasPrefix("cannot read spec file")
            }
            throw ExitCode(missing ? 66 : 65)
        }
    }
}
