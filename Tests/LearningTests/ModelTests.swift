import Datasets
import Learning
import Tensor
import TestSupport
import XCTest

final class ModelTests: XCTestCase {
    /// Whole-network gradients (input and every parameter) against finite differences, training mode.
    /// Parameters get 3 % rather than 1 %: a step moves many units across ReLU and max-pool kinks at once.
    /// The strict checks are per op (1 %) and against PyTorch (1e-4).
    func checkModel(_ arch: Architecture, file: StaticString = #filePath, line: UInt = #line) {
        let model = arch.build()
        model.initialize(RNG(seed: 1))
        model.needsInputGradient = true
        let n = 4
        let x = randomTensor([n] + arch.inputShape, seed: 2, scale: 60)
        for i in 0..<x.count { x[i] += 128 }
        let labels: [Int32] = (0..<n).map { Int32($0 % arch.classes) }
        let loss = CrossEntropyLoss()
        // Running statistics change on every training forward; they do not affect training-mode outputs.
        func value() -> Double {
            loss.forward(model.forward(x, training: true), labels: labels)
            return (0..<n).reduce(0.0) { $0 + Double(loss.losses[$1]) } / Double(n)
        }
        model.zeroGradients()
        _ = value()
        let dx = model.backward(loss.backward())!
        assertGradient(
            dx.array, numericalGradient(of: x, step: 0.1, loss: value), "\(arch.kind) ∂/∂input", file: file, line: line)
        for p in model.parameters {
            let analytic = p.gradient.array
            assertGradient(
                analytic, numericalGradient(of: p.value, step: 2e-3, loss: value), tolerance: 3e-2,
                "\(arch.kind) ∂/∂\(p.name)", file: file, line: line)
        }
    }

    /// The count a spec is checked with before anything is built equals the built network's.
    func testParameterCountWithoutBuilding() {
        for shape in [[28, 28, 1], [32, 32, 3]] {
            for a in [
                Architecture.resnet(inputShape: shape, classes: 10, unitsPerGroup: 1),
                Architecture.resnet(inputShape: shape, classes: 100, unitsPerGroup: 5),
                Architecture(
                    kind: .resnet, inputShape: shape, classes: 10, stem: 8, widths: [8, 8, 24, 40], unitsPerGroup: 2),
                Architecture(kind: .vgg, inputShape: shape, classes: 10, widths: [16, 32], unitsPerGroup: 2),
                Architecture(kind: .small_cnn, inputShape: shape, classes: 10, widths: [8, 16, 64]),
            ] {
                XCTAssertEqual(a.parameterCount, a.build().parameterCount, "\(a.kind) \(a.widths) \(shape)")
            }
        }
        // ResNet-32 by hand: 464 154 with identity shortcuts (He et al.'s 0.46 M), plus the two 1×1 projection
        // shortcuts and their batch norms, 16·32 + 64 + 32·64 + 128 = 2 752.
        XCTAssertEqual(Architecture.resnet(inputShape: [32, 32, 3], classes: 10).parameterCount, 464_154 + 2_752)
    }

    func testResNetGradients() {
        checkModel(
            Architecture(kind: .resnet, inputShape: [6, 6, 2], classes: 3, stem: 3, widths: [3, 4], unitsPerGroup: 1))
    }

    func testVGGGradients() {
        checkModel(Architecture(kind: .vgg, inputShape: [8, 8, 1], classes: 3, widths: [3, 4], unitsPerGroup: 1))
    }

    func testSmallCNNGradientsWithPerImageStandardization() {
        checkModel(
            Architecture(
                kind: .small_cnn, inputShape: [4, 4, 1], classes: 3, widths: [3, 5],
                perImageStandardization: true))
    }

    func testResNet32ShapeDepthAndCost() {
        let arch = Architecture.resnet(inputShape: [32, 32, 3], classes: 10, unitsPerGroup: 5)
        let model = arch.build()
        XCTAssertEqual(arch.depth, 32)
        // 31 convolutions + dense: the 3×3 ones, plus two 1×1 projection shortcuts.
        let convs = model.parameters.filter { $0.value.shape.count == 4 }
        XCTAssertEqual(convs.count, 31 + 2)
        XCTAssertEqual(model.network.outputShape([7, 32, 32, 3]), [7, 10])
        // Multiply-adds of the 3×3 convolutions by hand: stem, 10 at 32², 10 at 16² (one strided), 10 at 8².
        let macs =
            32 * 32 * 27 * 16 + 10 * 32 * 32 * 144 * 16 + 16 * 16 * 144 * 32 + 9 * 16 * 16 * 288 * 32
            + 8 * 8 * 288 * 64 + 9 * 8 * 8 * 576 * 64 + 16 * 16 * 16 * 32 + 8 * 8 * 32 * 64 + 64 * 10
        XCTAssertEqual(model.flopsPerImage, 2 * macs)
    }
}
