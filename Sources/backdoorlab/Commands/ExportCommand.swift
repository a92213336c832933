import ArgumentParser
import Experiment
import Foundation

/// `backdoorlab export`: a finished run's poisoned training set and model, for other toolkits.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write finished runs' poisoned training sets (.npy) and trained models (safetensors) to a folder.",
        discussion: """
        For each run: train_images.npy (uint8, N×H×W×C), train_labels.npy and poison_indices.npy (int64), the clean \
        test set, model.safetensors (PyTorch's state_dict names) and export.json (class names, normalisation, stage keys). \
        Reads the cache only: run the spec first.
        """)
    @OptionGroup var spec: SpecOptions
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?
    @Option(help: "Folder to write into: <out>/<spec>/<run>/.") var out: String = "export"
    @Option(name: .customLong("run"), help: "Only the run with this label (as `plan` and the results name it, e.g. 'attack.count=75').")
    var label: String?

    func run() throws {
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = try planner.plan(specs)
        let c = Cache.resolve(cache)
        let runs = plan.runs.filter { label == nil || $0.label == label }
        guard !runs.isEmpty else {
            let labels = plan.runs.map { $0.label.isEmpty ? "(unlabelled)" : $0.label }.prefix(10).joined(separator: ", ")
            throw CLIError(message: "no run labelled '\(label ?? "")' in \(spec.path) (its runs: \(labels))", code: 64)
        }
        let export = Export(plan: plan, cache: c)
        for r in runs {
            let name = Executor.resultsName(r.file)
            let folder = "\(out)/\(name)/" + (r.label.isEmpty ? "run" : ExportCommand.folderName(r.label))
            do {
                let files = try export.write(r, to: folder)
                print("\(folder): \(files.joined(separator: ", "))")
            } catch let e as StageFailure {
                throw CLIError(message: "\(r.displayName): \(e)", code: 66)
            }
        }
    }

    /// A run label as a folder name: `attack.count=75 train.steps=10` → `attack.count=75_train.steps=10`.
    static func folderName(_ label: String) -> String {
        String(label.map { $0.isLetter || $0.isNumber || "=._-".contains($0) ? $0 : "_" })
    }
}
