import Backdoor
import Learning

/// Turns work into time: exact FLOPs from layer shapes, seconds from the rates `bench` measured.
/// Network shapes are counted once per architecture (a sweep plans the same network many times).
public final class CostModel: @unchecked Sendable {
    public let rates: Rates
    private var facts: [Architecture: ShapeFacts] = [:]

    /// What a network's layer shapes say about its cost.
    struct ShapeFacts {
        /// Forward FLOPs per image, and those of its last residual unit and dense layer.
        var forward: Int, lastUnit: Int
        /// Activation values per image kept for the backward pass.
        var activations: Int
        var parameters: Int
    }

    public init(rates: Rates) { self.rates = rates }

    func shape(_ a: Architecture) -> ShapeFacts {
        if let f = facts[a] { return f }
        let model = a.build()
        var shape = [1] + a.inputShape
        var acts = 0
        var last = 0
        for l in model.network.layers {
            let out = l.outputShape(shape)
            let n = out.reduce(1, *)
            if l is ResidualUnit {
                acts += 6 * n
                last = l.flops(shape)
            } else {
                acts += 2 * n
            }
            shape = out
        }
        last += model.network.layers.last?.flops(shape) ?? 0
        let f = ShapeFacts(
            forward: model.flopsPerImage, lastUnit: last, activations: acts, parameters: model.parameterCount)
        facts[a] = f
        return f
    }

    /// FLOP/s of training-like work (forward and backward) on this network: the bench figure of the nearest ResNet.
    func rate(_ a: Architecture) -> Double {
        rates.training(for: a.inputShape, depth: depth(a)) * 1e9
    }

    /// FLOP/s of forward passes of this network.
    func inferenceRate(_ a: Architecture) -> Double { rates.inference(for: a.inputShape, depth: depth(a)) * 1e9 }

    /// The depth the bench figures are looked up by (other networks count as the small ResNet).
    private func depth(_ a: Architecture) -> Int { a.kind == .resnet ? a.depth : 8 }

    /// Cost of `steps` training steps of `batch` images; `trainableFlops` when only the later layers learn;
    /// `extraForwardBackward` PGD steps per image for adversarial training.
    func training(_ a: Architecture, steps: Int, batch: Int, extraForwardBackward: Int = 0, trainableFlops: Int? = nil)
        -> Cost
    {
        let f = shape(a)
        let backward = trainableFlops.map { 2 * $0 } ?? 2 * f.forward
        let perImage = Double(f.forward + backward + extraForwardBackward * 2 * f.forward)
        let flops = perImage * Double(steps * batch)
        // Forward and backward buffers per image: 1.7× the counted activations, as measured (max RSS of
        // ResNet-8 28×28×1 training at batch 1 000 and 3 000: 1.28 MB more per image).
        let memory = 1.7 * Double(f.activations * batch * 4) + Double(f.parameters * 4 * 4) + 64e6
        return Cost(
            flops: flops, seconds: flops / rate(a), memoryBytes: memory, diskBytes: Double(f.parameters * 4 * 3))
    }

    /// Cost of `images` forward passes of `a` (evaluation, ranking) at its inference rate.
    func inference(_ a: Architecture, images: Double) -> Cost {
        let flops = images * Double(shape(a).forward)
        return Cost(flops: flops, seconds: flops / inferenceRate(a))
    }

    /// Cost of `images` forward + input-gradient passes of `a` with its weights frozen (a PGD or Neural
    /// Cleanse step per image), counted as two forwards each, at the rate `bench` measured for such steps.
    func inputGradient(_ a: Architecture, images: Double) -> Cost {
        let flops = images * 2 * Double(shape(a).forward)
        return Cost(flops: flops, seconds: flops / (rates.inputGradient(for: a.inputShape, depth: depth(a)) * 1e9))
    }
}

/// What the spec of a run says that a stage's cost depends on beyond its own parameters.
public struct RunFacts: Sendable {
    public var dataset: DatasetSpec
    /// The victim's network.
    public var victim: Architecture
    public var poisonCount: Int
    /// Whether the victim's training augments its images (the DP set-up then cannot cache frozen features).
    public var augments: Bool

    var imageBytes: Double { Double(dataset.shape.reduce(1, *)) }
    /// Training images of one class.
    var classImages: Int { dataset.victimCount / dataset.classes }
}
