import Foundation

/// What `bench` measured (`bench.json`); stored so `plan` can turn FLOPs into time on this machine
/// (`Rates` is what the cost model reads of it).
public struct BenchReport: Codable, Sendable {
    /// sgemm 1024³ GFLOP/s.
    public struct Peak: Codable, Sendable {
        public var oneThread: Double
        public var allThreads: Double
        public init(oneThread: Double, allThreads: Double) {
            self.oneThread = oneThread
            self.allThreads = allThreads
        }
    }
    /// Training or inference of one network.
    public struct Throughput: Codable, Sendable {
        public var model: String
        public var input: String
        public var batch: Int
        public var imagesPerSecond: Double
        public var bestImagesPerSecond: Double
        public var gflops: Double
        enum CodingKeys: String, CodingKey { case model, input, batch, imagesPerSecond, bestImagesPerSecond, gflops }
        // Rates need only the model, input and GFLOP/s; a hand-written or older file may hold only those.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(String.self, forKey: .model)
            input = try c.decode(String.self, forKey: .input)
            gflops = try c.decode(Double.self, forKey: .gflops)
            batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 0
            imagesPerSecond = try c.decodeIfPresent(Double.self, forKey: .imagesPerSecond) ?? 0
            bestImagesPerSecond = try c.decodeIfPresent(Double.self, forKey: .bestImagesPerSecond) ?? 0
        }
        public init(
            model: String, input: String, batch: Int, imagesPerSecond: Double, bestImagesPerSecond: Double,
            gflops: Double
        ) {
            self.model = model
            self.input = input
            self.batch = batch
            self.imagesPerSecond = imagesPerSecond
            self.bestImagesPerSecond = bestImagesPerSecond
            self.gflops = gflops
        }
    }
    /// One convolution layer, forward and backward.
    public struct Convolution: Codable, Sendable {
        public var layer: String
        public var forwardGflops: Double
        public var backwardGflops: Double
        public var forwardMs: Double
        public var backwardMs: Double
        public init(layer: String, forwardGflops: Double, backwardGflops: Double, forwardMs: Double, backwardMs: Double)
        {
            self.layer = layer
            self.forwardGflops = forwardGflops
            self.backwardGflops = backwardGflops
            self.forwardMs = forwardMs
            self.backwardMs = backwardMs
        }
    }
    /// DP-SGD or SGD in one set-up.
    public struct Privacy: Codable, Sendable {
        public var setup: String
        public var imagesPerSecond: Double
        public init(setup: String, imagesPerSecond: Double) {
            self.setup = setup
            self.imagesPerSecond = imagesPerSecond
        }
    }
    /// WGAN-GP and latent inversion, as `plan` counts their FLOPs.
    public struct GAN: Codable, Sendable {
        public var input: String
        public var secondsPerStep: Double
        public var trainingGflops: Double
        public var encodeGflops: Double
        public init(input: String, secondsPerStep: Double, trainingGflops: Double, encodeGflops: Double) {
            self.input = input
            self.secondsPerStep = secondsPerStep
            self.trainingGflops = trainingGflops
            self.encodeGflops = encodeGflops
        }
    }
    public var threads: Int
    public var cpu: String
    public var sgemmPeak = Peak(oneThread: 0, allThreads: 0)
    public var training: [Throughput] = []
    public var inference: [Throughput] = []
    /// Forward + input-gradient steps with the weights frozen, as PGD and Neural Cleanse run them (batch 100;
    /// `gflops` counts a step as two forward passes).
    public var inputGradient: [Throughput] = []
    public var convolutions: [Convolution] = []
    public var privacy: [Privacy] = []
    /// Images per second of 100-step ℓ2 PGD, ResNet-32 3×32×32, batch 100.
    public var pgd: Double?
    public var gan: [GAN] = []
    /// The mean training GFLOP/s of the bench that measured each optional figure ("DP-SGD", "PGD", "GAN"),
    /// so that a later plain `bench` can tell when a kept figure predates a change in the machine's speed.
    public var measuredAtTrainingGflops: [String: Double]?
    /// Share of the machine other processes used while this bench ran (nil where it could not be read).
    public var othersLoad: Double?

    public init(threads: Int, cpu: String) {
        self.threads = threads
        self.cpu = cpu
    }

    enum CodingKeys: String, CodingKey {
        case threads, cpu, sgemmPeak, training, inference, inputGradient, convolutions, privacy, pgd, gan
        case measuredAtTrainingGflops
    }

    // Sections added by later versions (GAN, DP-SGD, …) may be missing from a stored file: they read as empty.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? 2
        cpu = try c.decodeIfPresent(String.self, forKey: .cpu) ?? ""
        sgemmPeak = try c.decodeIfPresent(Peak.self, forKey: .sgemmPeak) ?? Peak(oneThread: 0, allThreads: 0)
        training = try c.decodeIfPresent([Throughput].self, forKey: .training) ?? []
        inference = try c.decodeIfPresent([Throughput].self, forKey: .inference) ?? []
        inputGradient = try c.decodeIfPresent([Throughput].self, forKey: .inputGradient) ?? []
        convolutions = try c.decodeIfPresent([Convolution].self, forKey: .convolutions) ?? []
        privacy = try c.decodeIfPresent([Privacy].self, forKey: .privacy) ?? []
        pgd = try c.decodeIfPresent(Double.self, forKey: .pgd)
        gan = try c.decodeIfPresent([GAN].self, forKey: .gan) ?? []
        measuredAtTrainingGflops = try c.decodeIfPresent([String: Double].self, forKey: .measuredAtTrainingGflops)
    }

    /// Mean GFLOP/s over the training configurations measured; nil before any.
    public var trainingGflops: Double? {
        training.isEmpty ? nil : training.map(\.gflops).reduce(0, +) / Double(training.count)
    }

    /// `$BACKDOORLAB_HOME/bench.json`, default `~/.backdoorlab/bench.json`.
    public static func storePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let home =
            environment["BACKDOORLAB_HOME"] ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.backdoorlab")
        return home + "/bench.json"
    }

    /// The report stored by an earlier `bench`, if it can be read.
    public static func stored(environment: [String: String] = ProcessInfo.processInfo.environment) -> BenchReport? {
        guard let d = FileManager.default.contents(atPath: storePath(environment: environment)) else { return nil }
        return try? JSONDecoder().decode(BenchReport.self, from: d)
    }

    /// Takes the optional measurements this run did not repeat (DP-SGD, PGD, GAN) from an earlier report of
    /// the same machine and thread count, so that a plain `bench` does not make `plan` forget their rates, and
    /// records for each optional figure the training rate of the bench that measured it. Returns what it kept.
    public mutating func keep(from earlier: BenchReport?) -> [String] {
        var kept: [String] = []
        var measuredAt: [String: Double] = [:]
        for (name, measured) in [("DP-SGD", !privacy.isEmpty), ("PGD", pgd != nil), ("GAN", !gan.isEmpty)]
        where measured {
            measuredAt[name] = trainingGflops
        }
        if let earlier, earlier.threads == threads, earlier.cpu == cpu {
            if privacy.isEmpty, !earlier.privacy.isEmpty {
                privacy = earlier.privacy
                kept.append("DP-SGD")
            }
            if pgd == nil, let p = earlier.pgd {
                pgd = p
                // With it, the ResNet-32 input-gradient rate measured in the same run.
                inputGradient += earlier.inputGradient.filter { e in
                    !inputGradient.contains { $0.model == e.model && $0.input == e.input }
                }
                kept.append("PGD")
            }
            if gan.isEmpty, !earlier.gan.isEmpty {
                gan = earlier.gan
                kept.append("GAN")
            }
            for name in kept { measuredAt[name] = earlier.measuredAtTrainingGflops?[name] }
        }
        measuredAtTrainingGflops = measuredAt.isEmpty ? nil : measuredAt
        return kept
    }

    /// The optional figures whose bench trained more than 10 % faster or slower than this one did (only kept
    /// ones can: a figure measured now has this bench's rate), each with the training rate now as a fraction of
    /// then. A VM's speed drifts; such figures are likely stale.
    public var staleFigures: [(name: String, ratio: Double)] {
        guard let now = trainingGflops, let measuredAt = measuredAtTrainingGflops else { return [] }
        return measuredAt.keys.sorted().compactMap { name in
            guard let then = measuredAt[name], then > 0, abs(now / then - 1) > 0.1 else { return nil }
            return (name, now / then)
        }
    }

    public func store() throws {
        let url = URL(fileURLWithPath: BenchReport.storePath())
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: url, options: .atomic)
    }

    public var table: String {
        var s = "backdoorlab bench — \(cpu), \(threads) threads\n"
        if let l = othersLoad {
            s += String(format: "other processes used %.0f %% of the machine while it ran\n", 100 * l)
        }
        s += String(
            format: "sgemm 1024³ peak: %.1f GFLOP/s on 1 thread, %.1f on %d\n\n", sgemmPeak.oneThread,
            sgemmPeak.allThreads, threads)
        s += "training step (forward + backward + SGD update, synthetic data)\n"
        s += "  model      input    batch   img/s (median)   img/s (best)   GFLOP/s\n"
        for t in training {
            s += String(
                format: "  %-10@ %-8@ %5d   %14.0f   %12.0f   %7.1f\n", t.model, t.input, t.batch, t.imagesPerSecond,
                t.bestImagesPerSecond, t.gflops)
        }
        for (title, rows) in [
            ("inference", inference),
            ("forward + input gradient, weights frozen (a PGD or Neural Cleanse step)", inputGradient),
        ] where !rows.isEmpty {
            s += "\n\(title)\n"
            for t in rows {
                s += String(
                    format: "  %-10@ %-8@ %5d   %14.0f   %12.0f   %7.1f\n", t.model, t.input, t.batch,
                    t.imagesPerSecond, t.bestImagesPerSecond, t.gflops)
            }
        }
        s += "\nconvolutions of ResNet-32, 3x32x32, batch 50 (im2col/col2im included)\n"
        s += "  layer                          fwd GFLOP/s  bwd GFLOP/s   fwd ms   bwd ms\n"
        for c in convolutions {
            s += String(
                format: "  %-30@ %11.1f  %11.1f  %7.2f  %7.2f\n", c.layer, c.forwardGflops, c.backwardGflops,
                c.forwardMs, c.backwardMs)
        }
        if let pgd { s += String(format: "\n100-step ℓ2 PGD, resnet-32 3x32x32, batch 100: %.2f img/s\n", pgd) }
        if !gan.isEmpty {
            s += "\nWGAN-GP (latent 64, 3x3 kernels, batch 256, 5 critic steps) and latent inversion (batch 128)\n"
            s += "  input      s/generator step   training GFLOP/s   inversion GFLOP/s\n"
            for g in gan {
                s += String(
                    format: "  %-10@ %16.2f   %16.1f   %17.1f\n", g.input, g.secondsPerStep, g.trainingGflops,
                    g.encodeGflops)
            }
        }
        if !privacy.isEmpty {
            s += "\nDP-SGD against SGD on the same trainable layers (img/s)\n"
            for p in privacy { s += String(format: "  %-80@ %8.0f\n", p.setup, p.imagesPerSecond) }
        }
        return s
    }
}
