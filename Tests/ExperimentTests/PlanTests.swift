import Datasets
import Experiment
import Foundation
import TestSupport
import XCTest

/// Writes spec files into a fresh folder and loads them.
struct SpecFolder {
    let dir = DatasetFiles.temporaryDirectory("backdoorlab-spec")
    func write(_ name: String, _ text: String) {
        let p = dir + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
    }
    func load(_ name: String? = nil, profile: String? = nil, set: [String] = [], env: [String: String] = [:]) throws
        -> [LoadedSpec]
    {
        try SpecLoader(environment: env, profile: profile, overrides: set, displayRoot: dir).load(
            name.map { dir + "/" + $0 } ?? dir)
    }
    func plan(_ name: String? = nil, set: [String] = []) throws -> Plan {
        var p = Planner(rates: .defaults)
        return try p.plan(try load(name, set: set))
    }
}

let cleanLabel = """
    dataset: {name: fashion_mnist}
    model: {units_per_group: 1}
    train: {epochs: 24, batch_size: 128, learning_rate: {piecewise: {fractions: [0.5, 0.75], values: [0.1, 0.01, 0.001]}}}
    attack:
      poison: clean_label
      target: {sweep: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}
      fraction: {sweep: [0.004, 0.015, 0.06, 0.25, 1.0]}
      perturbation: {kind: pgd, norm: l2, epsilon: 300, steps: 50, reference: {training: adversarial}}
    """

final class PlanTests: XCTestCase {
    func testSweepOf10ClassesBy5FractionsSharesTheReferenceModel() throws {
        let f = SpecFolder()
        f.write("pgd.yaml", cleanLabel)
        let plan = try f.plan()
        XCTAssertEqual(plan.runs.count, 50)
        XCTAssertEqual(plan.count(.dataset), 1)
        XCTAssertEqual(plan.count(.trainReference), 1)
        XCTAssertEqual(plan.count(.perturb), 10)
        XCTAssertEqual(plan.count(.poison), 50)
        XCTAssertEqual(plan.count(.train), 50)
        XCTAssertEqual(plan.count(.evaluate), 50)
        XCTAssertEqual(plan.count(.report), 1)
        // Dependency order: every input is planned before its user.
        var seen = Set<String>()
        for s in plan.stages {
            for i in s.inputs { XCTAssert(seen.contains(i), "\(s.kind) before its input") }
            seen.insert(s.key)
        }
    }

    /// PGD runs forward and input-gradient passes of the reference network: it is timed at that network's
    /// input-gradient rate (ResNet-8 here), not at the rate of the ResNet-32 the dataset's shape would suggest;
    /// without a measured one, at that network's training rate. Training the reference is timed at
    /// the ResNet-8 training rate.
    func testPGDIsTimedAtTheReferenceNetworksRate() throws {
        let f = SpecFolder()
        f.write("pgd.yaml", cleanLabel)
        let resnet8 = try XCTUnwrap(Rates.defaults.training.first { $0.depth == 8 && $0.input == "28x28x1" }).gflops
        var measured = Rates.defaults
        measured.inputGradient = [
            .init(depth: 8, input: "28x28x1", gflops: 41), .init(depth: 32, input: "28x28x1", gflops: 77),
        ]
        for (rates, pgd) in [(Rates.defaults, resnet8), (measured, 41.0)] {
            var planner = Planner(rates: rates)
            let plan = try planner.plan(try f.load())
            let perturb = try XCTUnwrap(plan.stages.first { $0.kind == .perturb })
            XCTAssertEqual(perturb.cost.seconds, perturb.cost.flops / (pgd * 1e9), accuracy: 1e-6)
            let reference = try XCTUnwrap(plan.stages.first { $0.kind == .trainReference })
            XCTAssertEqual(reference.cost.seconds, reference.cost.flops / (resnet8 * 1e9), accuracy: 1e-6)
        }
    }

    /// Evaluation, STRIP and Neural Cleanse are timed at the victim's own inference and input-gradient rates
    /// from `bench.json`, not at those of the ResNet-32 the bench also measured.
    func testDefencesAreTimedAtTheVictimsOwnRates() throws {
        let home = DatasetFiles.temporaryDirectory("backdoorlab-home")
        let row = { (model: String, input: String, gflops: Int) in
            "{\"model\": \"\(model)\", \"input\": \"\(input)\", \"batch\": 100, \"gflops\": \(gflops)}"
        }
        let bench = """
            {"threads": 2, "training": [\(row("resnet-8", "28x28x1", 90)), \(row("resnet-32", "32x32x3", 110))],
             "inference": [\(row("resnet-32", "32x32x3", 120)), \(row("resnet-8", "28x28x1", 64))],
             "inputGradient": [\(row("resnet-8", "28x28x1", 48)), \(row("resnet-32", "32x32x3", 101))]}
            """
        try Data(bench.utf8).write(to: URL(fileURLWithPath: home + "/bench.json"))
        let rates = Rates.stored(environment: ["BACKDOORLAB_HOME": home])
        XCTAssert(
            rates.summary.contains("inference resnet-8 28x28x1 64, resnet-32 32x32x3 120 GFLOP/s"), rates.summary)
        XCTAssert(rates.summary.contains("input gradient resnet-8 28x28x1 48"), rates.summary)
        let f = SpecFolder()
        f.write(
            "d.yaml",
            """
            model: {units_per_group: 1}
            attack: {poison: dirty_label, count: 300}
            defence: {sweep: [strip, neural_cleanse]}
            """)
        var planner = Planner(rates: rates)
        let plan = try planner.plan(try f.load())
        for (kind, gflops) in [(Stage.Kind.evaluate, 64.0), (.strip, 64), (.reverse, 48)] {
            let stage = try XCTUnwrap(plan.stages.first { $0.kind == kind }, "\(kind)")
            XCTAssertGreaterThan(stage.cost.flops, 0)
            XCTAssertEqual(stage.cost.seconds, stage.cost.flops / (gflops * 1e9), accuracy: 1e-6, "\(kind)")
        }
    }

    /// `bench --gan` figures time `train_gan` and `encode`; without them both fall back to the ResNet-32 training rate.
    func testGANStagesAreTimedAtTheBenchedGANRates() throws {
        let home = DatasetFiles.temporaryDirectory("backdoorlab-home")
        let bench = """
            {"threads": 2, "training": [{"model": "resnet-32", "input": "28x28x1", "batch": 128, "gflops": 100}],
             "gan": [{"input": "28x28x1", "secondsPerStep": 1.5, "trainingGflops": 40, "encodeGflops": 25}]}
            """
        try Data(bench.utf8).write(to: URL(fileURLWithPath: home + "/bench.json"))
        let rates = Rates.stored(environment: ["BACKDOORLAB_HOME": home])
        XCTAssertEqual(rates.gan, [Rates.GANEntry(input: "28x28x1", training: 40, encode: 25)])
        XCTAssert(rates.summary.contains("WGAN-GP 28x28x1 40, inversion 28x28x1 25 GFLOP/s"), rates.summary)
        let f = SpecFolder()
        f.write(
            "gan.yaml",
            """
            attack:
              poison: clean_label
              fraction: 0.06
              perturbation:
                kind: gan_interpolation
                tau: 0.2
                gan: {classes: all, latent: 64, steps: 100, critic_steps: 5, batch_size: 256, penalty: 10, learning_rate: 0.0001, kernel: 3}
                encode: {steps: 100, optimizer: adam, step_size: 0.05}
            """)
        for (r, expected) in [(rates, (40.0, 25.0)), (Rates.defaults, (110.0, 110.0))] {
            var planner = Planner(rates: r)
            let plan = try planner.plan(try f.load())
            let gan = try XCTUnwrap(plan.stages.first { $0.kind == .trainGAN })
            let encode = try XCTUnwrap(plan.stages.first { $0.kind == .encode })
            XCTAssertEqual(gan.cost.seconds, gan.cost.flops / (expected.0 * 1e9), accuracy: 1e-6)
            XCTAssertEqual(encode.cost.seconds, encode.cost.flops / (expected.1 * 1e9), accuracy: 1e-6)
        }
    }

    func testIdenticalStagesAreSharedAcrossSpecs() throws {
        let f = SpecFolder()
        f.write("a.yaml", "title: one\nattack: {poison: dirty_label, count: 75}\n")
        f.write("b.yaml", "title: two\nattack: {poison: dirty_label, count: 75}\nreport: {figure: {x: attack.count}}\n")
        let plan = try f.plan()
        XCTAssertEqual(plan.count(.train), 1)
        XCTAssertEqual(plan.count(.evaluate), 1)
        XCTAssertEqual(plan.count(.report), 2)
    }

    /// Per-spec costs: a spec alone pays for shared stages, the folder pays once (to the first spec).
    func testSpecCostsCountSharedStagesOnce() throws {
        let f = SpecFolder()
        f.write("a.yaml", "title: one\nattack: {poison: dirty_label, count: 75}\n")
        f.write("b.yaml", "title: two\nattack: {poison: dirty_label, count: {sweep: [75, 150]}}\n")
        let plan = try f.plan()
        let costs = plan.specCosts
        XCTAssertEqual(costs.map(\.runs), [1, 2])
        let train = try XCTUnwrap(plan.stages.first { $0.kind == .train }).cost.seconds
        let (a, b) = (costs[0], costs[1])
        // b alone: dataset, 2 poisons, 2 trains, 2 evaluations, its report; the 75-image run is a's.
        XCTAssertEqual(b.stages, 8)
        XCTAssertEqual(
            b.alone.seconds - b.added.seconds, a.alone.seconds - plan.stages.first { $0.kind == .report }!.cost.seconds,
            accuracy: 1e-9)
        XCTAssertGreaterThan(b.alone.seconds, 2 * train)
        XCTAssertEqual(a.added.flops + b.added.flops, plan.total.flops, accuracy: plan.total.flops * 1e-12)
        XCTAssertEqual(a.added.seconds + b.added.seconds, plan.total.seconds, accuracy: 1e-9)
    }

    func keys(_ plan: Plan) -> [Stage.Kind: Set<String>] {
        Dictionary(grouping: plan.stages, by: \.kind).mapValues { Set($0.map(\.key)) }
    }

    func testKeysChangeExactlyDownstreamOfAChange() throws {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            """
            attack:
              poison: clean_label
              fraction: 0.06
              perturbation: {kind: pgd, epsilon: 300, steps: 10, reference: {train: {steps: 100}}}
            train: {steps: 200}
            """)
        let base = keys(try f.plan())
        // Unrelated: title, report figure, checkpoint interval.
        for unrelated in ["title=changed", "report.figure.y=natural_accuracy", "train.checkpoint_every=7"] {
            let k = keys(try f.plan(set: [unrelated]))
            for kind in [Stage.Kind.dataset, .trainReference, .perturb, .poison, .train, .evaluate] {
                XCTAssertEqual(k[kind], base[kind], "\(unrelated) changed \(kind)")
            }
        }
        // The poison fraction: same reference and perturbation, new poison, train, evaluate.
        let frac = keys(try f.plan(set: ["attack.fraction=0.25"]))
        XCTAssertEqual(frac[.trainReference], base[.trainReference])
        XCTAssertEqual(frac[.perturb], base[.perturb])
        for kind in [Stage.Kind.poison, .train, .evaluate, .report] {
            XCTAssertNotEqual(frac[kind], base[kind], "\(kind)")
        }
        // The perturbation's radius: everything from perturb on.
        let eps = keys(try f.plan(set: ["attack.perturbation.epsilon=600"]))
        XCTAssertEqual(eps[.trainReference], base[.trainReference])
        for kind in [Stage.Kind.perturb, .poison, .train, .evaluate] {
            XCTAssertNotEqual(eps[kind], base[kind], "\(kind)")
        }
        // The reference's training: everything from train_reference on, but not the dataset.
        let ref = keys(try f.plan(set: ["attack.perturbation.reference.train.steps=101"]))
        XCTAssertEqual(ref[.dataset], base[.dataset])
        for kind in [Stage.Kind.trainReference, .perturb, .poison, .train] {
            XCTAssertNotEqual(ref[kind], base[kind], "\(kind)")
        }
        // Victim training: train and evaluate only.
        let tr = keys(try f.plan(set: ["train.steps=201"]))
        for kind in [Stage.Kind.trainReference, .perturb, .poison] { XCTAssertEqual(tr[kind], base[kind], "\(kind)") }
        for kind in [Stage.Kind.train, .evaluate] { XCTAssertNotEqual(tr[kind], base[kind], "\(kind)") }
        // Writing a default explicitly changes nothing.
        let same = keys(try f.plan(set: ["train.optimizer.momentum=0.9", "seed=0"]))
        XCTAssertEqual(same, base)
    }

    func testExtendsProfilesSetAndEnvironment() throws {
        let f = SpecFolder()
        f.write("_base.yaml", "train: {steps: 100, batch_size: 50}\nmodel: {widths: [8, 16, 32]}\n")
        f.write(
            "s.yaml", "extends: _base.yaml\ntrain: {steps: 300}\ndataset: {name: cifar10, path: \"${env:DATA}/c10\"}\n")
        f.write("profiles/cpu.yaml", "train: {batch_size: 10}\n")
        let run = try f.load("s.yaml", profile: "cpu", set: ["model.units_per_group=2"], env: ["DATA": "/d"])[0].runs[0]
        XCTAssertEqual(run.value[path: "train.steps"], .int(300))  // child over base
        XCTAssertEqual(run.value[path: "train.batch_size"], .int(10))  // profile over both
        XCTAssertEqual(run.value[path: "model.widths"], .list([.int(8), .int(16), .int(32)]))
        XCTAssertEqual(run.value[path: "model.units_per_group"], .int(2))
        XCTAssertEqual(run.value[path: "dataset.path"], .string("/d/c10"))
        XCTAssertEqual(run.value[path: "train.optimizer.momentum"], .number(0.9))  // default filled
    }

    func testSetNarrowsASweep() throws {
        let f = SpecFolder()
        f.write("pgd.yaml", cleanLabel)
        let plan = try f.plan("pgd.yaml", set: ["attack.target=3"])
        XCTAssertEqual(plan.runs.count, 5)
        XCTAssertEqual(plan.count(.perturb), 1)
    }

    func testThousandRunSweepValidates() throws {
        let f = SpecFolder()
        f.write(
            "big.yaml",
            """
            attack:
              poison: dirty_label
              target: {sweep: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}
              count: {sweep: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]}
            seed: {sweep: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}
            """)
        let specs = try f.load()
        XCTAssertEqual(specs[0].runs.count, 1000)
        XCTAssertEqual(specs[0].runs[999].label, "attack.target=9 attack.count=100 seed=9")
    }

    /// Detection without its own `train` block trains the filter for the schema's 5 000 steps (planning
    /// such a spec trapped on the missing block).
    func testDetectionTrainsTheFilterByDefault() throws {
        let f = SpecFolder()
        f.write("d.yaml", "attack: {poison: dirty_label, count: 75}\ndetection: {enabled: true, clean_images: 100}\n")
        let detect = try XCTUnwrap(try f.plan().stages.first { $0.kind == .detect })
        XCTAssertEqual(detect.parameters[path: "train.steps"]?.int, 5000)
    }

    /// A swept perturbation is named by its kind where kinds differ, then by the leaves that differ among
    /// the values of its kind — not by its whole JSON with every default filled in.
    func testSweptObjectsAreLabelledByWhatSetsThemApart() throws {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            """
            attack:
              poison: clean_label
              target: {sweep: [0, 2]}
              fraction: 0.06
              perturbation: {sweep: [none, {kind: pgd, epsilon: 300}, {kind: pgd, epsilon: 600}, {kind: gaussian_noise, sigma: 8}]}
            """)
        let labels = try f.load()[0].runs.map(\.label)
        XCTAssertEqual(
            labels,
            [
                "attack.target=0 attack.perturbation.kind=none",
                "attack.target=0 attack.perturbation.kind=pgd attack.perturbation.epsilon=300",
                "attack.target=0 attack.perturbation.kind=pgd attack.perturbation.epsilon=600",
                "attack.target=0 attack.perturbation.kind=gaussian_noise",
                "attack.target=2 attack.perturbation.kind=none",
                "attack.target=2 attack.perturbation.kind=pgd attack.perturbation.epsilon=300",
                "attack.target=2 attack.perturbation.kind=pgd attack.perturbation.epsilon=600",
                "attack.target=2 attack.perturbation.kind=gaussian_noise",
            ])
        // Fractions written as 1/3 read as 0.3333 in labels.
        f.write("t.yaml", "attack: {poison: dirty_label, count: 75, trigger: {amplitude: {sweep: [255, 2/3, 1]}}}\n")
        XCTAssertEqual(
            try f.load("t.yaml")[0].runs.map(\.label),
            ["attack.trigger.amplitude=255", "attack.trigger.amplitude=0.6667", "attack.trigger.amplitude=1"])
    }

    /// The full-scale thesis run: ResNet-32, 100 000 steps of batch 50, on CIFAR-10.
    func testFullScaleTrainingFLOPsByHand() throws {
        let f = SpecFolder()
        f.write("full.yaml", "dataset: {name: cifar10, path: /nonexistent}\n")
        let plan = try f.plan()
        let train = try XCTUnwrap(plan.stages.first { $0.kind == .train })
        // Forward multiply-adds per image (see ModelTests): 3×3 convolutions, two 1×1 projections, dense.
        let macs =
            32 * 32 * 27 * 16 + 10 * 32 * 32 * 144 * 16 + 16 * 16 * 144 * 32 + 9 * 16 * 16 * 288 * 32
            + 8 * 8 * 288 * 64 + 9 * 8 * 8 * 576 * 64 + 16 * 16 * 16 * 32 + 8 * 8 * 32 * 64 + 64 * 10
        XCTAssertEqual(train.cost.flops, 3 * 2 * Double(macs) * 50 * 100_000)
    }

    func testGrammarFilesAreCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let ref = try String(contentsOf: root.appendingPathComponent("grammar/REFERENCE.md"), encoding: .utf8)
        XCTAssertEqual(
            ref, Grammar.markdown(preamble: Grammar.preamble(of: ref)), "run `backdoorlab grammar --write grammar`")
        let schema = try String(contentsOf: root.appendingPathComponent("grammar/spec.schema.json"), encoding: .utf8)
        XCTAssertEqual(schema, Grammar.jsonSchema(), "run `backdoorlab grammar --write grammar`")
    }

    /// The thesis folder: both profiles load, every spec states findings, and the cpu scale fits 6 hours here.
    func testThesisFolderProfiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = root.appendingPathComponent("experiments/thesis").path
        let cpu = try SpecLoader(environment: [:], profile: "cpu").load(folder)
        XCTAssertGreaterThanOrEqual(cpu.count, 17)
        XCTAssertGreaterThanOrEqual(cpu.filter { !$0.expectations.isEmpty }.count, 17)
        var planner = Planner(rates: .defaults)
        XCTAssertLessThanOrEqual(try planner.plan(cpu).total.seconds, 6 * 3600)
        let full = try SpecLoader(
            environment: [
                "CIFAR10_DIR": "/data/cifar10", "CIFAR100_DIR": "/data/cifar100", "CINIC10_DIR": "/data/cinic10",
            ], profile: "full"
        ).load(folder)
        XCTAssertEqual(full.first?.runs.first?.value[path: "dataset.name"]?.string, "cifar10")
        XCTAssertGreaterThan(full.reduce(0) { $0 + $1.runs.count }, 500)
    }

    func testExampleSpecsValidate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let specs = try SpecLoader(environment: [:]).load(root.appendingPathComponent("experiments/examples").path)
        XCTAssertGreaterThanOrEqual(specs.count, 2)
        // Every example folder validates, and its findings refer to specs and settings that exist.
        for folder in ["clean_label", "gan"] {
            let loaded = try SpecLoader(environment: [:]).load(
                root.appendingPathComponent("experiments/examples/" + folder).path)
            XCTAssertGreaterThanOrEqual(loaded.flatMap(\.expectations).count, 2, folder)
        }
        // The white-box PGD examples share one adversarially trained reference model.
        var planner = Planner(rates: .defaults)
        let clean = try planner.plan(
            try SpecLoader(environment: [:]).load(root.appendingPathComponent("experiments/examples/clean_label").path))
        let references = clean.stages.filter { $0.kind == .trainReference }
        XCTAssertEqual(references.count, 3)  // adversarial white box, standard, black-box VGG
        XCTAssertGreaterThanOrEqual(references.map { $0.users.count }.max() ?? 0, 8)
    }
}

final class StatusReportTests: XCTestCase {
    /// Work left: every stage not done at its planned time, an interrupted training only for the steps after its checkpoint.
    func testSecondsLeftCountsCheckpointedSteps() throws {
        let f = SpecFolder()
        f.write("s.yaml", "attack: {poison: dirty_label, count: 75}\ntrain: {steps: 1000}\n")
        let plan = try f.plan()
        let cache = Cache(root: DatasetFiles.temporaryDirectory("backdoorlab-status"))
        let all = plan.stages.reduce(0) { $0 + $1.cost.seconds }
        XCTAssertEqual(StatusReport(plan: plan, cache: cache).secondsLeft, all, accuracy: 1e-9)
        let train = try XCTUnwrap(plan.stages.first { $0.kind == .train })
        XCTAssertEqual(train.totalSteps, 1000)
        try cache.saveCheckpoint(train.key, step: 250) { tmp in
            try Data(#"{"step": 250}"#.utf8).write(to: URL(fileURLWithPath: tmp + "/state.json"))
        }
        let report = StatusReport(plan: plan, cache: cache)
        XCTAssertEqual(report.secondsLeft, all - 0.25 * train.cost.seconds, accuracy: 1e-9)
        XCTAssert(report.summary.contains("of planned work left"), report.summary)
    }
}

final class ImageTriggerSpecTests: XCTestCase {
    func writePNG(_ f: SpecFolder, _ name: String, width: Int, grey: [UInt8]) {
        let rgb = grey.flatMap { [$0, $0, $0] }
        FileManager.default.createFile(
            atPath: f.dir + "/" + name, contents: Data(PNG.encode(width: width, height: grey.count / width, rgb: rgb)))
    }

    /// The file is found next to the spec; its signs are part of the poison and evaluation keys.
    func testImageTriggerSignsAreInTheKeys() throws {
        let f = SpecFolder()
        f.write("s.yaml", "attack: {poison: dirty_label, count: 75, trigger: {pattern: image, file: t.png, size: 2}}\n")
        writePNG(f, "t.png", width: 2, grey: [255, 0, 0, 255])
        let first = try f.plan()
        let poison = try XCTUnwrap(first.stages.first { $0.kind == .poison })
        XCTAssertEqual(poison.parameters[path: "trigger.mask"]?.list?.compactMap(\.int), [1, 0, 0, 1])
        writePNG(f, "t.png", width: 2, grey: [255, 9, 9, 255])
        let second = try f.plan()
        XCTAssertEqual(
            second.stages.first { $0.kind == .poison }?.parameters[path: "trigger.mask"]?.list?.compactMap(\.int),
            [1, -1, -1, 1])
        for kind in [Stage.Kind.poison, .train, .evaluate] {
            XCTAssertNotEqual(
                first.stages.first { $0.kind == kind }?.key, second.stages.first { $0.kind == kind }?.key, "\(kind)")
        }
    }

    func testUnreadableTriggerFileIsASpecError() throws {
        let f = SpecFolder()
        f.write("s.yaml", "attack:\n  poison: dirty_label\n  count: 75\n  trigger: {pattern: image, file: wide.png}\n")
        writePNG(f, "wide.png", width: 3, grey: [255, 0, 255, 0, 255, 0])
        XCTAssertThrowsError(try f.load()) { e in
            XCTAssert("\(e)".contains("s.yaml:4:35"), "\(e)")
            XCTAssert("\(e)".contains("3×2 pixels; a trigger pattern must be square"), "\(e)")
        }
        f.write(
            "t.yaml", "attack: {poison: dirty_label, count: 75, trigger: {pattern: checkerboard, file: wide.png}}\n")
        XCTAssertThrowsError(try f.load("t.yaml")) {
            XCTAssert("\($0)".contains("'attack.trigger.file' is read only with pattern blend or image"), "\($0)")
        }
    }
}
