import Backdoor
import Datasets
import Foundation
import Learning
import Tensor

/// The GAN interpolation attack's stages: train_gan, encode, and the interpolated images of perturb.
extension StageRunner {
    /// The training images of the chosen classes in [0, 1], [N, H, W, C] flattened.
    func unitImages(_ d: Dataset, _ indices: [Int]) -> [Float] {
        var out = [Float](); out.reserveCapacity(indices.count * d.imageSize)
        for i in indices { for v in d.image(i) { out.append(Float(v) / 255) } }
        return out
    }

    func ganConfig(_ gan: Value, seed: Int) -> WGAN.Config {
        var c = WGAN.Config()
        c.latent = gan["latent"]!.int!; c.kernel = gan["kernel"]!.int!; c.steps = gan["steps"]!.int!
        c.criticSteps = gan["critic_steps"]!.int!; c.batchSize = gan["batch_size"]!.int!
        c.penalty = Float(gan["penalty"]!.double!); c.learningRate = Float(gan["learning_rate"]!.double!)
        c.seed = UInt64(seed)
        return c
    }

    /// The trained generator of a train_gan stage.
    func generator(_ ganKey: String, shape: [Int]) throws -> Generator {
        let gan = plan.stage(ganKey)!.parameters["gan"]!
        let g = Generator(latent: gan["latent"]!.int!, imageShape: shape, kernel: gan["kernel"]!.int!)
        try g.load(from: try dir(ganKey) + "/generator.safetensors")
        return g
    }

    /// UInt8 images of G(z) for codes [N, latent], in batches, generator in inference mode.
    func generate(_ g: Generator, codes: [Float], count: Int) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(count * g.imageShape.reduce(1, *))
        var start = 0
        while start < count {
            let b = min(256, count - start)
            let z = Tensor(shape: [b, g.latent], values: Array(codes[(start * g.latent)..<((start + b) * g.latent)]))
            let y = g(z)
            for i in 0..<y.count { out.append(UInt8(max(0, min(255, (y[i] * 255).rounded())))) }
            start += b
        }
        return out
    }

    /// A PNG of `rows` of images, each row `columns` images of `shape`.
    func gridPNG(_ rows: [[UInt8]], columns: Int, shape: [Int]) -> [UInt8] {
        let all = rows.flatMap { $0 }
        let n = all.count / shape.reduce(1, *)
        let grid = Dataset(name: "grid", height: shape[0], width: shape[1], channels: shape[2], images: all,
                           labels: Array(repeating: 0, count: n), classNames: ["x"])
        return PNG.grid(grid, indices: Array(0..<n), columns: columns) { _ in [255, 255, 255] }
    }

    // MARK: train_gan

    func runTrainGAN(_ s: Stage, into out: String) throws {
        let p = s.parameters
        let data = try preparedData(s.inputs[0])
        let classes = Set(p["classes"]!.list!.compactMap(\.int))
        let indices = data.train.labels.indices.filter { classes.contains(data.train.labels[$0]) }
        guard !indices.isEmpty else { throw StageFailure("no training images of classes \(classes.sorted()) to train the GAN on") }
        let config = ganConfig(p["gan"]!, seed: p["seed"]!.int!)
        let wgan = WGAN(images: unitImages(data.train, indices), count: indices.count, imageShape: data.train.shape, config: config)
        var curve: [[Double]] = []
        if let c = resumableCheckpoint(s) {
            try resuming(s, from: c) { dir in
                let state = try Artifacts.readJSON(dir + "/state.json")
                try wgan.generator.load(from: dir + "/generator.safetensors")
                try wgan.critic.load(from: dir + "/critic.safetensors")
                try wgan.generatorOptimizer.loadState(try SafeTensors.read(dir + "/generator_optimizer.safetensors").tensors)
                try wgan.criticOptimizer.loadState(try SafeTensors.read(dir + "/critic_optimizer.safetensors").tensors)
                curve = (state["loss_curve"] as? [[Double]] ?? []).map { $0.map { Double(Float($0)) } }
                wgan.resume(at: c.step)
                resumeTiming(state)
            }
            print("  resuming \(s.kind.rawValue) \(s.shortKey) at step \(c.step) of \(config.steps)")
            progress.resumed(at: c.step)
        }
        let every = s.runtime["checkpoint_every"]?.int ?? 100
        let title = "train_gan \(s.shortKey)"
        while wgan.step < config.steps {
            let l = wgan.runStep()
            try Divergence.check(loss: l.critic + l.generator, step: wgan.step)
            if wgan.step % max(1, config.steps / 100) == 0 || wgan.step == config.steps {
                curve.append([Double(wgan.step), Double(l.critic), Double(l.penalty), Double(l.generator)])
                progress.update(title, done: wgan.step, total: config.steps, note: String(format: "critic %.3f, penalty %.3f", l.critic, l.penalty))
            }
            if Interrupt.killAtStep == wgan.step { kill(getpid(), SIGKILL) }
            if wgan.step % every == 0 && wgan.step < config.steps || Interrupt.isRequested {
                try Divergence.check([wgan.generator, wgan.critic], step: wgan.step)
                try cache.saveCheckpoint(s.key, step: wgan.step) { tmp in
                    try wgan.generator.save(to: tmp + "/generator.safetensors")
                    try wgan.critic.save(to: tmp + "/critic.safetensors")
                    try SafeTensors.write(wgan.generatorOptimizer.state, to: tmp + "/generator_optimizer.safetensors")
                    try SafeTensors.write(wgan.criticOptimizer.state, to: tmp + "/critic_optimizer.safetensors")
                    try Artifacts.writeJSON(["step": wgan.step, "loss_curve": curve, "seconds": elapsedSeconds], tmp + "/state.json")
                }
                if Interrupt.isRequested { throw Interrupted() }
            }
        }
        try Divergence.check([wgan.generator, wgan.critic], step: config.steps)
        try wgan.generator.save(to: out + "/generator.safetensors", metadata: ["stage": s.key])
        try wgan.critic.save(to: out + "/critic.safetensors", metadata: ["stage": s.key])
        // 64 samples from fixed latents, to look at.
        var r = RNG(seed: UInt64(p["seed"]!.int!)).split("gan-samples")
        let z = (0..<(64 * config.latent)).map { _ in r.normal() }
        try Artifacts.writeBytes(gridPNG([generate(wgan.generator, codes: z, count: 64)], columns: 8, shape: data.train.shape), out + "/samples.png")
        try Artifacts.writeJSON(["steps": config.steps, "images": indices.count, "classes": classes.sorted(),
                                 "loss_curve_columns": ["step", "critic_loss", "penalty", "generator_loss"], "loss_curve": curve],
                                out + "/training.json")
    }

    // MARK: encode

    func runEncode(_ s: Stage, into out: String) throws {
        let p = s.parameters, enc = p["encode"]!
        let data = try preparedData(s.inputs[0])
        let g = try generator(s.inputs[1], shape: data.train.shape)
        let target = p["target"]!.int!, count = p["count"]!.int!, seed = UInt64(p["seed"]!.int!)
        let candidates = data.train.indices(of: target)
        guard count <= candidates.count else { throw StageFailure("asked to encode \(count) images of class \(target), which has \(candidates.count)") }
        // The images that become poisons (the poison stage's order) and, for each, a random image of another class.
        let targets = Array(Poisoning.order(candidates, seed: seed, salt: "clean").prefix(count))
        let classes = Set(p["classes"]!.list!.compactMap(\.int)).subtracting([target])
        let others = data.train.labels.indices.filter { classes.contains(data.train.labels[$0]) }
        guard !others.isEmpty else { throw StageFailure("no images of another class to interpolate towards") }
        var r = RNG(seed: seed).split("gan-source")
        let sources = targets.map { _ in others[r.below(others.count)] }
        let title = "encode \(s.shortKey)"
        let method = LatentInversion.Method(rawValue: enc["optimizer"]!.string!)!
        let (codes, errors) = LatentInversion.encode(g, images: unitImages(data.train, targets + sources), count: 2 * count,
                                                     steps: enc["steps"]!.int!, stepSize: Float(enc["step_size"]!.double!), method: method) { done, total in
            self.progress.update(title, done: done, total: total)
        }
        try NPY.write(NPYArray(shape: [2 * count, g.latent], values: .float32(codes)), to: out + "/codes.npy")
        try NPY.write(NPYArray(shape: [2 * count], values: .float32(errors)), to: out + "/errors.npy")
        try Artifacts.writeIndices(targets, out + "/targets.npy")
        try Artifacts.writeIndices(sources, out + "/sources.npy")
        let sorted = errors.sorted()
        try Artifacts.writeJSON(["images": 2 * count, "median_error": Double(sorted[sorted.count / 2]),
                                 "mean_error": Double(errors.reduce(0, +) / Float(errors.count)),
                                 "error": "‖x − G(z)‖₂ on the [0, 1] scale"], out + "/encoding.json")
        // Originals above their reconstructions, for the first ten poisons.
        let n = min(10, count), size = data.train.imageSize
        let recon = generate(g, codes: Array(codes.prefix(n * g.latent)), count: n)
        try Artifacts.writeBytes(gridPNG([targets.prefix(n).flatMap { Array(data.train.image($0)) }, Array(recon.prefix(n * size))],
                                         columns: n, shape: data.train.shape), out + "/reconstructions.png")
    }

    // MARK: perturb (gan_interpolation)

    /// G((1 − τ)z₁ + τz₂) for every encoded poison; writes the interpolation figures beside.
    func ganInterpolation(_ s: Stage, data: PreparedData, into out: String) throws -> (indices: [Int], images: [UInt8]) {
        let g = try generator(s.inputs[1], shape: data.train.shape)
        let encDir = try dir(s.inputs[2])
        guard case let .float32(codes) = try NPY.read(encDir + "/codes.npy").values else { throw StageFailure("codes.npy: expected float32") }
        let targets = try Artifacts.readIndices(encDir + "/targets.npy"), sources = try Artifacts.readIndices(encDir + "/sources.npy")
        let k = g.latent, n = targets.count
        func mix(_ tau: Float, _ i: Int) -> [Float] {
            (0..<k).map { j in (1 - tau) * codes[i * k + j] + tau * codes[(n + i) * k + j] }
        }
        let tau = Float(s.parameters["tau"]!.double!)
        let images = generate(g, codes: (0..<n).flatMap { mix(tau, $0) }, count: n)
        // Strips from τ = 0 to 1 between the first five pairs, originals at both ends (thesis fig 3-3).
        let strips = (0..<min(5, n)).map { i -> [UInt8] in
            let taus = (0...10).map { Float($0) / 10 }
            return Array(data.train.image(targets[i])) + generate(g, codes: taus.flatMap { mix($0, i) }, count: taus.count) + Array(data.train.image(sources[i]))
        }
        try Artifacts.writeBytes(gridPNG(strips, columns: 13, shape: data.train.shape), out + "/strips.png")
        // Originals above their interpolations at τ = 0, 0.1, 0.2, 0.3 and this stage's τ (appendix A.3.1).
        let m = min(10, n)
        var rows = [targets.prefix(m).flatMap { Array(data.train.image($0)) }]
        for t in Array(Set([0, 0.1, 0.2, 0.3, tau])).sorted() { rows.append(generate(g, codes: (0..<m).flatMap { mix(t, $0) }, count: m)) }
        try Artifacts.writeBytes(gridPNG(rows, columns: m, shape: data.train.shape), out + "/interpolations.png")
        return (targets, images)
    }
}
