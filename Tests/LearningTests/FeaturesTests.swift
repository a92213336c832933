import Datasets
import Tensor
import XCTest

@testable import Learning

final class FeaturesTests: XCTestCase {
    /// The penultimate features, put through the last layer, give the model's own logits; the
    /// probabilities are their softmax and agree with `predict`.
    func testFeaturesThroughTheLastLayerAreTheLogits() {
        let arch = Architecture(
            kind: .resnet, inputShape: [8, 8, 1], classes: 3, stem: 4, widths: [4, 8], unitsPerGroup: 1)
        let model = arch.build()
        model.initialize(RNG(seed: 3))
        var r = RNG(seed: 4)
        let n = 7
        let data = Dataset(
            name: "t", height: 8, width: 8, channels: 1, images: (0..<(n * 64)).map { _ in UInt8(r.below(256)) },
            labels: (0..<n).map { $0 % 3 }, classNames: ["a", "b", "c"])
        let (f, dim) = features(model, on: data, batchSize: 3)
        XCTAssertEqual(dim, 8)
        XCTAssertEqual(f.count, n * dim)
        let logits = model.network.layers.last!.forward(Tensor(shape: [n, dim], values: f), training: false)
        let p = probabilities(model, on: data, batchSize: 4)
        let predicted = predict(model, on: data).predicted
        for i in 0..<n {
            let row = (0..<3).map { Double(logits[i * 3 + $0]) }
            let m = row.max()!
            let z = row.map { exp($0 - m) }.reduce(0, +)
            for c in 0..<3 { XCTAssertEqual(Double(p[i * 3 + c]), exp(row[c] - m) / z, accuracy: 1e-5) }
            XCTAssertEqual(predicted[i], (0..<3).max { p[i * 3 + $0] < p[i * 3 + $1] })
        }
    }
}
