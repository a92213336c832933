import Crypto

/// One unit of work in a plan. Its key is a SHA-256 over its kind, algorithm version, canonical
/// parameters and input keys, so identical work is one stage across sweep points and specs.
public struct Stage: Sendable {
    /// The typed parameters, which also say how the stage is computed.
    public var work: any StageKind
    public var key: String
    /// `work` as a value (plan output, manifests).
    public var parameters: Value
    public var inputs: [String]
    public var cost: Cost
    /// The spec value that asked for this stage (for messages that point at the spec).
    public var origin: Mark
    /// Spec files and sweep points that need it.
    public var users: [String]
    /// Steps between checkpoints, for a stage that trains: not part of the key (it does not change the result).
    public var checkpointEvery: Int?

    public var kind: Kind { type(of: work).name }

    /// A stage of `work` on `inputs`.
    public init(
        _ work: any StageKind, inputs: [String], cost: Cost, origin: Mark, user: String, checkpointEvery: Int? = nil
    )
        throws
    {
        self.work = work
        parameters = try Value(encoding: work)
        key = Stage.key(
            kind: type(of: work).name, version: type(of: work).version, parameters: parameters, inputs: inputs)
        self.inputs = inputs
        self.cost = cost
        self.origin = origin
        users = [user]
        self.checkpointEvery = checkpointEvery
    }

    public static func key(kind: Kind, version: Int, parameters: Value, inputs: [String]) -> String {
        let text =
            "backdoorlab-stage\n\(kind.rawValue)\nv\(version)\n\(parameters.canonicalJSON)\n"
            + inputs.joined(separator: "\n")
        return SHA256.hash(data: Array(text.utf8)).map { String(format2($0)) }.joined()
    }

    public var shortKey: String { String(key.prefix(12)) }

    /// Steps of a stage that checkpoints (a training, the GAN's generator steps).
    public var totalSteps: Int? { work.totalSteps }
}

func format2(_ b: UInt8) -> String {
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
}

/// What a stage will take: exact FLOPs, estimated time, peak memory and disk of its outputs.
public struct Cost: Sendable, Codable, Equatable {
    public var flops: Double
    public var seconds: Double
    public var memoryBytes: Double
    public var diskBytes: Double
    public init(flops: Double = 0, seconds: Double = 0, memoryBytes: Double = 0, diskBytes: Double = 0) {
        self.flops = flops
        self.seconds = seconds
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
    }
}

/// A run of a spec and the stages that produce its results.
public struct PlannedRun: Sendable {
    public var file: String
    public var label: String
    /// Swept keys and their values at this run.
    public var point: [(key: String, value: Value)]
    public var train: String
    public var evaluate: String
    public var detect: String?
    public var poison: String?
    /// Its export stage, when the plan was made for `export`.
    public var export: String?
    public var target: Int?
    public var poisonCount: Int
    /// Which ASR the spec reports as `attack_success_rate`.
    public var headline: EvaluateSpec.AttackSuccessRate.Exclude
    /// The run's whole validated spec (for expectations that select runs by any setting).
    public var value: Value
    /// The stage of a cleansing or inference-time defence (filter, STRIP), whose record the results carry.
    public var defence: String?
    /// Its defence's kind (`none` without one).
    public var defenceKind: DefenceSpec.Kind
    /// The seed it trains with (a seeded spec's runs differ in it).
    public var seed: Int

    /// `file [label]`, or the file alone for a spec without sweeps: how messages name the run.
    public var displayName: String { label.isEmpty ? file : "\(file) [\(label)]" }
}

/// The DAG of stages for a set of specs, in dependency order, each stage once.
public struct Plan: Sendable {
    public private(set) var stages: [Stage]
    public var runs: [PlannedRun]
    public var rates: Rates
    /// The per-kind scaling of its times (`calibrated`); none as planned.
    public var calibration = Calibration.none
    /// Key → position in `stages`, so a look-up does not scan (plans of 10⁵ runs have ~4·10⁵ stages).
    private let positions: [String: Int]

    public init(stages: [Stage], runs: [PlannedRun], rates: Rates) {
        self.stages = stages
        self.runs = runs
        self.rates = rates
        positions = Dictionary(stages.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func stage(_ key: String) -> Stage? { positions[key].map { stages[$0] } }
    public var total: Cost {
        stages.reduce(into: Cost()) { $0.add($1.cost) }
    }
    public func count(_ kind: Stage.Kind) -> Int { stages.filter { $0.kind == kind }.count }

    mutating func scaleSeconds(by factor: (Stage.Kind) -> Double) {
        for i in stages.indices { stages[i].cost.seconds *= factor(stages[i].kind) }
    }
}
