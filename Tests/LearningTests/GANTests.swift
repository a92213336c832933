import Learning
import Tensor
import TestSupport
import XCTest

final class GANTests: XCTestCase {
    /// The critic's input gradient ∇ₓD against finite differences of the scores.
    func testCriticInputGradientMatchesFiniteDifferences() {
        let critic = Critic(imageShape: [8, 8, 1], kernel: 3, widths: (4, 6))
        critic.initialize(RNG(seed: 1))
        let x = randomTensor([3, 8, 8, 1], seed: 2, scale: 0.5)
        let analytic = critic.inputGradients(x).array
        let numeric = numericalGradient(of: x, step: 1e-3) { critic(x).array.reduce(0.0) { $0 + Double($1) } }
        assertGradient(analytic, numeric, "∇ₓD")
    }

    /// The gradient penalty's parameter gradient (a double backward) against finite differences of the penalty.
    func testGradientPenaltyGradientMatchesFiniteDifferences() {
        let critic = Critic(imageShape: [8, 8, 2], kernel: 3, widths: (4, 6))
        critic.initialize(RNG(seed: 3))
        let x = randomTensor([4, 8, 8, 2], seed: 4, scale: 0.5)
        critic.parameters.forEach { $0.gradient.zero() }
        let p = critic.gradientPenalty(x, weight: 1)
        XCTAssertGreaterThan(p, 0)
        let analytic = critic.parameters.map { $0.gradient.array }
        // ∇ₓD jumps where a leaky ReLU's input crosses zero, so P does too: an element whose differences at
        // steps h and h/2 disagree straddles a kink and is left out (there must be few).
        let f = { Double(critic.gradientPenalty(x, weight: 1)) }
        for (k, param) in critic.parameters.enumerated() {
            var kept: [Int] = []
            var numeric: [Double] = []
            for i in 0..<param.value.count {
                let v = param.value[i]
                func difference(_ h: Float) -> Double {
                    param.value[i] = v + h
                    let a = f()
                    param.value[i] = v - h
                    let b = f()
                    param.value[i] = v
                    return (a - b) / (2 * Double(h))
                }
                let d1 = difference(2e-4)
                let d2 = difference(1e-4)
                if abs(d1 - d2) <= 1e-2 * (abs(d1) + abs(d2)) + 1e-3 {
                    kept.append(i)
                    numeric.append(d2)
                }
            }
            XCTAssertGreaterThanOrEqual(Double(kept.count), 0.8 * Double(param.value.count), param.name)
            let a = kept.map { analytic[k][$0] }
            if param.name.hasSuffix("bias") {
                // Biases only move the kinks: almost everywhere the penalty does not depend on them.
                XCTAssertEqual(analytic[k].map(abs).max(), 0, param.name)
                XCTAssertLessThan(numeric.map(abs).max()!, 1e-2, param.name)
            } else {
                assertGradient(a, numeric, param.name)
            }
        }
    }

    /// Generator: dz against finite differences through dense, batch norm (inference), upsampling, convolutions, sigmoid.
    func testGeneratorLatentGradientMatchesFiniteDifferences() {
        let g = Generator(latent: 5, imageShape: [8, 8, 1], kernel: 3, widths: (6, 4))
        g.initialize(RNG(seed: 5))
        for b in g.buffers where b.name.hasSuffix("running_var") { b.value.fill(0.5) }
        g.network.needsInputGradient = true
        let z = randomTensor([2, 5], seed: 6)
        let w = randomTensor([2, 8, 8, 1], seed: 7)
        _ = g(z)
        let analytic = g.backward(w)!.array
        let numeric = numericalGradient(of: z, step: 1e-3) { weightedSum(g(z), w) }
        assertGradient(analytic, numeric, "dz")
        XCTAssertEqual(g(z).shape, [2, 8, 8, 1])
        XCTAssert(g(z).array.allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// Inversion finds codes of images the generator can make: the error falls far below that of z = 0.
    func testInversionRecoversGeneratedImages() {
        let g = Generator(latent: 4, imageShape: [8, 8, 1], kernel: 3)
        g.initialize(RNG(seed: 8))
        let zTrue = randomTensor([6, 4], seed: 9)
        let images = g(zTrue).array
        let before = LatentInversion.encode(g, images: images, count: 6, steps: 0, stepSize: 0.05, method: .adam).errors
        let after = LatentInversion.encode(
            g, images: images, count: 6, steps: 300, stepSize: 0.05, method: .adam, batchSize: 4)
        let median = { (a: [Float]) in a.sorted()[a.count / 2] }
        XCTAssertLessThan(median(after.errors), median(before) / 5, "\(before) → \(after.errors)")
        XCTAssertEqual(after.codes.count, 24)
    }

    /// WGAN-GP steps are reproducible from the seed, and the critic learns to score real above fake.
    func testWGANIsDeterministicAndTheCriticSeparates() {
        var r = RNG(seed: 10)
        var images = [Float](repeating: 0, count: 40 * 64)
        for i in images.indices { images[i] = (i / 64) % 2 == 0 ? Float(i % 8) / 8 : r.uniform() * 0.1 }
        var config = WGAN.Config()
        config.latent = 4
        config.kernel = 3
        config.batchSize = 8
        config.criticSteps = 2
        config.learningRate = 1e-3
        config.seed = 11
        let a = WGAN(images: images, count: 40, imageShape: [8, 8, 1], config: config)
        let b = WGAN(images: images, count: 40, imageShape: [8, 8, 1], config: config)
        var losses: [(critic: Float, penalty: Float, generator: Float)] = []
        for _ in 0..<15 {
            losses.append(a.runStep())
            b.runStep()
        }
        for (p, q) in zip(a.generator.parameters + a.critic.parameters, b.generator.parameters + b.critic.parameters) {
            XCTAssertEqual(p.value.array, q.value.array, p.name)
        }
        // Critic loss is mean D(fake) − mean D(real): negative once the critic separates them.
        XCTAssertLessThan(losses.last!.critic, 0, "\(losses)")
        XCTAssertEqual(a.step, 15)
    }
}
