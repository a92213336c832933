import Learning

/// A run's spec as typed values (decoded from a validated `Value`, so decoding cannot fail).
public struct ExperimentSpec: Sendable {
    public struct DatasetSpec: Sendable, Hashable {
        public var name: String, path: String?, labels: String, subset: Int?, publicFraction: Double
        /// `dataset.public_source`, when another dataset is the public split.
        public var publicSource: Value?
        /// [H, W, C], classes and training-set size of the named dataset.
        public var shape: [Int] { DatasetSpec.shape(name) }
        public var classes: Int { name == "cifar100" ? (labels == "fine" ? 100 : 20) : 10 }
        public var fullTrainCount: Int { name == "fashion_mnist" ? 60_000 : (name == "cinic10" ? 90_000 : 50_000) }
        public var testCount: Int { name == "cinic10" ? 90_000 : 10_000 }
        public var publicCount: Int {
            guard let src = publicSource else { return Int((Double(fullTrainCount) * publicFraction).rounded(.down)) }
            // CINIC-10 splits hold 90 000 images each: 70 000 from ImageNet, 20 000 from CIFAR-10.
            switch (src["name"]!.string!, src["part"]?.string ?? "all") {
            case ("cinic10", "imagenet"): return 70_000
            case ("cinic10", "cifar"): return 20_000
            case ("cinic10", _): return 90_000
            case ("fashion_mnist", _): return 60_000
            default: return 50_000
            }
        }
        static func shape(_ name: String) -> [Int] { name == "fashion_mnist" ? [28, 28, 1] : [32, 32, 3] }
        /// Images the victim trains on.
        public var victimCount: Int { min(subset ?? Int.max, fullTrainCount - (publicSource == nil ? publicCount : 0)) }
    }
    public struct ModelSpec: Sendable, Hashable { public var arch: String, stem: Int, widths: [Int], unitsPerGroup: Int }
    public struct TrainSpec: Sendable, Hashable {
        public var optimizer: Value, batchSize: Int, steps: Int?, epochs: Double?, learningRate: Value
        public var augmentation: Augmentation, perImageStandardization: Bool, checkpointEvery: Int
        /// Steps for a training set of `count` images.
        public func totalSteps(count: Int) -> Int {
            if let e = epochs { return TrainingConfig.steps(epochs: e, count: count, batchSize: batchSize) }
            return steps ?? 100_000
        }
    }
    public struct TriggerSpec: Sendable, Hashable { public var pattern: String, file: String?, size: Int, corners: [String], amplitude: Double }

    public var title: String?, thesis: String?
    public var seed: Int
    public var dataset: DatasetSpec
    public var model: ModelSpec
    public var train: TrainSpec
    public var poison: String, target: Int
    public var fraction: Double?, fractionOfDataset: Double?, count: Int?
    public var perturbation: Value
    public var trigger: TriggerSpec
    public var defence: Value
    public var evaluate: Value
    public var detection: Value
    public var lossTracking: Value
    public var report: Value
    /// The whole validated value (for keys and canonical parameters).
    public var value: Value

    public init(_ v: Value) {
        value = v
        title = v["title"]?.string; thesis = v["thesis"]?.string
        seed = v["seed"]?.int ?? 0
        let d = v["dataset"]!
        dataset = DatasetSpec(name: d["name"]!.string!, path: d["path"]?.string, labels: d["labels"]!.string!,
                              subset: d["subset"]?.int, publicFraction: d["public_fraction"]!.double!, publicSource: d["public_source"])
        model = ExperimentSpec.model(v["model"]!)
        train = ExperimentSpec.training(v["train"]!)
        let a = v["attack"]!
        poison = a["poison"]!.string!; target = a["target"]!.int!
        fraction = a["fraction"]?.double; fractionOfDataset = a["fraction_of_dataset"]?.double; count = a["count"]?.int
        perturbation = a["perturbation"]!
        let t = a["trigger"]!
        let corners: [String] = t["corners"]!.string == "all" ? SpecSchema.corners : t["corners"]!.list!.map { $0.string! }
        trigger = TriggerSpec(pattern: t["pattern"]!.string!, file: t["file"]?.string, size: t["size"]!.int!, corners: corners,
                              amplitude: t["amplitude"]!.double!)
        defence = v["defence"]!; evaluate = v["evaluate"]!; detection = v["detection"]!
        lossTracking = v["loss_tracking"]!; report = v["report"]!
    }

    static func model(_ m: Value) -> ModelSpec {
        ModelSpec(arch: m["arch"]!.string!, stem: m["stem"]!.int!, widths: m["widths"]!.list!.map { $0.int! },
                  unitsPerGroup: m["units_per_group"]!.int!)
    }

    static func training(_ t: Value) -> TrainSpec {
        var aug = Augmentation.none, std = false
        if let s = t["augmentation"]?.string {
            if s == "standard" { aug = .standard; std = true }
        } else if let o = t["augmentation"] {
            aug = Augmentation(cropPadding: o["crop_padding"]!.int!, horizontalFlip: o["flip"]!.bool!)
            std = o["per_image_standardization"]!.bool!
        }
        return TrainSpec(optimizer: t["optimizer"]!, batchSize: t["batch_size"]!.int!, steps: t["steps"]?.int,
                         epochs: t["epochs"]?.double, learningRate: t["learning_rate"]!, augmentation: aug,
                         perImageStandardization: std, checkpointEvery: t["checkpoint_every"]!.int!)
    }

    /// How many training images are poisoned.
    public var poisonCount: Int {
        switch poison {
        case "none": return 0
        default:
            if let c = count { return c }
            if let f = fractionOfDataset { return Int((f * Double(dataset.victimCount)).rounded()) }
            if let f = fraction { return Int((f * Double(dataset.victimCount / dataset.classes)).rounded()) }
            return 0
        }
    }

    public func architecture(_ m: ModelSpec? = nil, perImage: Bool? = nil) -> Architecture {
        let m = m ?? model
        return Architecture(kind: Architecture.Kind(rawValue: m.arch) ?? .resnet, inputShape: dataset.shape, classes: dataset.classes,
                            stem: m.stem, widths: m.widths, unitsPerGroup: m.unitsPerGroup,
                            perImageStandardization: perImage ?? train.perImageStandardization)
    }

    /// The learning-rate schedule for `total` steps.
    public static func schedule(_ v: Value, total: Int) -> LearningRate {
        if let c = v.double { return .constant(Float(c)) }
        let pw = v["piecewise"]!
        let values = pw["values"]!.list!.map { Float($0.double!) }
        let bounds = pw["boundaries"]?.list?.map { $0.int! }
            ?? pw["fractions"]!.list!.map { Int(($0.double! * Double(total)).rounded()) }
        return .piecewise(boundaries: bounds, values: values)
    }
}
