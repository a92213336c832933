import Testing

@testable import Experiment

/// Small pure functions of the spec layer, in Swift Testing.
@Suite struct ValueTests {
    @Test func canonicalJSONSortsKeysAndNormalisesNumbers() {
        let v = Value.object([
            "b": .number(2.0), "a": .list([.int(1), .number(0.5), .string("x\"y")]), "c": .bool(true),
        ])
        #expect(v.canonicalJSON == #"{"a":[1,0.5,"x\"y"],"b":2,"c":true}"#)
    }

    @Test(arguments: [
        ("epsilom", "epsilon"), ("datset", "dataset"), ("clean_lable", "clean_label"), ("resnett", "resnet"),
    ])
    func suggestionsFindTheIntendedWord(typo: String, meant: String) {
        #expect(
            suggestion(for: typo, among: ["epsilon", "dataset", "clean_label", "resnet", "steps", "seed"]) == meant)
    }

    @Test func noSuggestionForUnrelatedWords() {
        #expect(suggestion(for: "banana", among: ["epsilon", "steps"]) == nil)
    }

    @Test(arguments: [("1/3", 1.0 / 3), ("2_000", 2000), ("1e-5", 1e-5)])
    func numbersAndFractions(text: String, value: Double) {
        #expect(parseNumber(text) == value)
    }

    @Test func thesisEpsilonScalesWithImageSize() {
        let e = rawEpsilon(300, norm: .l2, shape: [28, 28, 1], units: .thesis)
        #expect(abs(e / 255 - 0.59) < 0.005)
        #expect(rawEpsilon(8, norm: .linf, shape: [28, 28, 1], units: .thesis) == 8)
        #expect(rawEpsilon(300, norm: .l2, shape: [28, 28, 1], units: .raw) == 300)
    }
}
