import Foundation
import XCTest

@testable import Experiment

/// The typed spine: specs decode losslessly, stage parameters round-trip through their kinds' types,
/// records read back, and every kind is registered once.
final class TypedSpineTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every repository spec and its plan (examples, thesis at both scales).
    func repositoryPlans() throws -> [(LoadedSpec, Plan)] {
        var out: [(LoadedSpec, Plan)] = []
        for (folder, profile) in [
            ("experiments/examples", nil), ("experiments/examples/clean_label", nil), ("experiments/examples/gan", nil),
            ("experiments/thesis", "cpu"), ("experiments/thesis", "full"),
            ("experiments/defences", nil), ("experiments/defences", "quick"),
        ] as [(String, String?)] {
            var loader = SpecLoader(environment: [:], profile: profile, displayRoot: root.path)
            loader.allowUnsetEnvironment = true
            let specs = try loader.load(root.appendingPathComponent(folder).path)
            var planner = Planner(rates: .defaults)
            let plan = try planner.plan(specs)
            out += specs.map { ($0, plan) }
        }
        return out
    }

    /// The typed spec holds every setting of the validated value: encoding it back gives the same value.
    func testEverySpecDecodesLosslessly() throws {
        var runs = 0
        for (spec, _) in try repositoryPlans() {
            for run in spec.runs {
                var expected = run.value.object ?? [:]
                expected["extends"] = nil  // resolved by composition, not a setting of the run
                // `corners: all` decodes to the four corners it means.
                if expected["attack"]?[path: "trigger.corners"]?.string == "all",
                    case .object(var a) = expected["attack"],
                    case .object(var t) = a["trigger"]
                {
                    t["corners"] = .list(["bottom_right", "bottom_left", "top_right", "top_left"].map(Value.string))
                    a["trigger"] = .object(t)
                    expected["attack"] = .object(a)
                }
                XCTAssertEqual(
                    try Value(encoding: run.spec).canonicalJSON, Value.object(expected).canonicalJSON,
                    "\(run.file) [\(run.label)]")
                runs += 1
            }
        }
        XCTAssertGreaterThan(runs, 100)
    }

    /// A stage's parameters decode as its kind's type and encode to the same canonical JSON (the key).
    func testStageParametersRoundTripThroughTheirKinds() throws {
        var kinds = Set<String>()
        var seen = Set<String>()
        for (_, plan) in try repositoryPlans() {
            for s in plan.stages where seen.insert(s.key).inserted {
                guard let type = StageRegistry.kind(named: s.kind.rawValue) else {
                    XCTFail("\(s.kind) is not registered")
                    continue
                }
                let decoded = try s.parameters.decode(type)
                XCTAssertEqual(try Value(encoding: decoded).canonicalJSON, s.parameters.canonicalJSON, "\(s.kind)")
                kinds.insert(s.kind.rawValue)
            }
        }
        // Every kind but export (planned only by the export command) occurs in the repository's plans.
        XCTAssertEqual(kinds, Set(StageRegistry.kinds.map { $0.name.rawValue }).subtracting(["export"]))
    }

    /// Defences that need an attack or poisons to follow say so at validation.
    func testDefenceSettingsThatCannotWorkAreSpecErrors() throws {
        let f = SpecFolder()
        f.write("a.yaml", "defence: {kind: spectral_signatures}\n")
        f.write("b.yaml", "defence: strip\n")
        f.write(
            "c.yaml",
            "attack: {poison: dirty_label, count: 9}\ndefence: activation_clustering\nloss_tracking: {enabled: true}\n")
        for (file, message) in [
            ("a.yaml", "spectral signatures remove a multiple of the poison count"),
            ("b.yaml", "STRIP scores triggered test inputs"), ("c.yaml", "a cleansing defence retrains without them"),
        ] {
            XCTAssertThrowsError(try f.load(file)) { e in XCTAssert("\(e)".contains(message), "\(file): \(e)") }
        }
    }

    func testEveryKindIsRegisteredOnceUnderItsName() {
        let names = StageRegistry.kinds.map { $0.name.rawValue }
        XCTAssertEqual(names.count, Set(names).count)
        XCTAssertEqual(
            names,
            [
                "dataset", "pretrain", "train_reference", "train_gan", "encode", "perturb", "poison", "train",
                "evaluate",
                "detect", "report", "export", "filter", "strip", "repair", "reverse",
            ])
    }

    /// ε without DP is ∞, written "inf"; entries cached before that spelling held −1 and still read as ∞.
    func testInfiniteEpsilonIsWrittenAsSuch() throws {
        let record = PrivacyRecord(epsilon: .infinity, delta: 1e-5, order: 2, samplingRate: 0.04, accountant: "rdp")
        let text = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        XCTAssert(text.contains("\"epsilon\":\"inf\""), text)
        XCTAssertEqual(try JSONDecoder().decode(PrivacyRecord.self, from: Data(text.utf8)).epsilon, .infinity)
        let old = #"{"epsilon": -1, "delta": 1e-05, "order": 2, "sampling_rate": 0.04, "accountant": "rdp"}"#
        XCTAssertEqual(try JSONDecoder().decode(PrivacyRecord.self, from: Data(old.utf8)).epsilon, .infinity)
        let finite = #"{"epsilon": 2.5, "delta": 1e-05, "order": 2, "sampling_rate": 0.04, "accountant": "rdp"}"#
        XCTAssertEqual(try JSONDecoder().decode(PrivacyRecord.self, from: Data(finite.utf8)).epsilon, 2.5)
    }

    /// The validator's defence kinds and the decoder's are one list: a kind added to one and not the other would pass
    /// validation and fail to decode, or the reverse.
    func testSchemaAndDecoderKnowTheSameDefenceKinds() {
        XCTAssertEqual(SpecSchema.defence.cases.map(\.name), DefenceSpec.Kind.allCases.map(\.rawValue))
    }

    /// A spelling the schema lets through by mistake is a decoding error, never a silent `none`.
    func testUnknownAugmentationIsADecodingError() throws {
        XCTAssertEqual(try JSONDecoder().decode(AugmentationSpec.self, from: Data(#""standard""#.utf8)), .standard)
        XCTAssertEqual(
            try JSONDecoder().decode(AugmentationSpec.self, from: Data(#""none""#.utf8)), AugmentationSpec.none)
        XCTAssertThrowsError(try JSONDecoder().decode(AugmentationSpec.self, from: Data(#""standrad""#.utf8)))
    }

    /// `Value` to JSON and back keeps every case apart (an integral number stays an integer in the key).
    func testValueCodingRoundTrips() throws {
        let v = Value.object([
            "b": .bool(true), "i": .int(3), "n": .number(0.25), "s": .string("x/y"),
            "l": .list([.int(1), .number(1e-5)]),
            "o": .object(["k": .string("")]),
        ])
        let back = try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(v))
        XCTAssertEqual(back, v)
        XCTAssertEqual(back.canonicalJSON, #"{"b":true,"i":3,"l":[1,1e-05],"n":0.25,"o":{"k":""},"s":"x/y"}"#)
    }
}
