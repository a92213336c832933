/// One kind of work a plan is made of. A value of the kind *is* the stage's parameters: its
/// canonical JSON is what the stage key hashes, so two stages with equal parameters and inputs are
/// one. Adding a kind is one file with a type conforming to this, plus its line in `StageRegistry`.
public protocol StageKind: Codable, Sendable {
    /// The record the stage leaves in its cache entry (`outputsFile`), read back through this type.
    associatedtype Outputs: Codable = NoOutputs
    /// Its name in plans, manifests and messages.
    static var name: Stage.Kind { get }
    /// Bumped when its algorithm changes, so old cache entries stop matching.
    static var version: Int { get }
    /// Where `Outputs` is written in the entry; nil when the stage leaves only arrays and images.
    static var outputsFile: String? { get }
    /// Optimisation steps, for kinds that checkpoint and resume.
    var totalSteps: Int? { get }
    /// The spec file whose results table this stage assembles (the report), published after it.
    var publishes: String? { get }
    /// What it will take, from its parameters, its inputs' parameters, the run's facts and the measured rates.
    func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost
    /// What the rows and columns of an image grid the stage leaves are (the PNGs carry no text).
    func caption(_ file: String, inputs: Int) -> String?
    /// Computes the stage into the entry folder `out`, reading its inputs through `context`.
    func run(_ stage: Stage, in context: StageContext, into out: String) throws
}

extension StageKind {
    public static var version: Int { 1 }
    public static var outputsFile: String? { nil }
    public var totalSteps: Int? { nil }
    public var publishes: String? { nil }
    public func caption(_ file: String, inputs: Int) -> String? { nil }
}

/// A stage that leaves a trained network (`model.safetensors`) that evaluation, export and the
/// inference-time defences read.
public protocol TrainsModel: StageKind {
    var architecture: ArchitectureParameters { get }
}

/// The outputs of a stage that writes no record.
public struct NoOutputs: Codable, Sendable {}

extension Stage {
    /// A stage kind's name.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// Every kind, in pipeline order (plan tables list them so).
        public static var allCases: [Kind] { StageRegistry.kinds.map { $0.name } }
    }
}

/// Every stage kind this version computes.
public enum StageRegistry {
    public static let kinds: [any StageKind.Type] = [
        DatasetStage.self, PretrainStage.self, ReferenceStage.self, GANStage.self, EncodeStage.self, PerturbStage.self,
        PoisonStage.self, TrainStage.self, EvaluateStage.self, DetectStage.self, ReportStage.self, ExportStage.self,
        FilterStage.self, STRIPStage.self, RepairStage.self, ReverseStage.self,
    ]

    /// The kind named `name`, if this version has it.
    public static func kind(named name: String) -> (any StageKind.Type)? { kinds.first { $0.name.rawValue == name } }
}
