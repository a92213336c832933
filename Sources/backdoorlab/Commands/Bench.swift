import ArgumentParser
import Backdoor
import Datasets
import Experiment
import Foundation
import Learning
import Tensor

/// `backdoorlab bench`: throughput of the compute core on this machine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference throughput, per-layer GEMM speed and the sgemm peak.",
        discussion: """
            Prints images/s of a ResNet-32 training step and of inference, GFLOP/s of every convolution's GEMMs \
            next to the sgemm peak measured in the same run, and stores the figures for `plan`'s cost model. \
            --time-to-accuracy instead trains a ResNet on Fashion-MNIST until a test accuracy and prints the wall time.
            """)

    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Timed training steps per configuration (fewer are noisy: ±20 % at 8 on a shared 2-core VM).")
    var steps: Int = 30
    @Flag(help: "Train on Fashion-MNIST until --target test accuracy; report wall time.") var timeToAccuracy = false
    @Option(help: "Test accuracy to reach with --time-to-accuracy.") var target: Double = 0.91
    @Option(help: "Epoch budget with --time-to-accuracy.") var epochs: Double = 4
    @Option(help: "Fashion-MNIST directory.") var dataDir: String = FashionMNIST.defaultDirectory
    @Flag(help: "Also measure DP-SGD against SGD (transfer set-up and per-example clipping).") var dp = false
    @Flag(help: "Also measure ℓ2 PGD on ResNet-32, 3×32×32, batch 100 (100-step rate from 10 timed steps).") var pgd =
        false
    @Flag(
        help:
            "Also measure WGAN-GP training and latent inversion (the examples' GAN: latent 64, 3×3 kernels, batch 256, 5 critic steps)."
    )
    var gan = false
    @Flag(
        help:
            "Store the figures even when other processes kept more than 10 % of the machine busy while bench ran (they would make `plan` too optimistic)."
    )
    var storeUnderLoad = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        guard target > 0, target <= 1 else {
            throw ValidationError("--target is a test accuracy in (0, 1] (got \(target))")
        }
        guard epochs > 0 else { throw ValidationError("--epochs must be > 0 (got \(epochs))") }
    }

    func run() throws {
        if let threads { Parallel.configure(threads: threads) }
        if timeToAccuracy { return try runTimeToAccuracy() }
        // The kernel set is part of the machine's identity: figures taken with other kernels are not kept.
        var report = BenchReport(
            threads: Parallel.threads,
            cpu:
                "\(cpuName()), OpenBLAS \(BLASCore.name) kernels, \(VectorKernels.level.name) vector kernels, \(VectorKernels.winograd)"
        )
        if let theirs = BLASCore.replaced {
            FileHandle.standardError.write(
                Data(
                    "OpenBLAS picked its \(theirs) kernels for this CPU; its vector flags allow \(BLASCore.name), used instead\n"
                        .utf8))
        }
        let loadBefore = MachineLoad.now()
        report.sgemmPeak = sgemmPeak()
        for (shape, batch) in [([32, 32, 3], 50), ([32, 32, 3], 128), ([28, 28, 1], 50), ([28, 28, 1], 128)] {
            report.training.append(trainingThroughput(shape: shape, batch: batch, units: 5))
        }
        report.training.append(trainingThroughput(shape: [28, 28, 1], batch: 128, units: 1))
        report.inference.append(inferenceThroughput(shape: [32, 32, 3], batch: 500, units: 5))
        // The thesis-scale victim too: `plan` times evaluation, STRIP, PGD and Neural Cleanse by the network's own rates.
        report.inference.append(inferenceThroughput(shape: [28, 28, 1], batch: 500, units: 1))
        report.inputGradient.append(inputGradientThroughput(shape: [28, 28, 1], units: 1))
        report.convolutions = convolutionSpeeds(shape: [32, 32, 3], batch: 50)
        if dp { report.privacy = dpThroughput() }
        if pgd {
            let resnet32 = inputGradientThroughput(shape: [32, 32, 3], units: 5)
            report.inputGradient.append(resnet32)
            report.pgd = resnet32.imagesPerSecond / 100
        }
        if gan { report.gan = [ganThroughput(shape: [28, 28, 1]), ganThroughput(shape: [32, 32, 3])] }
        if let before = loadBefore, let after = MachineLoad.now() {
            report.othersLoad = before.othersShare(until: after)
        }
        let kept = report.keep(from: BenchReport.stored())
        let underLoad = (report.othersLoad ?? 0) > MachineLoad.storeLimit
        if !underLoad || storeUnderLoad { try? report.store() }
        if underLoad {
            // On stderr, so --json output stays one JSON document.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            FileHandle.standardError.write(
                Data(
                    String(
                        format:
                            "warning: other processes kept %.0f %% of this machine's %d cores busy while bench ran; %@\n",
                        100 * (report.othersLoad ?? 0), cores,
                        storeUnderLoad
                            ? "stored anyway (--store-under-load): `plan` will time stages from figures taken under load"
                            : "these figures were NOT stored, and `plan` keeps its earlier rates. Run bench on an idle machine, or pass --store-under-load to store them anyway"
                    ).utf8))
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(report.table)
            if !kept.isEmpty {
                print(
                    "kept from the earlier bench (not measured this time; --dp, --pgd, --gan measure them): "
                        + kept.joined(separator: ", "))
            }
            for s in report.staleFigures {
                let change = 100 * abs(1 / s.ratio - 1)
                let faster = s.ratio < 1 ? "faster" : "slower"
                let flag = s.name == "DP-SGD" ? "dp" : s.name.lowercased()
                print(
                    String(
                        format:
                            "warning: the kept %@ figures were measured when this machine trained %.0f %% %@ than now; `plan` times those stages from them until `bench --%@` measures them again",
                        s.name, change, faster, flag))
            }
        }
    }

    func runTimeToAccuracy() throws {
        let train: Dataset
        let test: Dataset
        do {
            train = try FashionMNIST.load(directory: dataDir, split: .train)
            test = try FashionMNIST.load(directory: dataDir, split: .test)
        } catch let e as DatasetError { throw CLIError(message: e.description, code: 66) }
        var arch = Architecture.resnet(inputShape: train.shape, classes: 10, unitsPerGroup: 1)
        (arch.mean, arch.std) = train.channelStatistics()
        let r = try trainToAccuracy(
            arch: arch, train: train, test: test, epochs: epochs, batchSize: 128, peak: 0.1,
            weightDecay: 5e-4, augmentation: .none, seed: 0, target: target, log: !json)
        let verdict = r.reached ? "reached" : "did not reach"
        if json {
            print(
                "{\"target\": \(target), \"accuracy\": \(r.accuracy), \"seconds\": \(r.seconds), \"steps\": \(r.steps), \"reached\": \(r.reached)}"
            )
        } else {
            print(
                String(
                    format: "time to accuracy: %@ %.1f%% test accuracy (%.2f%%) in %.1f s wall, %d steps, %d threads",
                    verdict, target * 100, r.accuracy * 100, r.seconds, r.steps, Parallel.threads))
        }
        if !r.reached { throw ExitCode(1) }
    }
}

/// Best-of-`repeats` wall time of `body`, in seconds.
func bestTime(repeats: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let t = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
    }
    return best
}

func sgemmPeak() -> BenchReport.Peak {
    let n = 1024
    let a = Tensor(zeros: [n, n])
    let b = Tensor(zeros: [n, n])
    let c = Tensor(zeros: [n, n])
    var r = RNG(seed: 1)
    for i in 0..<a.count {
        a[i] = r.uniform()
        b[i] = r.uniform()
    }
    let flops = 2.0 * Double(n * n * n)
    let one = bestTime(repeats: 5) { gemm(n, n, n, a.pointer, b.pointer, c.pointer) }
    BLASThreads.set(Parallel.threads)
    let all = bestTime(repeats: 5) { gemm(n, n, n, a.pointer, b.pointer, c.pointer) }
    BLASThreads.set(1)
    return .init(oneThread: flops / one / 1e9, allThreads: flops / all / 1e9)
}

func syntheticDataset(shape: [Int], count: Int, classes: Int = 10) -> Dataset {
    var r = RNG(seed: 7)
    let px = (0..<(count * shape.reduce(1, *))).map { _ in UInt8(r.below(256)) }
    return Dataset(
        name: "synthetic", height: shape[0], width: shape[1], channels: shape[2], images: px,
        labels: (0..<count).map { $0 % classes }, classNames: (0..<classes).map { "c\($0)" })
}

extension Bench {
    func trainingThroughput(shape: [Int], batch: Int, units: Int) -> BenchReport.Throughput {
        let data = syntheticDataset(shape: shape, count: batch * 4)
        let model = Architecture.resnet(inputShape: shape, classes: 10, unitsPerGroup: units).build()
        model.initialize(RNG(seed: 0))
        let trainer = Trainer(
            model: model, optimizer: SGD(momentum: 0.9, weightDecay: 2e-4),
            config: TrainingConfig(batchSize: batch, steps: 1 << 30, learningRate: .constant(0.01)), dataset: data)
        trainer.runStep()
        trainer.runStep()
        var times = [Double]()
        for _ in 0..<steps { times.append(bestTime(repeats: 1) { trainer.runStep() }) }
        return throughput(
            units: units, shape: shape, batch: batch, images: batch, flopsPerImage: 3 * model.flopsPerImage, times)
    }

    func inferenceThroughput(shape: [Int], batch: Int, units: Int) -> BenchReport.Throughput {
        let model = Architecture.resnet(inputShape: shape, classes: 10, unitsPerGroup: units).build()
        model.initialize(RNG(seed: 0))
        let x = Tensor(zeros: [batch] + shape)
        var r = RNG(seed: 3)
        for i in 0..<x.count { x[i] = Float(r.below(256)) }
        _ = model(x)
        var times = [Double]()
        for _ in 0..<max(3, steps / 2) { times.append(bestTime(repeats: 1) { _ = model(x) }) }
        return throughput(
            units: units, shape: shape, batch: batch, images: batch, flopsPerImage: model.flopsPerImage, times)
    }

    /// A ResNet's figures from the wall times of runs that each processed `images` image-passes: median and best
    /// images per second, and GFLOP/s at the median.
    func throughput(
        units: Int, shape: [Int], batch: Int, images: Int, flopsPerImage: Int, _ times: [Double]
    ) -> BenchReport.Throughput {
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        return .init(
            model: "resnet-\(6 * units + 2)", input: shape.map(String.init).joined(separator: "x"), batch: batch,
            imagesPerSecond: Double(images) / median, bestImagesPerSecond: Double(images) / sorted[0],
            gflops: Double(flopsPerImage) * Double(images) / median / 1e9)
    }

    /// Forward and backward GFLOP/s of each distinct convolution of ResNet-32 (im2col and col2im included).
    func convolutionSpeeds(shape: [Int], batch: Int) -> [BenchReport.Convolution] {
        var seen = Set<String>()
        var out = [BenchReport.Convolution]()
        var h = shape[0]
        var c = shape[2]
        var geoms = [
            ConvGeometry(batch: batch, height: h, width: h, inChannels: c, outChannels: 16, kernel: 3, padding: 1)
        ]
        c = 16
        for (g, width) in [16, 32, 64].enumerated() {
            let s = g == 0 ? 1 : 2
            geoms.append(
                ConvGeometry(
                    batch: batch, height: h, width: h, inChannels: c, outChannels: width, kernel: 3, stride: s,
                    padding: 1))
            if s == 2 {
                geoms.append(
                    ConvGeometry(
                        batch: batch, height: h, width: h, inChannels: c, outChannels: width, kernel: 1, stride: 2))
            }
            h /= s
            c = width
            geoms.append(
                ConvGeometry(
                    batch: batch, height: h, width: h, inChannels: c, outChannels: width, kernel: 3, padding: 1))
        }
        let scratch = ConvScratch()
        for g in geoms {
            let key = "\(g.height)x\(g.width)x\(g.inChannels)->\(g.outChannels) k\(g.kernel) s\(g.stride)"
            guard seen.insert(key).inserted else { continue }
            let x = Tensor(zeros: g.inputShape)
            let w = Tensor(zeros: g.weightShape)
            let y = Tensor(zeros: g.outputShape)
            let dw = Tensor(zeros: g.weightShape)
            let dx = Tensor(zeros: g.inputShape)
            var r = RNG(seed: 5)
            for i in 0..<x.count { x[i] = r.normal() }
            for i in 0..<w.count { w[i] = r.normal() }
            let f = bestTime(repeats: 5) {
                Conv2D.forward(g, x: x.pointer, weight: w.pointer, bias: nil, y: y.pointer, scratch: scratch)
            }
            let b = bestTime(repeats: 5) {
                Conv2D.backward(
                    g, x: x.pointer, weight: w.pointer, dy: y.pointer, dWeight: dw.pointer, dBias: nil,
                    dx: dx.pointer, scratch: scratch)
            }
            let fl = Double(g.forwardFLOPs)
            out.append(
                .init(
                    layer: key, forwardGflops: fl / f / 1e9, backwardGflops: 2 * fl / b / 1e9,
                    forwardMs: f * 1e3, backwardMs: b * 1e3))
        }
        return out
    }
}

extension Bench {
    /// ℓ2 PGD steps (a forward and an input-gradient backward each, weights frozen) on a ResNet, batch 100:
    /// image-steps per second (the median of 3 runs of `steps` steps) and GFLOP/s counting a step as two forwards.
    func inputGradientThroughput(shape: [Int], units: Int, steps: Int = 10) -> BenchReport.Throughput {
        let batch = 100
        let model = Architecture.resnet(inputShape: shape, classes: 10, unitsPerGroup: units).build()
        model.initialize(RNG(seed: 0))
        let data = syntheticDataset(shape: shape, count: batch)
        let images = Array(0..<batch)
        let attack = PGD(norm: .l2, epsilon: 300, steps: steps)
        _ = Perturbations.pgd(
            data, indices: images, model: model, attack: PGD(norm: .l2, epsilon: 300, steps: 1), seed: 0)
        let times = (0..<3).map { r in
            bestTime(repeats: 1) {
                _ = Perturbations.pgd(data, indices: images, model: model, attack: attack, seed: 2 + UInt64(r))
            }
        }
        return throughput(
            units: units, shape: shape, batch: batch, images: batch * steps, flopsPerImage: 2 * model.flopsPerImage,
            times)
    }

    /// GFLOP/s of WGAN-GP generator steps (with their critic steps) and of latent-inversion steps, counted
    /// as `plan` counts them, so `plan` can time `train_gan` and `encode` from what this machine does.
    func ganThroughput(shape: [Int]) -> BenchReport.GAN {
        var config = WGAN.Config()
        config.latent = 64
        config.kernel = 3
        config.batchSize = 256
        config.criticSteps = 5
        let size = shape.reduce(1, *)
        var r = RNG(seed: 3)
        let images = (0..<(512 * size)).map { _ in r.uniform() }
        let wgan = WGAN(images: images, count: 512, imageShape: shape, config: config)
        wgan.runStep()
        let steps = 2
        let train = bestTime(repeats: 1) { for _ in 0..<steps { wgan.runStep() } }
        let trainFlops = Double(steps) * WGAN.flopsPerStep(config, imageShape: shape)
        // Inversion: a forward and a backward to z per image and step (plan counts 3 generator passes).
        let g = Double(wgan.generator.flopsPerImage)
        let batch = 128
        let encodeSteps = 10
        _ = LatentInversion.encode(
            wgan.generator, images: images, count: batch, steps: 1, stepSize: 0.05, method: .adam, batchSize: batch)
        let encode = bestTime(repeats: 1) {
            _ = LatentInversion.encode(
                wgan.generator, images: images, count: batch, steps: encodeSteps, stepSize: 0.05, method: .adam,
                batchSize: batch)
        }
        return .init(
            input: shape.map(String.init).joined(separator: "x"), secondsPerStep: train / Double(steps),
            trainingGflops: trainFlops / train / 1e9, encodeGflops: Double(batch * encodeSteps) * 3 * g / encode / 1e9)
    }

    /// img/s of DP-SGD and of SGD on the same layers: the thesis's transfer set-up on ResNet-8 28×28×1
    /// (lots of 2000, 16 microbatches, last unit + dense trainable, frozen-feature cache on and off),
    /// and per-example clipping at batch 128 on ResNet-32 3×32×32's last unit + dense and on the whole
    /// network (batch norms frozen in all).
    func dpThroughput() -> [BenchReport.Privacy] {
        func measure(
            _ setup: String, _ arch: Architecture, lot: Int, microbatches: Int, clip: Float?, lastUnitOnly: Bool,
            cache: Bool, steps: Int
        ) -> BenchReport.Privacy {
            let data = syntheticDataset(shape: arch.inputShape, count: max(lot * 2, 4000))
            let model = arch.build()
            model.initialize(RNG(seed: 0))
            model.freeze(keeping: lastUnitOnly ? .lastUnit : .all)
            let trainer = DPTrainer(
                model: model, optimizer: SGD(momentum: 0.9),
                config: TrainingConfig(
                    batchSize: lot, steps: steps + 1,
                    learningRate: .constant(0.01)),
                dp: DPConfig(
                    clip: clip, noiseMultiplier: clip == nil ? 0 : 1,
                    lotSize: lot, microbatches: microbatches, sampling: .shuffle), dataset: data)
            if cache { trainer.cacheFrozenFeatures() }
            trainer.runStep()
            let t = bestTime(repeats: 1) { for _ in 0..<steps { trainer.runStep() } }
            return .init(setup: setup, imagesPerSecond: Double(lot * steps) / t)
        }
        let r8 = Architecture.resnet(inputShape: [28, 28, 1], classes: 10, unitsPerGroup: 1)
        let r32 = Architecture.resnet(inputShape: [32, 32, 3], classes: 10, unitsPerGroup: 5)
        return [
            measure(
                "resnet-8 28x28x1, last unit + dense, lot 2000: SGD (1 microbatch)", r8, lot: 2000, microbatches: 1,
                clip: nil, lastUnitOnly: true, cache: false, steps: 2),
            measure(
                "resnet-8 28x28x1, last unit + dense, lot 2000: DP-SGD (16 microbatches)", r8, lot: 2000,
                microbatches: 16, clip: 1, lastUnitOnly: true, cache: false, steps: 2),
            measure(
                "resnet-8 28x28x1, last unit + dense, lot 2000: SGD, frozen features cached", r8, lot: 2000,
                microbatches: 1, clip: nil, lastUnitOnly: true, cache: true, steps: 5),
            measure(
                "resnet-8 28x28x1, last unit + dense, lot 2000: DP-SGD, frozen features cached", r8, lot: 2000,
                microbatches: 16, clip: 1, lastUnitOnly: true, cache: true, steps: 5),
            // The transfer set-up at ResNet-32 scale: the layers PyTorch peers train in their "last unit" runs.
            measure(
                "resnet-32 32x32x3, last unit + dense, batch 128: SGD", r32, lot: 128, microbatches: 1, clip: nil,
                lastUnitOnly: true, cache: false, steps: 3),
            measure(
                "resnet-32 32x32x3, last unit + dense, batch 128: DP-SGD per-example clipping", r32, lot: 128,
                microbatches: 128, clip: 1, lastUnitOnly: true, cache: false, steps: 3),
            measure(
                "resnet-32 32x32x3, last unit + dense, batch 128: DP-SGD, frozen features cached", r32, lot: 128,
                microbatches: 128, clip: 1, lastUnitOnly: true, cache: true, steps: 10),
            measure(
                "resnet-32 32x32x3, whole network, batch 128: SGD", r32, lot: 128, microbatches: 1, clip: nil,
                lastUnitOnly: false, cache: false, steps: 3),
            measure(
                "resnet-32 32x32x3, whole network, batch 128: DP-SGD per-example clipping", r32, lot: 128,
                microbatches: 128, clip: 1, lastUnitOnly: false, cache: false, steps: 2),
        ]
    }
}

func cpuName() -> String {
    guard let s = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = s.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
    else { return "unknown" }
    return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
}
