import Foundation
import Learning
import Tensor
import TestSupport
import XCTest

/// Compares a tiny ResNet with PyTorch's values for the same weights and input
/// (written once by Fixtures/make_fixtures.py).
final class PyTorchParityTests: XCTestCase {
    struct Fixture: Decodable {
        var input_shape_nhwc: [Int]
        var input_nhwc: [Float]
        var labels: [Int32]
        var mean: [Float], std: [Float]
        var eval_logits: [Float]
        var train_loss: Float
        var train_input_gradient_nhwc: [Float]
        var train_conv1_weight_gradient_oihw: [Float]
        var train_fc_weight_gradient: [Float]
        var running_mean_bn1_after_train_step: [Float]
        var running_var_bn1_after_train_step: [Float]
    }

    func fixture() throws -> (Fixture, Model) {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let f = try JSONDecoder().decode(
            Fixture.self, from: Data(contentsOf: dir.appendingPathComponent("tiny_resnet.json")))
        let arch = Architecture(
            kind: .resnet, inputShape: [6, 6, 2], classes: 3, stem: 4, widths: [4, 8], unitsPerGroup: 1,
            mean: f.mean, std: f.std)
        let model = arch.build()
        try model.load(from: dir.appendingPathComponent("tiny_resnet.safetensors").path)
        return (f, model)
    }

    func testInferenceLogitsMatchPyTorch() throws {
        let (f, model) = try fixture()
        let x = Tensor(shape: f.input_shape_nhwc, values: f.input_nhwc)
        assertClose(model(x).array, f.eval_logits, tolerance: 1e-4, "eval logits")
    }

    func testTrainingLossAndGradientsMatchPyTorch() throws {
        let (f, model) = try fixture()
        model.needsInputGradient = true
        let x = Tensor(shape: f.input_shape_nhwc, values: f.input_nhwc)
        let loss = CrossEntropyLoss()
        model.zeroGradients()
        let l = loss.forward(model.forward(x, training: true), labels: f.labels)
        let dx = try XCTUnwrap(model.backward(loss.backward()))
        XCTAssertEqual(l, f.train_loss, accuracy: 1e-5)
        assertClose(dx.array, f.train_input_gradient_nhwc, tolerance: 1e-4, "∂loss/∂input")
        let params = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0) })
        let conv1 = try XCTUnwrap(params["conv1.weight"])
        assertClose(
            permuted(conv1.gradient, conv1.exportPermutation).array, f.train_conv1_weight_gradient_oihw,
            tolerance: 1e-4, "∂loss/∂conv1.weight")
        let fc = try XCTUnwrap(params["fc.weight"])
        assertClose(
            permuted(fc.gradient, fc.exportPermutation).array, f.train_fc_weight_gradient, tolerance: 1e-4,
            "∂loss/∂fc.weight")
        let state = model.stateDict()
        assertClose(
            state["bn1.running_mean"]!.array, f.running_mean_bn1_after_train_step, tolerance: 1e-5, "running mean")
        assertClose(state["bn1.running_var"]!.array, f.running_var_bn1_after_train_step, tolerance: 1e-5, "running var")
    }

    func testStateDictNamesAreThoseOfPyTorch() throws {
        let (_, model) = try fixture()
        let names = Set(model.stateDict().keys)
        XCTAssert(names.contains("layer2.0.shortcut.0.weight"))
        XCTAssert(names.contains("layer2.0.shortcut.1.running_var"))
        XCTAssert(names.contains("layer1.0.bn2.bias"))
        XCTAssertEqual(model.stateDict()["conv1.weight"]!.shape, [4, 2, 3, 3])
        XCTAssertEqual(model.stateDict()["fc.weight"]!.shape, [3, 8])
    }

    struct OptimizerFixture: Decodable {
        var sgd: [Float]
        var adam: [Float]
        var w0: [Float]
        var grads: [[Float]]
    }

    func testOptimizersMatchPyTorch() throws {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let f = try JSONDecoder().decode(
            OptimizerFixture.self, from: Data(contentsOf: dir.appendingPathComponent("optimizers.json")))
        for (name, optimizer, lr, expected) in [
            ("sgd", SGD(momentum: 0.9, weightDecay: 0.01) as Optimizer, Float(0.1), f.sgd),
            ("adam", Adam(weightDecay: 0.01), Float(0.01), f.adam),
        ] {
            let p = Parameter("w", shape: [3], decays: true, initializer: .constant(0))
            p.value.copy(from: Tensor(shape: [3], values: f.w0))
            for g in f.grads {
                p.gradient.copy(from: Tensor(shape: [3], values: g))
                optimizer.step([p], learningRate: lr)
            }
            assertClose(p.value.array, expected, tolerance: 1e-6, name)
        }
    }
}
