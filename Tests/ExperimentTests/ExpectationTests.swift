import Experiment
import XCTest

final class ExpectationTests: XCTestCase {
    /// Two specs and four kinds of finding, evaluated on made-up metrics.
    func testVerdictsFromMetrics() throws {
        let f = SpecFolder()
        f.write("base.yaml", "attack: {poison: clean_label, target: {sweep: [0, 2]}, fraction: 0.06}\n")
        f.write(
            "pgd.yaml",
            """
            attack:
              poison: clean_label
              target: {sweep: [0, 2]}
              fraction: 0.06
              perturbation: {kind: gaussian_noise, sigma: {sweep: [8, 16, 32]}}
            expect:
              - finding: twice the baseline on every class
                where: [attack.perturbation.sigma=16]
                than: base.yaml
                pair_by: attack.target
                is: ">="
                times: 2
              - finding: ten points more on average
                where: [attack.perturbation.sigma=16]
                than: base.yaml
                pair_by: attack.target
                aggregate: mean
                is: ">="
                plus: 0.10
              - finding: grows with sigma on class 0
                where: [attack.target=0]
                is: increasing
                along: attack.perturbation.sigma
              - finding: at most 50 %
                is: "<="
                value: 0.5
                where: [attack.target=2, attack.perturbation.sigma=32]
            """)
        let specs = try f.load()
        var planner = Planner(rates: .defaults)
        let plan = try planner.plan(specs)
        let expectations = specs.flatMap(\.expectations)
        XCTAssertEqual(expectations.count, 4)
        // ASR: baseline 0.05 (class 0) and 0.20 (class 2); noise σ gives 0.10·σ/8 on class 0, 0.30 on class 2.
        func asr(_ r: PlannedRun, _ metric: ExpectationSpec.Metric) -> Double? {
            let target = r.value[path: "attack.target"]!.int!
            guard let sigma = r.value[path: "attack.perturbation.sigma"]?.double else {
                return target == 0 ? 0.05 : 0.20
            }
            return target == 0 ? 0.10 * sigma / 8 : 0.30
        }
        let v = expectations.map { $0.evaluate(plan.runs, metric: asr) }
        XCTAssertEqual(v[0], .fails("attack.target=0: 20.0 % vs 2 × 5.0 %; attack.target=2: 30.0 % vs 2 × 20.0 %"))
        XCTAssertEqual(
            v[1],
            .holds(
                "attack.target=0: 20.0 % vs 5.0 % + 10.0 %; attack.target=2: 30.0 % vs 20.0 % + 10.0 %; mean 25.0 % vs 22.5 %"
            ))
        XCTAssertEqual(v[2], .holds("8 → 10.0 %, 16 → 20.0 %, 32 → 40.0 %"))
        XCTAssertEqual(v[3], .holds("30.0 % vs 50.0 %"))
        // A run without a result makes the verdict "not run", never a guess.
        let partial = expectations[2].evaluate(plan.runs) { r, m in
            r.value[path: "attack.perturbation.sigma"]?.double == 32 ? nil : asr(r, m)
        }
        XCTAssertEqual(partial, .notRun("1 of 3 runs have no result yet"))
        // Paired comparisons count every run on both sides, not only the first pair's.
        let pending = expectations[0].evaluate(plan.runs) { r, m in
            r.value[path: "attack.perturbation.sigma"] == nil ? nil : asr(r, m)
        }
        XCTAssertEqual(pending, .notRun("2 of 4 runs have no result yet"))
    }

    /// A spec that an expectation compares against joins the loaded specs (so `run` and `report` include it),
    /// and a base's expectations do not pass to the specs extending it.
    func testReferencedSpecsJoinAndBasesDoNotLendExpectations() throws {
        let f = SpecFolder()
        f.write("other/base.yaml", "attack: {poison: clean_label, target: 0, fraction: 0.06}\n")
        f.write(
            "_shared.yaml",
            "attack: {poison: clean_label, target: 0, fraction: 0.06}\nexpect:\n  - {finding: x, is: '>=', value: 0}\n")
        f.write(
            "main/a.yaml",
            "extends: ../_shared.yaml\nexpect:\n  - {finding: beats base, is: '>', than: ../other/base.yaml}\n")
        let specs = try f.load("main")
        XCTAssertEqual(specs.map { ($0.file as NSString).lastPathComponent }, ["a.yaml", "base.yaml"])
        XCTAssertEqual(specs[0].expectations.map(\.finding), ["beats base"])
    }
}

final class SpecProfileTests: XCTestCase {
    /// `profiles: {NAME: overlay}` inside a spec applies after the folder's profiles/NAME.yaml; through `extends` too.
    func testInSpecProfileBlocks() throws {
        let f = SpecFolder()
        f.write("profiles/cpu.yaml", "train: {steps: 7}\n")
        f.write(
            "_base.yaml",
            "attack: {poison: clean_label, fraction: 0.06}\nprofiles:\n  full: {dataset: {name: cifar10, path: /data/cifar}}\n"
        )
        f.write(
            "a.yaml",
            """
            extends: _base.yaml
            attack: {target: 1}
            profiles:
              cpu: {attack: {target: {sweep: [0, 2]}}}
              full: {train: {steps: 9}}
            """)
        let plain = try f.load("a.yaml")
        XCTAssertEqual(plain[0].runs.map { $0.value[path: "attack.target"]!.int! }, [1])
        let cpu = try SpecLoader(profile: "cpu", displayRoot: f.dir).load(f.dir + "/a.yaml")
        XCTAssertEqual(cpu[0].runs.map { $0.value[path: "attack.target"]!.int! }, [0, 2])
        XCTAssertEqual(cpu[0].runs[0].value[path: "train.steps"]?.int, 7)
        let full = try SpecLoader(profile: "full", displayRoot: f.dir).load(f.dir + "/a.yaml")
        XCTAssertEqual(full[0].runs[0].value[path: "dataset.name"]?.string, "cifar10")
        XCTAssertEqual(full[0].runs[0].value[path: "train.steps"]?.int, 9)
        let loader = SpecLoader(profile: "gpu", displayRoot: f.dir)
        XCTAssertThrowsError(try loader.load(f.dir + "/a.yaml")) { e in
            XCTAssertEqual(
                (e as? Diagnostics)?.render(sources: loader.sources),
                "--profile gpu: error: no profile 'gpu': profiles/gpu.yaml does not exist and a.yaml has no 'profiles: {gpu: …}' block (profiles: cpu, full); did you mean 'cpu'?\n1 error\n"
            )
        }
        // On a folder none of whose specs knows the profile: one error, not one per spec.
        f.write("b.yaml", "attack: {target: 2}\nprofiles: {cpu: {attack: {target: 3}}}\n")
        XCTAssertThrowsError(try loader.load(f.dir)) { e in
            XCTAssertEqual(
                (e as? Diagnostics)?.description,
                "--profile gpu: error: no profile 'gpu': profiles/gpu.yaml does not exist and no spec in \(f.dir) has a 'profiles: {gpu: …}' block (profiles: cpu, full); did you mean 'cpu'?"
            )
        }
    }
}
