import Experiment
import XCTest

/// `seeds`: repetitions that share the upstream stages, reuse the unseeded spec's cache for the first seed,
/// and verdicts that know the spread.
final class SeedTests: XCTestCase {
    func plan(_ f: SpecFolder, _ file: String = "s.yaml") throws -> (Plan, [Expectation]) {
        let specs = try f.load(file)
        var planner = Planner(rates: .defaults)
        return (try planner.plan(specs), specs.flatMap(\.expectations))
    }

    static let pgd = """
        attack:
          poison: clean_label
          fraction: 0.1
          perturbation: {kind: pgd, epsilon: 300, steps: 2, reference: {train: {steps: 5, batch_size: 10}}}
        """

    /// Seed 0 of `seeds: 3` is the unseeded spec's stages, key for key; the reference model, its perturbations
    /// and the dataset are one stage for the three seeds; poisons, training and evaluation are per seed.
    func testFirstSeedReusesTheUnseededCacheAndUpstreamIsShared() throws {
        let f = SpecFolder()
        f.write("one.yaml", Self.pgd + "\n")
        f.write("s.yaml", Self.pgd + "\nseeds: 3\n")
        let (one, _) = try plan(f, "one.yaml")
        let (three, _) = try plan(f, "s.yaml")
        XCTAssertEqual(three.runs.count, 3)
        XCTAssertEqual(three.runs.map(\.label), ["seed=0", "seed=1", "seed=2"])
        let oneKeys = Set(one.stages.filter { $0.kind != .report }.map(\.key))
        let seed0 = Set(
            three.stages.filter { $0.users.contains { $0.hasSuffix("[seed=0]") } && $0.kind != .report }.map(\.key))
        XCTAssertEqual(seed0, oneKeys)
        func count(_ k: Stage.Kind) -> Int { three.stages.filter { $0.kind == k }.count }
        XCTAssertEqual(count(.dataset), 1)
        XCTAssertEqual(count(.trainReference), 1)
        XCTAssertEqual(count(.perturb), 1)
        XCTAssertEqual(count(.poison), 3)
        XCTAssertEqual(count(.train), 3)
        XCTAssertEqual(count(.evaluate), 3)
        // `reseed_upstream` draws the reference model per seed too.
        f.write("r.yaml", Self.pgd + "\nseeds: [4, 7]\nreseed_upstream: true\n")
        let (reseeded, _) = try plan(f, "r.yaml")
        XCTAssertEqual(reseeded.stages.filter { $0.kind == .trainReference }.count, 2)
        XCTAssertEqual(reseeded.runs.map { $0.value[path: "seed"]?.int }, [4, 7])
    }

    /// The reference model trains with a seed no victim uses: with the victim's own seed (same architecture and
    /// batch size) it would start from the seed-0 victim's initial weights, and its perturbations would transfer
    /// to that victim alone.
    func testTheReferenceTrainsWithASeedNoVictimUses() {
        let victims = 0..<10_000
        let references = victims.map(ReferenceStage.trainingSeed)
        XCTAssertEqual(Set(references).count, victims.count, "two spec seeds share a reference seed")
        XCTAssert(references.allSatisfy { !victims.contains($0) && $0 >= 0 })
    }

    func testSeedsThatCannotWorkAreSpecErrors() {
        let f = SpecFolder()
        f.write("s.yaml", "attack: {poison: dirty_label, count: 10}\nseeds: [1, 2, 1]\n")
        XCTAssertThrowsError(try f.load("s.yaml")) {
            XCTAssert("\($0)".contains("'seeds' lists a seed twice"), "\($0)")
        }
        f.write("t.yaml", "attack: {poison: dirty_label, count: 10}\nseed: {sweep: [0, 1]}\nseeds: 2\n")
        XCTAssertThrowsError(try f.load("t.yaml")) {
            XCTAssert("\($0)".contains("sweep 'seed' or give 'seeds', not both"), "\($0)")
        }
        f.write("u.yaml", "attack: {poison: dirty_label, count: 10}\nseeds: 0\n")
        XCTAssertThrowsError(try f.load("u.yaml"))
    }

    /// Verdicts on made-up ASRs per seed: paired comparisons on overlapping data are inconclusive, on
    /// separated data they hold; a constant threshold inside the interval is inconclusive.
    func testPairedVerdictsKnowTheSpread() throws {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            """
            attack: {poison: dirty_label, count: {sweep: [10, 20, 40]}}
            seeds: 4
            expect:
              - finding: 20 poisons beat 10 (overlapping seeds)
                where: [attack.count=20]
                than_where: [attack.count=10]
                is: ">"
              - finding: 40 poisons beat 10 (separated)
                where: [attack.count=40]
                than_where: [attack.count=10]
                is: ">"
              - finding: 10 poisons stay under 5 % (they do not)
                where: [attack.count=10]
                is: "<"
                value: 0.05
              - finding: 10 poisons stay under 16 % (the interval straddles it)
                where: [attack.count=10]
                is: "<"
                value: 0.16
              - finding: grows with the count
                is: increasing
                along: attack.count
            """)
        let (plan, e) = try plan(f)
        XCTAssertEqual(plan.runs.count, 12)
        // Per seed 0…3: count 10 → 19.4, 14.0, 14.1, 24.7 % (the trigger-only spread of the thesis cpu runs);
        // count 20 → 10 plus 1, −4, 3, 2 points (overlapping); count 40 → 10 plus 60, 62, 58, 61 points.
        let base = [0.194, 0.140, 0.141, 0.247]
        let extra: [Int: [Double]] = [10: [0, 0, 0, 0], 20: [0.01, -0.04, 0.03, 0.02], 40: [0.60, 0.62, 0.58, 0.61]]
        let v = e.map { x in
            x.evaluate(plan.runs) { r, _ in
                let s = r.value[path: "seed"]?.int ?? 0
                return base[s] + (extra[r.value[path: "attack.count"]?.int ?? 0]?[s] ?? 0)
            }
        }
        XCTAssertEqual(v.map(\.label), ["inconclusive", "holds", "fails", "inconclusive", "inconclusive"], "\(v)")
        // `report` exits 1 on a negative verdict: a failure is one, data that cannot decide is not.
        XCTAssertEqual(v.map(\.isNegative), [false, false, true, false, false])
        XCTAssert(Expectation.Verdict.unreliable("flagged").isNegative)
        // Seed 0 alone (19.4, 20.4 and 79.4 %) reads as a one-seed report did: three of the five verdicts differ.
        let first = e.map { x in
            x.evaluateSeedZero(plan.runs) { r, _ in
                let s = r.value[path: "seed"]?.int ?? 0
                return base[s] + (extra[r.value[path: "attack.count"]?.int ?? 0]?[s] ?? 0)
            }
        }
        XCTAssertEqual(first.map(\.label), ["holds", "holds", "fails", "fails", "holds"], "\(first)")
        XCTAssertEqual(first[3], .fails("19.4 % vs 16.0 %"))
        // The paired differences 1, −4, 3, 2 points: mean 0.5, SD 3.11, t(0.975, 3) = 3.182 → ± 4.95 points.
        XCTAssert(v[0].detail.contains("difference +0.5 % [−4.4 %, +5.4 %] (95 %, paired by seed)"), v[0].detail)
        XCTAssert(v[0].detail.contains("seeds would decide it"), v[0].detail)
        XCTAssert(v[1].detail.contains("over 4 seeds"), v[1].detail)
        // 18.05 % ± 8.1 (SD 5.1): 16 % is inside the interval.
        XCTAssert(v[3].detail.contains("18.1 % [9.9 %, 26.2 %] over 4 seeds vs 16.0 %"), v[3].detail)
        XCTAssert(v[3].detail.contains("(95 %, against a constant)"), v[3].detail)
    }

    /// base.yaml: clean-label poisons of classes 0 and 2 (`baseSeeds` after it); s.yaml: the same with Gaussian
    /// noise and three seeds, expected ten points more on average than base.yaml (and `also`).
    func noiseAgainstBase(baseSeeds: String, also: String = "") -> SpecFolder {
        let f = SpecFolder()
        let attack = "attack: {poison: clean_label, target: {sweep: [0, 2]}, fraction: 0.06"
        f.write("base.yaml", attack + "}\n" + baseSeeds)
        f.write(
            "s.yaml",
            attack + ", perturbation: {kind: gaussian_noise, sigma: 16}}\nseeds: 3\n"
                + """
                expect:
                  - finding: ten points more on average
                    than: base.yaml
                    pair_by: attack.target
                    aggregate: mean
                    is: ">="
                    plus: 0.10

                """ + also)
        return f
    }

    /// Paired by class against another spec over seeds: per class, and the classes' mean with both sides shown.
    func testPairedByClassAndTheirMeanOverSeeds() throws {
        let f = noiseAgainstBase(baseSeeds: "seeds: 3\n")
        let (plan, e) = try plan(f)
        XCTAssertEqual(plan.runs.count, 12)
        // Seeds 0, 1, 2. Base: class 0 → 10, 12, 14 %; class 2 → 20, 22, 24 %. Noise: base + 15, 16, 14 points.
        let v = e[0].evaluate(plan.runs) { r, _ in
            let s = Double(r.value[path: "seed"]?.int ?? 0)
            let base = (r.value[path: "attack.target"]?.int == 0 ? 0.10 : 0.20) + 0.02 * s
            return r.value[path: "attack.perturbation.sigma"] == nil ? base : base + [0.15, 0.16, 0.14][Int(s)]
        }
        // Means per seed: base 15, 17, 19 % (SD 2, t(0.975, 2) = 4.303 → ± 5.0), noise 30, 33, 33 % (± 4.3);
        // differences to base + 10 points 5, 6, 4 → 5 ± 2.5.
        XCTAssertEqual(v.label, "holds", v.detail)
        XCTAssert(
            v.detail.contains(
                "mean over the pairs: 32.0 % [27.7 %, 36.3 %] over 3 seeds vs 17.0 % [12.0 %, 22.0 %] over 3 seeds + 10.0 %"
            ), v.detail)
        XCTAssert(v.detail.contains("difference +5.0 % [+2.5 %, +7.5 %] (95 %, paired by seed)"), v.detail)
        XCTAssertFalse(v.detail.contains("?"), v.detail)
    }

    /// Three seeds against an unseeded spec (fig 3-7 against pixel interpolation): the one-seed side is a constant
    /// whose spread is unknown, not a partner to pair on seed 0 alone — that gave a one-point "95 %" interval
    /// beside means over three seeds.
    func testSeededSideAgainstAOneSeedSide() throws {
        let f = noiseAgainstBase(
            baseSeeds: "",
            also: """
                  - finding: ten points more on every class
                    than: base.yaml
                    pair_by: attack.target
                    is: ">="
                    plus: 0.10
                """)
        let (plan, e) = try plan(f)
        XCTAssertEqual(plan.runs.count, 8)
        // Base (seed 0 only): class 0 → 10 %, class 2 → 20 %. Noise, seeds 0, 1, 2: base + 2 s points + 15, 16, 14.
        let value: (PlannedRun, ExpectationSpec.Metric) -> Double? = { r, _ in
            let s = r.value[path: "seed"]?.int ?? 0
            let base = r.value[path: "attack.target"]?.int == 0 ? 0.10 : 0.20
            return r.value[path: "attack.perturbation.sigma"] == nil
                ? base : base + 0.02 * Double(s) + [0.15, 0.16, 0.14][s]
        }
        let mean = e[0].evaluate(plan.runs, metric: value)
        // Noise means per seed 30, 33, 33 % against 15 % + 10 points: differences 5, 8, 8 → 7 ± 4.3 (SD 1.73,
        // t(0.975, 2) = 4.303). Paired on seed 0 alone it read +5.0 [+5.0, +5.0].
        XCTAssertEqual(mean.label, "holds", mean.detail)
        XCTAssert(mean.detail.contains("32.0 % [27.7 %, 36.3 %] over 3 seeds vs 15.0 % + 10.0 %"), mean.detail)
        XCTAssert(
            mean.detail.contains(
                "difference +7.0 % [+2.7 %, +11.3 %] (95 %, against the one-seed side as a constant, whose own spread is unknown)"
            ), mean.detail)
        // Per class the same design: class 0 → 25, 28, 28 % against 20 %: +7.0 [+2.7, +11.3].
        let each = e[1].evaluate(plan.runs, metric: value)
        XCTAssertEqual(each.label, "holds", each.detail)
        XCTAssert(
            each.detail.contains("attack.target=0: 27.0 % [22.7 %, 31.3 %] over 3 seeds vs 10.0 % + 10.0 %"),
            each.detail)
        XCTAssertFalse(each.detail.contains("paired by seed"), each.detail)
    }

    /// One seed: the verdict is the plain comparison's, as before seeds existed.
    func testOneSeedVerdictIsThePlainComparison() throws {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            "attack: {poison: dirty_label, count: 10}\nexpect:\n  - {finding: under 16 %, is: \"<\", value: 0.16}\n")
        let (plan, e) = try plan(f)
        XCTAssertEqual(e[0].evaluate(plan.runs) { _, _ in 0.173 }, .fails("17.3 % vs 16.0 %"))
    }

    /// An interval over seeds can reach below 0 (fig 3-7's target 7: 2.2, 1.0 and 1.1 %); its lower end is printed
    /// with the same minus sign as the differences beside it.
    func testNegativeIntervalEndsUseTheMinusSign() throws {
        let f = SpecFolder()
        f.write(
            "s.yaml",
            "attack: {poison: dirty_label, count: 10}\nseeds: 3\nexpect:\n  - {finding: under 5 %, is: \"<\", value: 0.05}\n"
        )
        let (plan, e) = try plan(f)
        let asr = [0.022, 0.010, 0.011]
        let v = e[0].evaluate(plan.runs) { r, _ in asr[r.value[path: "seed"]?.int ?? 0] }
        // Mean 1.43 %, SD 0.666, t(0.975, 2) = 4.303: ± 1.65 points.
        XCTAssertEqual(v.label, "holds")
        XCTAssert(
            v.detail.hasPrefix("1.4 % [−0.2 %, 3.1 %] over 3 seeds vs 5.0 %: difference −3.6 % [−5.2 %, −1.9 %]"),
            v.detail)
    }
}
