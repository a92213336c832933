import Learning

/// A run's spec as typed values, decoded once from the validated `Value` (defaults filled).
public struct ExperimentSpec: Codable, Sendable {
    public var title: String?
    public var thesis: String?
    /// This run's seed: the spec's, or with `seeds` this repetition's.
    public var seed: Int
    /// `seeds` as written: a count or a list.
    public var seeds: Seeds?
    public var reseedUpstream: Bool
    /// The seed of the stages shared by a spec's repetitions (dataset split, reference model, GAN, pre-training,
    /// perturbations of the whole target class): the first repetition's, or this run's with `reseed_upstream`.
    public var sharedSeed: Int { sharedSeedOverride ?? seed }
    /// Set when a run is made a repetition (not part of the spec's JSON).
    var sharedSeedOverride: Int?
    public var dataset: DatasetSpec
    public var model: ModelSpec
    public var train: TrainSpec
    public var attack: AttackSpec
    public var defence: DefenceSpec
    public var evaluate: EvaluateSpec
    public var detection: DetectionSpec
    public var lossTracking: LossTrackingSpec
    public var report: ReportSpec
    /// Findings checked after the runs.
    public var expect: [ExpectationSpec]?

    enum CodingKeys: String, CodingKey {
        case title, thesis, seed, seeds, dataset, model, train, attack, defence, evaluate, detection, report, expect
        case lossTracking = "loss_tracking"
        case reseedUpstream = "reseed_upstream"
    }

    /// `seeds`: how many, or which.
    public enum Seeds: Codable, Sendable, Hashable {
        case count(Int)
        case list([Int])

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .count(n) } else { self = .list(try c.decode([Int].self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .count(let n): try c.encode(n)
            case .list(let l): try c.encode(l)
            }
        }

        /// The seeds of the repetitions, starting from `base` for a count.
        public func seeds(base: Int) -> [Int] {
            switch self {
            case .count(let n): return Array(base..<(base + n))
            case .list(let l): return l
            }
        }
    }

    /// Decodes a validated spec value.
    public init(_ value: Value) throws { self = try value.decode(ExperimentSpec.self) }

    /// How many training images are poisoned.
    public var poisonCount: Int { attack.poisonCount(victims: dataset.victimCount, classes: dataset.classes) }

    /// The network `m` (default the victim's) on this dataset.
    public func architecture(_ m: ModelSpec? = nil) -> Architecture {
        let m = m ?? model
        return Architecture(
            kind: m.arch, inputShape: dataset.shape, classes: dataset.classes, stem: m.stem, widths: m.widths,
            unitsPerGroup: m.unitsPerGroup, perImageStandardization: train.augmentation.perImageStandardization)
    }
}

/// The poisoning attack (`attack`).
public struct AttackSpec: Codable, Sendable, Hashable {
    public var poison: Poisoning
    public var target: Int
    public var targets: Targets
    public var fraction: Double?
    public var fractionOfDataset: Double?
    public var count: Int?
    public var perturbation: PerturbationSpec
    public var trigger: TriggerSpec

    /// Which images are poisoned and how their labels change.
    public enum Poisoning: String, Codable, Sendable, Hashable, CaseIterable {
        case none
        /// BadNets: images of other classes get the trigger and the target label.
        case dirtyLabel = "dirty_label"
        /// Images of the target class get the trigger; labels never change.
        case cleanLabel = "clean_label"
    }

    /// Where the triggered images aim.
    public enum Targets: String, Codable, Sendable, Hashable, CaseIterable {
        /// At `target`.
        case allToOne = "all_to_one"
        /// Class y at (y + 1) mod classes.
        case allToAll = "all_to_all"
    }

    enum CodingKeys: String, CodingKey {
        case poison, target, targets, fraction, count, perturbation, trigger
        case fractionOfDataset = "fraction_of_dataset"
    }

    /// How many of `victims` training images (of `classes` classes) are poisoned.
    public func poisonCount(victims: Int, classes: Int) -> Int {
        guard poison != .none else { return 0 }
        if let c = count { return c }
        if let f = fractionOfDataset { return Int((f * Double(victims)).rounded()) }
        if let f = fraction { return Int((f * Double(victims / classes)).rounded()) }
        return 0
    }
}
