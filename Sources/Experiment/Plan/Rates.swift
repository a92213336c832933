import Foundation

/// Sustained GFLOP/s this machine reaches, from the figures `backdoorlab bench` stored;
/// stated defaults when nothing is stored.
public struct Rates: Sendable, Codable, Equatable {
    /// Throughput of a ResNet of `depth` layers on `input` ("32x32x3").
    public struct Entry: Sendable, Codable, Equatable {
        public var depth: Int
        public var input: String
        public var gflops: Double
        public init(depth: Int, input: String, gflops: Double) {
            self.depth = depth
            self.input = input
            self.gflops = gflops
        }
    }
    /// Training steps (forward, backward, update).
    public var training: [Entry]
    /// Forward passes (evaluation, ranking, STRIP's blends).
    public var inference: [Entry]
    /// Forward + input-gradient steps with frozen weights (PGD, Neural Cleanse), two forwards' FLOPs each;
    /// empty when `bench` did not measure them.
    public var inputGradient: [Entry] = []
    public var source: String
    /// WGAN-GP training and latent inversion on `input`, measured by `bench --gan`.
    public struct GANEntry: Sendable, Codable, Equatable {
        public var input: String, training: Double, encode: Double
        public init(input: String, training: Double, encode: Double) {
            self.input = input
            self.training = training
            self.encode = encode
        }
    }
    public var gan: [GANEntry] = []
    /// Worker threads the figures were measured with (the cost model's times are for this many cores).
    public var threads: Int = 2

    /// Used when `bench` has not run here: what the compute core measured on 2 cores of an EPYC (Zen 4).
    public static let defaults = Rates(
        training: [
            Entry(depth: 32, input: "32x32x3", gflops: 110), Entry(depth: 32, input: "28x28x1", gflops: 110),
            Entry(depth: 8, input: "28x28x1", gflops: 93),
        ],
        inference: [Entry(depth: 32, input: "32x32x3", gflops: 120)],
        source: "defaults (run `backdoorlab bench` to calibrate)")

    /// The rates of the `bench.json` in `$BACKDOORLAB_HOME` or `~/.backdoorlab`; the defaults without one.
    public static func stored(environment: [String: String] = ProcessInfo.processInfo.environment) -> Rates {
        guard let bench = BenchReport.stored(environment: environment) else { return .defaults }
        return Rates(bench, source: BenchReport.storePath(environment: environment)) ?? .defaults
    }

    /// GFLOP/s of WGAN-GP training and of latent inversion on this image shape: measured by `bench --gan`,
    /// otherwise the ResNet-32 training rate (the GAN's convolutions are of similar sizes).
    func gan(for shape: [Int]) -> (training: Double, encode: Double) {
        let input = Rates.inputName(shape)
        if let g = gan.first(where: { $0.input == input }) { return (g.training, g.encode) }
        let t = training(for: shape)
        return (t, t)
    }

    /// How bench.json names an input shape: "28x28x1".
    static func inputName(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }

    /// The measured training rate closest to this network: same input size if measured, then nearest depth.
    func training(for shape: [Int], depth: Int = 32) -> Double {
        Rates.nearest(training, shape, depth) ?? 100
    }

    /// The measured inference rate closest to this network.
    func inference(for shape: [Int], depth: Int = 32) -> Double {
        Rates.nearest(inference, shape, depth) ?? Rates.defaults.inference[0].gflops
    }

    /// The forward + input-gradient rate of this network: measured for its input size if `bench` did; else
    /// the ratio of the two rates on a network it measured, times this network's training rate; with nothing
    /// measured (a bench.json older than these figures), the training rate itself: on the 2-core Xeon the
    /// ResNet-8 ratio was 1.10 on an idle machine and 0.82 beside another process (ResNet-32: 0.76–0.89 loaded).
    func inputGradient(for shape: [Int], depth: Int = 32) -> Double {
        let own = training(for: shape, depth: depth)
        let input = Rates.inputName(shape)
        if inputGradient.contains(where: { $0.input == input }) {
            return Rates.nearest(inputGradient, shape, depth) ?? own
        }
        let ratios = inputGradient.compactMap { e -> Double? in
            guard let t = training.first(where: { $0.input == e.input && $0.depth == e.depth }), t.gflops > 0 else {
                return nil
            }
            return e.gflops / t.gflops
        }
        return (ratios.isEmpty ? 1 : ratios.reduce(0, +) / Double(ratios.count)) * own
    }

    static func nearest(_ entries: [Entry], _ shape: [Int], _ depth: Int) -> Double? {
        let input = Rates.inputName(shape)
        let same = entries.filter { $0.input == input }
        let pool = same.isEmpty ? entries : same
        return pool.min { abs($0.depth - depth) < abs($1.depth - depth) }?.gflops
    }

    public var summary: String {
        func list(_ e: [Entry]) -> String {
            e.map { "resnet-\($0.depth) \($0.input) \(Int($0.gflops))" }.joined(separator: ", ") + " GFLOP/s"
        }
        return "training " + list(training) + "; inference " + list(inference)
            + (inputGradient.isEmpty ? "" : "; input gradient " + list(inputGradient))
            + (gan.isEmpty
                ? ""
                : "; WGAN-GP " + gan.map { "\($0.input) \(Int($0.training))" }.joined(separator: ", ")
                    + ", inversion " + gan.map { "\($0.input) \(Int($0.encode))" }.joined(separator: ", ") + " GFLOP/s")
            + " — \(source)"
    }
}

extension Rates {
    /// The best figure of each network and input a bench measured; nil when it measured no training.
    init?(_ bench: BenchReport, source: String) {
        let training = Rates.best(bench.training)
        guard !training.isEmpty else { return nil }
        let inference = Rates.best(bench.inference)
        self.init(
            training: training, inference: inference.isEmpty ? Rates.defaults.inference : inference,
            inputGradient: Rates.best(bench.inputGradient), source: source,
            gan: bench.gan.map { GANEntry(input: $0.input, training: $0.trainingGflops, encode: $0.encodeGflops) },
            threads: bench.threads)
    }

    /// The fastest figure of each network and input (the batch sizes a bench tried are alternatives).
    static func best(_ rows: [BenchReport.Throughput]) -> [Entry] {
        var best: [String: Entry] = [:]
        for r in rows {
            guard let depth = Int(r.model.replacingOccurrences(of: "resnet-", with: "")) else { continue }
            let k = "\(depth) \(r.input)"
            if r.gflops > best[k]?.gflops ?? 0 { best[k] = Entry(depth: depth, input: r.input, gflops: r.gflops) }
        }
        return best.values.sorted { ($0.input, $0.depth) < ($1.input, $1.depth) }
    }
}
