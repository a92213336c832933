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
            Trains nothing: run the spec first. The export itself is a cached stage, so a second export is a copy.
            """)
    @OptionGroup var spec: SpecOptions
    @Option(help: "Cache directory (default $BACKDOORLAB_CACHE or ./.backdoorlab).") var cache: String?
    @Option(help: "Folder to write into: <out>/<spec>/<run>/.") var out: String = "export"
    @Option(
        name: .customLong("run"),
        help: "Only the run with this label (as `plan` and the results name it, e.g. 'attack.count=75').")
    var label: String?

    func run() throws {
        let specs = try spec.load()
        var planner = Planner(rates: Rates.stored())
        let plan = try planner.plan(specs, exporting: true)
        let c = Cache.resolve(cache)
        let runs = plan.runs.filter { label == nil || $0.label == label }
        guard !runs.isEmpty else {
            let labels = plan.runs.map { $0.label.isEmpty ? "(unlabelled)" : $0.label }.prefix(10).joined(
                separator: ", ")
            throw CLIError(message: "no run labelled '\(label ?? "")' in \(spec.path) (its runs: \(labels))", code: 64)
        }
        for r in runs {
            guard let key = r.export, let stage = plan.stage(key) else { continue }
            // The export reads what the run computed; it never trains.
            if let missing = stage.inputs.first(where: { !c.contains($0) }) {
                let kind = plan.stage(missing)?.kind.rawValue ?? "input"
                throw CLIError(
                    message:
                        "\(r.displayName): its \(kind) stage \(missing.prefix(12)) is not in the cache at \(c.root): run the spec first",
                    code: 66)
            }
            // Entries brought by `cache import` lack the files the export copies; removed, `run` recomputes them.
            let imported = stage.inputs.filter { !c.isComplete($0) }
            if !imported.isEmpty {
                let named = imported.map { k in
                    "\(plan.stage(k)?.kind.rawValue ?? "input") \(k.prefix(12)) (without "
                        + (c.manifest(k)?.omitted?.keys.sorted().joined(separator: ", ") ?? "") + ")"
                }
                throw CLIError(
                    message:
                        "\(r.displayName): its stages \(named.joined(separator: ", ")) came from `cache import` without their larger files: remove \(imported.map(c.directory).joined(separator: " ")) and run the spec again to recompute them",
                    code: 66)
            }
            var options = Executor.Options(cache: c, resultsDirectory: FileManager.default.temporaryDirectory.path)
            options.stageKeys = [key]
            options.quiet = true
            let summary = Executor(plan: plan, options: options).run()
            if let failure = summary.failed.first {
                throw CLIError(message: "\(r.displayName): \(failure.1)", code: 70)
            }
            let folder =
                "\(out)/\(Executor.resultsName(r.file))/"
                + (r.label.isEmpty ? "run" : ExportCommand.folderName(r.label))
            let files = try copy(entry: c.directory(key), to: folder)
            print("\(folder): \(files.joined(separator: ", "))")
        }
    }

    /// Copies an export entry's files (not the cache's own manifest and timing) into `folder`.
    func copy(entry: String, to folder: String) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = try fm.contentsOfDirectory(atPath: entry).filter {
            $0.hasSuffix(".npy") || $0.hasSuffix(".safetensors") || $0 == "export.json"
        }.sorted()
        for f in files {
            try? fm.removeItem(atPath: folder + "/" + f)
            try fm.copyItem(atPath: entry + "/" + f, toPath: folder + "/" + f)
        }
        return files
    }

    /// A run label as a folder name: `attack.count=75 train.steps=10` → `attack.count=75_train.steps=10`.
    static func folderName(_ label: String) -> String {
        String(label.map { $0.isLetter || $0.isNumber || "=._-".contains($0) ? $0 : "_" })
    }
}
