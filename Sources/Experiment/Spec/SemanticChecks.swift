import Backdoor
import Foundation

/// Rules that span several keys, checked after each run is validated against the schema.
/// `triggerFile` is `attack.trigger.file` resolved against the spec that names it; `spec` is `v` decoded,
/// nil when other sections failed validation (their errors are reported already).
func semanticProblems(_ v: Value, spec: ExperimentSpec?, marks: [String: Mark], file: String, triggerFile: String?)
    -> [Diagnostic]
{
    var checks = SemanticChecks(v: v, marks: marks, file: file, triggerFile: triggerFile)
    checks.datasetFiles()
    checks.schedules()
    checks.attack()
    checks.attackFitsTheData()
    checks.trigger()
    checks.triggerSettings()
    checks.allToAll()
    checks.perturbation()
    checks.defence()
    if let spec { checks.networks(spec) }
    return checks.out
}

/// The checks across keys of one validated (possibly partial) spec value, section by section.
struct SemanticChecks {
    let v: Value
    let marks: [String: Mark]
    let file: String
    let triggerFile: String?
    var out: [Diagnostic] = []

    init(v: Value, marks: [String: Mark], file: String, triggerFile: String?) {
        self.v = v
        self.marks = marks
        self.file = file
        self.triggerFile = triggerFile
    }

    /// Where `p` was written, or the closest enclosing key that was.
    func mark(_ p: String) -> Mark {
        var q = p
        while !q.isEmpty {
            if let m = marks[q] { return m }
            if let dot = q.lastIndex(of: ".") { q = String(q[..<dot]) } else { q = "" }
        }
        return marks[""] ?? Mark(file: file, line: 1, column: 1)
    }
    func given(_ p: String) -> Bool { marks[p] != nil }

    var dataset: String { v[path: "dataset.name"]?.string ?? "fashion_mnist" }
    var classes: Int { dataset == "cifar100" ? (v[path: "dataset.labels"]?.string == "fine" ? 100 : 20) : 10 }
    var hasPublic: Bool {
        (v[path: "dataset.public_fraction"]?.double ?? 0) > 0 || v[path: "dataset.public_source"] != nil
    }
    var poison: String { v[path: "attack.poison"]?.string ?? "none" }
    /// The side of the dataset's square images.
    var side: Int { dataset == "fashion_mnist" ? 28 : 32 }

    /// The dataset needs its files; a public source must match the victim's images.
    mutating func datasetFiles() {
        if dataset != "fashion_mnist", v[path: "dataset.path"] == nil {
            out.append(
                Diagnostic(
                    mark("dataset.name"),
                    "dataset '\(dataset)' needs 'dataset.path' (its files cannot be downloaded here)")
            )
        }
        guard let src = v[path: "dataset.public_source"] else { return }
        let other = src["name"]?.string ?? ""
        if (v[path: "dataset.public_fraction"]?.double ?? 0) > 0 {
            out.append(
                Diagnostic(
                    mark("dataset.public_source"),
                    "give 'dataset.public_fraction' or 'dataset.public_source', not both"
                ))
        }
        if other != "fashion_mnist", src["path"] == nil {
            out.append(
                Diagnostic(
                    mark("dataset.public_source.name"),
                    "public source '\(other)' needs 'dataset.public_source.path'"))
        }
        // A public source has no `labels` key: cifar100 means its 20 superclasses.
        let otherClasses = other == "cifar100" ? 20 : 10
        let shape = { (name: String) in
            (DatasetName(rawValue: name)?.shape ?? []).map(String.init).joined(separator: "×")
        }
        if shape(other) != shape(dataset) || otherClasses != classes {
            out.append(
                Diagnostic(
                    mark("dataset.public_source.name"),
                    "public source '\(other)' has \(shape(other)) images of \(otherClasses) classes; the victim's '\(dataset)' has \(shape(dataset)) of \(classes)"
                ))
        }
        for k in ["part", "split"] where other != "cinic10" && given("dataset.public_source." + k) {
            out.append(
                Diagnostic(
                    mark("dataset.public_source." + k), "'dataset.public_source.\(k)' applies to cinic10 only"))
        }
    }

    /// Learning-rate schedules, wherever they appear.
    mutating func schedules() {
        for prefix in ["train", "attack.perturbation.reference.train", "defence.pretrain.train", "detection.train"] {
            guard let pw = v[path: prefix + ".learning_rate.piecewise"] else { continue }
            let p = prefix + ".learning_rate.piecewise"
            let b = pw["boundaries"]?.list
            let f = pw["fractions"]?.list
            let values = pw["values"]?.list ?? []
            if (b == nil) == (f == nil) {
                out.append(
                    Diagnostic(
                        mark(p), "'\(p)' needs exactly one of 'boundaries' (steps) or 'fractions' (of the total steps)")
                )
                continue
            }
            let bounds = (b ?? f ?? []).compactMap(\.double)
            if values.count != bounds.count + 1 {
                out.append(
                    Diagnostic(
                        mark(p + ".values"),
                        "'\(p).values' needs \(bounds.count + 1) rates for \(bounds.count) boundaries (got \(values.count))"
                    ))
            }
            if zip(bounds, bounds.dropFirst()).contains(where: { $0 >= $1 }) {
                out.append(
                    Diagnostic(mark(p + (b != nil ? ".boundaries" : ".fractions")), "'\(p)' boundaries must increase"))
            }
        }
    }

    /// How much an attack poisons, and what it combines with.
    mutating func attack() {
        let amounts = ["fraction", "fraction_of_dataset", "count"].filter { v[path: "attack." + $0] != nil }
        if poison == "none" {
            for a in amounts {
                out.append(Diagnostic(mark("attack." + a), "'attack.\(a)' has no effect: 'attack.poison' is none"))
            }
            if v[path: "attack.perturbation.kind"]?.string != "none" {
                out.append(
                    Diagnostic(
                        mark("attack.perturbation"), "'attack.perturbation' has no effect: 'attack.poison' is none"))
            }
        } else {
            if amounts.isEmpty {
                out.append(
                    Diagnostic(
                        mark("attack.poison"),
                        "a \(poison) attack needs how much to poison: one of 'fraction' (of the target class), 'fraction_of_dataset' or 'count'"
                    ))
            } else if amounts.count > 1 {
                out.append(
                    Diagnostic(
                        mark("attack." + amounts[1]),
                        "give one of 'attack.fraction', 'attack.fraction_of_dataset' and 'attack.count', not \(amounts.map { "'\($0)'" }.joined(separator: " and "))"
                    ))
            }
            if poison == "dirty_label", amounts == ["fraction"] {
                out.append(
                    Diagnostic(
                        mark("attack.fraction"),
                        "BadNets (dirty_label) poisons random images of any class: use 'fraction_of_dataset' or 'count', not 'fraction' of the target class"
                    ))
            }
            if poison == "dirty_label", v[path: "attack.perturbation.kind"]?.string != "none" {
                out.append(
                    Diagnostic(
                        mark("attack.perturbation"),
                        "perturbations are for clean_label attacks; a dirty_label attack changes labels instead"))
            }
        }
    }

    /// Target, trigger, poison count and network depth against the dataset's classes and image size.
    mutating func attackFitsTheData() {
        if let t = v[path: "attack.target"]?.int, t >= classes {
            out.append(
                Diagnostic(
                    mark("attack.target"), "'attack.target' must be a class of \(dataset) (0…\(classes - 1); got \(t))")
            )
        }
        if let size = v[path: "attack.trigger.size"]?.int, size > side {
            out.append(
                Diagnostic(
                    mark("attack.trigger.size"),
                    "'attack.trigger.size' (\(size)) is larger than the \(side)×\(side) images of \(dataset)"))
        }
        if let count = v[path: "attack.count"]?.int {
            let images =
                v[path: "dataset.subset"]?.int.map { min($0, 60_000) } ?? (dataset == "fashion_mnist" ? 60_000 : 50_000)
            let eligible = poison == "clean_label" ? images / classes : images - images / classes
            if count > eligible {
                out.append(
                    Diagnostic(
                        mark("attack.count"),
                        "'attack.count' (\(count)) exceeds the \(eligible) images a \(poison) attack can poison here"))
            }
        }
        for prefix in ["model", "attack.perturbation.reference.model"] {
            guard let arch = v[path: prefix + ".arch"]?.string, arch != "resnet",
                let widths = v[path: prefix + ".widths"]?.list
            else { continue }
            // VGG and the small CNN halve the image per block; past 1×1 there is nothing left to pool.
            let halvings = arch == "vgg" ? widths.count : widths.count - 1
            if side >> halvings < 1 {
                out.append(
                    Diagnostic(
                        mark(prefix + ".widths"),
                        "'\(prefix).widths' has \(widths.count) blocks, which pool \(side)×\(side) images below one pixel"
                    ))
            }
        }
    }

    /// An image trigger needs a readable file; a file needs an image trigger.
    mutating func trigger() {
        if v[path: "attack.trigger.pattern"]?.string == "image", v[path: "attack.trigger.file"] == nil {
            out.append(
                Diagnostic(mark("attack.trigger.pattern"), "trigger pattern 'image' needs 'attack.trigger.file'"))
        }
        if let f = v[path: "attack.trigger.file"]?.string, let p = triggerFile {
            if !FileManager.default.fileExists(atPath: p) {
                out.append(Diagnostic(mark("attack.trigger.file"), "trigger file '\(f)' does not exist"))
            } else if v[path: "attack.trigger.pattern"]?.string == "image" {
                do { _ = try TriggerImage.signs(path: p, size: v[path: "attack.trigger.size"]?.int ?? 3) } catch {
                    out.append(Diagnostic(mark("attack.trigger.file"), "\(error)"))
                }
            } else if v[path: "attack.trigger.pattern"]?.string == "blend" {
                do { _ = try TriggerImage.grey(path: p) } catch {
                    out.append(Diagnostic(mark("attack.trigger.file"), "\(error)"))
                }
            }
        }
    }

    /// A perturbation's data and settings.
    mutating func perturbation() {
        let kind = v[path: "attack.perturbation.kind"]?.string
        if kind == "pgd", v[path: "attack.perturbation.reference.data"]?.string == "public", !hasPublic {
            out.append(
                Diagnostic(
                    mark("attack.perturbation.reference.data"),
                    "a black-box reference trains on the public split: set 'dataset.public_fraction' > 0 or 'dataset.public_source'"
                ))
        }
        if kind == "gan_interpolation", let k = v[path: "attack.perturbation.gan.kernel"]?.int, k % 2 == 0 {
            out.append(
                Diagnostic(
                    mark("attack.perturbation.gan.kernel"),
                    "'attack.perturbation.gan.kernel' must be odd (1, 3, 5, 7 or 9; got \(k)): the generator and critic keep image sizes with (k − 1)/2 padding"
                ))
        }
        if kind == "pixel_interpolation", v[path: "attack.perturbation.source"]?.string == "public", !hasPublic {
            out.append(
                Diagnostic(
                    mark("attack.perturbation.source"),
                    "interpolation source 'public' needs 'dataset.public_fraction' > 0 or 'dataset.public_source'"))
        }
    }

    /// DP-SGD's lots, microbatches and pre-training data.
    mutating func defence() {
        let kind = v[path: "defence.kind"]?.string ?? "none"
        if ["spectral_signatures", "strip"].contains(kind), poison == "none" {
            out.append(
                Diagnostic(
                    mark("defence.kind"),
                    kind == "strip"
                        ? "STRIP scores triggered test inputs: it needs an attack ('attack.poison')"
                        : "spectral signatures remove a multiple of the poison count: it needs an attack ('attack.poison')"
                ))
        }
        if ["spectral_signatures", "activation_clustering"].contains(kind),
            v[path: "loss_tracking.enabled"]?.bool == true
        {
            out.append(
                Diagnostic(
                    mark("loss_tracking.enabled"),
                    "loss tracking follows the poisons through training; a cleansing defence retrains without them"))
        }
        if let d = v[path: "defence.kind"]?.string, d != "none" {
            let lot = v[path: "defence.lot_size"]?.int ?? 1
            let mb = v[path: "defence.microbatches"]?.int ?? 1
            if lot % mb != 0 {
                out.append(
                    Diagnostic(
                        mark("defence.microbatches"),
                        "'defence.lot_size' (\(lot)) must be a multiple of 'defence.microbatches' (\(mb))"))
            }
            if v[path: "defence.pretrain.dataset"]?.string == "public", !hasPublic {
                out.append(
                    Diagnostic(
                        mark("defence.pretrain"),
                        "pre-training on the public split needs 'dataset.public_fraction' > 0 or 'dataset.public_source'"
                    ))
            }
            if v[path: "defence.pretrain.dataset"]?.string == "cifar100", v[path: "defence.pretrain.path"] == nil {
                out.append(
                    Diagnostic(
                        mark("defence.pretrain.dataset"), "pre-training on cifar100 needs 'defence.pretrain.path'"))
            }
        }
    }

    /// Networks counted from their shapes: planning builds them, so an absurd width must stop here.
    mutating func networks(_ spec: ExperimentSpec) {
        var networks = [("model", spec.architecture())]
        if case .pgd(let p) = spec.attack.perturbation, let m = p.reference.model {
            networks.append(("attack.perturbation.reference.model", spec.architecture(m)))
        }
        for (path, a) in networks where a.parameterCount > maxParameters {
            out.append(
                Diagnostic(
                    mark(path),
                    "this network has \(a.parameterCount) parameters; the limit is \(maxParameters) (narrow 'widths' or use fewer 'units_per_group')"
                ))
        }
    }
}

/// The largest network a spec may ask for: over VGG-16 (138 M), far past the thesis's 0.47 M-parameter ResNet-32;
/// planning builds it (value and gradient: 1.6 GB at the limit).
let maxParameters = 200_000_000
