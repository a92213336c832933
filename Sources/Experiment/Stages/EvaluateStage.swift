import Backdoor
import Foundation
import Learning

extension Stage.Kind { public static let evaluate = EvaluateStage.name }

/// The victim on the clean test set and, with an attack, on the triggered one.
/// Inputs: the dataset and the training.
public struct EvaluateStage: StageKind {
    public static let name = Stage.Kind(rawValue: "evaluate")
    public static let outputsFile: String? = "metrics.json"
    public typealias Outputs = AttackMetrics

    public var perClass: Bool
    public var attackSuccessRate: AttackSuccessRate?

    /// How the attack is measured: the test-time trigger, the target, and which images are left out.
    public struct AttackSuccessRate: Codable, Sendable, Hashable {
        public var exclude: EvaluateSpec.AttackSuccessRate.Exclude
        public var trigger: TriggerParameters
        public var target: Int
        /// All-to-all: an image of class y counts when classified as y + 1 (absent for all-to-one).
        public var allToAll: Bool?

        enum CodingKeys: String, CodingKey {
            case exclude, trigger, target
            case allToAll = "all_to_all"
        }
    }

    enum CodingKeys: String, CodingKey {
        case perClass = "per_class"
        case attackSuccessRate = "attack_success_rate"
    }

    public func cost(_ run: RunFacts, inputs: [any StageKind], model: CostModel) -> Cost {
        let passes = attackSuccessRate == nil ? 1.0 : 2.0
        var cost = model.inference(run.victim, images: passes * Double(run.dataset.testCount))
        cost.memoryBytes = Double(model.shape(run.victim).activations * 500 * 2)
        cost.diskBytes = 1e4
        return cost
    }

    public func run(_ stage: Stage, in context: StageContext, into out: String) throws {
        let data = try context.preparedData(stage.inputs[0])
        let model = try context.trainedModel(stage.inputs[1], data: data)
        let clean = predict(model, on: data.test).predicted
        var triggered: [Int]?
        if let asr = attackSuccessRate {
            triggered = predict(model, on: try asr.trigger.trigger().applied(to: data.test)).predicted
        }
        let m: AttackMetrics
        if let triggered, attackSuccessRate?.allToAll == true {
            m = AttackMetrics.computeAllToAll(
                labels: data.test.labels, clean: clean, triggered: triggered, classes: data.test.classes)
        } else {
            m = AttackMetrics.compute(
                labels: data.test.labels, clean: clean, triggered: triggered, target: attackSuccessRate?.target,
                classes: data.test.classes)
        }
        try context.write(m, of: EvaluateStage.self, into: out)
    }
}
