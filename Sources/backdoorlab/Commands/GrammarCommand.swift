import ArgumentParser
import Experiment
import Foundation

struct GrammarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar",
        abstract: "Print or write the spec language reference and its JSON Schema (generated from the validator).")
    @Option(help: "Write REFERENCE.md (keeping its hand-written preamble) and spec.schema.json into this folder.")
    var write: String?
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
