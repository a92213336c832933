import Foundation

/// What `bench` measured; stored so `plan` can turn FLOPs into time on this machine.
struct BenchReport: Codable {
    struct Peak: Codable { var oneThread: Double; var allThreads: Double }
    struct Throughput: Codable {
        var model: String, input: String, batch: Int
        var imagesPerSecond: Double, bestImagesPerSecond: Double, gflops: Double
    }
    struct Convolution: Codable {
        var layer: String
        var forwardGflops: Double, backwardGflops: Double, forwardMs: Double, backwardMs: Double
    }
    var threads: Int
    var cpu: String
    var sgemmPeak = Peak(oneThread: 0, allThreads: 0)
    var training: [Throughput] = []
    var inference: [Throughput] = []
    var convolutions: [Convolution] = []
    struct Privacy: Codable { var setup: String; var imagesPerSecond: Double }
    var privacy: [Privacy] = []
    /// Images per second of 100-step ℓ2 PGD, ResNet-32 3×32×32, batch 100.
    var pgd: Double?
    /// WGAN-GP and latent inversion, as `plan` counts their FLOPs.
    struct GAN: Codable { var input: String; var secondsPerStep: Double; var trainingGflops: Double; var encodeGflops: Double }
    var gan: [GAN] = []
    /// The mean training GFLOP/s of the bench that measured each optional figure ("DP-SGD", "PGD", "GAN"),
    /// so that a later plain `bench` can tell when a kept figure predates a change in the machine's speed.
    var measuredAtTrainingGflops: [String: Double]?

    /// Mean GFLOP/s over the training configurations measured; nil before any.
    var trainingGflops: Double? {
        training.isEmpty ? nil : training.map(\.gflops).reduce(0, +) / Double(training.count)
    }

    /// `$BACKDOORLAB_HOME/bench.json`, default `~/.backdoorlab/bench.json`.
    static var storePath: String {
        let home = ProcessInfo.processInfo.environment["BACKDOORLAB_HOME"]
            ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.backdoorlab")
        return home + "/bench.json"
    }

    /// The report stored by an earlier `bench`, if it can be read.
    static func stored() -> BenchReport? {
        guard let d = FileManager.default.contents(atPath: storePath) else { return nil }
        return try? JSONDecoder().decode(BenchReport.self, from: d)
    }

    /// Takes the optional measurements this run did not repeat (DP-SGD, PGD, GAN) from an earlier report of
    /// the same machine and thread count, so that a plain `bench` does not make `plan` forget their rates, and
    /// records for each optional figure the training rate of the bench that measured it. Returns what it kept.
    mutating func keep(from earlier: BenchReport?) -> [String] {
        var kept: [String] = []
        var measuredAt: [String: Double] = [:]
        for (name, measured) in [("DP-SGD", !privacy.isEmpty), ("PGD", pgd != nil), ("GAN", !gan.isEmpty)] where measured {
            measuredAt[name] = trainingGflops
        }
        if let earlier, earlier.threads == threads, earlier.cpu == cpu {
            if privacy.isEmpty, !earlier.privacy.isEmpty { privacy = earlier.privacy; kept.append("DP-SGD") }
            if pgd == nil, let p = earlier.pgd { pgd = p; kept.append("PGD") }
            if gan.isEmpty, !earlier.gan.isEmpty { gan = earlier.gan; kept.append("GAN") }
            for name in kept { measuredAt[name] = earlier.measuredAtTrainingGflops?[name] }
        }
        measuredAtTrainingGflops = measuredAt.isEmpty ? nil : measuredAt
        return kept
    }

    /// The optional figures whose bench trained more than 10 % faster or slower than this one did (only kept
    /// ones can: a figure measured now has this bench's rate), each with the training rate now as a fraction of
    /// then. A VM's speed drifts; such figures are likely stale.
    var staleFigures: [(name: String, ratio: Double)] {
        guard let now = trainingGflops, let measuredAt = measuredAtTrainingGflops else { return [] }
        return measuredAt.keys.sorted().compactMap { name in
            guard let then = measuredAt[name], then > 0, abs(now / then - 1) > 0.1 else { return nil }
            return (name, now / then)
        }
    }

    func store() throws {
        let url = URL(fileURLWithPath: BenchReport.storePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: url, options: .atomic)
    }

    var table: String {
        var s = "backdoorlab bench — \(cpu), \(threads) threads\n"
        s += String(format: "sgemm 1024³ peak: %.1f GFLOP/s on 1 thread, %.1f on %d\n\n", sgemmPeak.oneThread, sgemmPeak.allThreads, threads)
        s += "training step (forward + backward + SGD update, synthetic data)\n"
        s += "  model      input    batch   img/s (median)   img/s (best)   GFLOP/s\n"
        for t in training {
            s += String(format: "  %-10@ %-8@ %5d   %14.0f   %12.0f   %7.1f\n", t.model, t.input, t.batch, t.imagesPerSecond, t.bestImagesPerSecond, t.gflops)
        }
        s += "\ninference\n"
        for t in inference {
            s += String(format: "  %-10@ %-8@ %5d   %14.0f   %12.0f   %7.1f\n", t.model, t.input, t.batch, t.imagesPerSecond, t.bestImagesPerSecond, t.gflops)
        }
        s += "\nconvolutions of ResNet-32, 3x32x32, batch 50 (im2col/col2im included)\n"
        s += "  layer                          fwd GFLOP/s  bwd GFLOP/s   fwd ms   bwd ms\n"
        for c in convolutions {
            s += String(format: "  %-30@ %11.1f  %11.1f  %7.2f  %7.2f\n", c.layer, c.forwardGflops, c.backwardGflops, c.forwardMs, c.backwardMs)
        }
        if let pgd { s += String(format: "\n100-step ℓ2 PGD, resnet-32 3x32x32, batch 100: %.2f img/s\n", pgd) }
        if !gan.isEmpty {
            s += "\nWGAN-GP (latent 64, 3x3 kernels, batch 256, 5 critic steps) and latent inversion (batch 128)\n"
            s += "  input      s/generator step   training GFLOP/s   inversion GFLOP/s\n"
            for g in gan { s += String(format: "  %-10@ %16.2f   %16.1f   %17.1f\n", g.input, g.secondsPerStep, g.trainingGflops, g.encodeGflops) }
        }
        if !privacy.isEmpty {
            s += "\nDP-SGD against SGD on the same trainable layers (img/s)\n"
            for p in privacy { s += String(format: "  %-80@ %8.0f\n", p.setup, p.imagesPerSecond) }
        }
        return s
    }
}
