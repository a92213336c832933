import Backdoor
import Foundation
import Learning

/// Turns resolved runs into a plan: the stage DAG with keys and costs. It composes stage kinds;
/// what each computes and costs is the kind's own.
public struct Planner {
    public var rates: Rates { costs.rates }
    private let costs: CostModel
    private var stages: [Stage] = []
    private var index: [String: Int] = [:]
    /// Each stage's users as a set (a dataset stage of a 10⁵-run sweep has 10⁵ of them).
    private var users: [Set<String>] = []

    public init(rates: Rates = .defaults) { costs = CostModel(rates: rates) }

    /// The plan of every run of `specs`, each stage once, plus one report stage per spec; with
    /// `exporting`, an export stage per run too (`PlannedRun.export`).
    public mutating func plan(_ specs: [LoadedSpec], exporting: Bool = false) throws -> Plan {
        var runs: [PlannedRun] = []
        for spec in specs {
            var results: [String] = []
            for run in spec.runs {
                var r = try plan(run)
                if exporting { r.export = try export(r, of: run) }
                runs.append(r)
                results += [r.evaluate] + (r.detect.map { [$0] } ?? []) + (r.defence.map { [$0] } ?? [])
            }
            guard let first = spec.runs.first else { continue }
            let facts = RunFacts(first.spec)
            _ = try add(
                ReportStage(file: spec.file, report: first.spec.report), inputs: results, facts: facts,
                origin: first.mark("report"), user: spec.file)
        }
        return Plan(stages: stages, runs: runs, rates: rates)
    }

    /// Adds `work` on `inputs` (or finds it: equal parameters and inputs are one stage) and returns its key.
    mutating func add(
        _ work: some StageKind, inputs: [String], facts: RunFacts, origin: Mark, user: String,
        checkpointEvery: Int? = nil
    ) throws -> String {
        let inputWork = inputs.compactMap { index[$0].map { stages[$0].work } }
        let stage = try Stage(
            work, inputs: inputs, cost: work.cost(facts, inputs: inputWork, model: costs), origin: origin, user: user,
            checkpointEvery: checkpointEvery)
        if let i = index[stage.key] {
            if users[i].insert(user).inserted { stages[i].users.append(user) }
            return stage.key
        }
        index[stage.key] = stages.count
        users.append([user])
        stages.append(stage)
        return stage.key
    }

    /// One run: dataset, the attack's stages, the victim's training, its evaluation and detection.
    mutating func plan(_ run: ResolvedRun) throws -> PlannedRun {
        let spec = run.spec
        let r = RunContext(
            run: run, facts: RunFacts(spec), user: run.label.isEmpty ? run.file : "\(run.file) [\(run.label)]")
        let dataset = try add(DatasetStage(spec.dataset, seed: spec.sharedSeed), r, inputs: [], at: "dataset")
        let pretrain = try pretraining(r, dataset: dataset)
        let perturb = try perturbation(r, dataset: dataset)
        let poison = try poisoning(r, dataset: dataset, perturb: perturb)
        let (train, defence) = try training(r, dataset: dataset, poison: poison, pretrain: pretrain)
        let evaluate = try evaluation(r, dataset: dataset, train: train)
        let detect = try poison.map { try detection(r, dataset: dataset, poison: $0) } ?? nil
        return PlannedRun(
            file: run.file, label: run.label, point: run.point.map { ($0.key, $0.value) }, train: train,
            evaluate: evaluate, detect: detect, poison: poison,
            target: spec.attack.poison == .none || spec.attack.targets == .allToAll ? nil : spec.attack.target,
            poisonCount: spec.poisonCount,
            headline: spec.evaluate.attackSuccessRate.exclude, value: run.value, defence: defence,
            defenceKind: spec.defence.kind, seed: spec.seed)
    }
}

extension Planner {
    /// The export of planned run `r` (its training set with poisons in place, test set and model).
    mutating func export(_ r: PlannedRun, of run: ResolvedRun) throws -> String {
        let context = RunContext(run: run, facts: RunFacts(run.spec), user: r.displayName)
        guard let dataset = stages[index[r.train] ?? 0].inputs.first else {
            throw StageFailure("no dataset for \(r.displayName)")
        }
        return try add(
            ExportStage(spec: r.file, run: r.label), context,
            inputs: [dataset, r.train] + (r.poison.map { [$0] } ?? []),
            at: "")
    }
}

extension RunFacts {
    init(_ spec: ExperimentSpec) {
        self.init(
            dataset: spec.dataset, victim: spec.architecture(), poisonCount: spec.poisonCount,
            augments: !spec.train.augmentation.augmentation.isNone)
    }
}
