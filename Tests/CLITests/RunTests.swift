import Datasets
import Foundation
import TestSupport
import XCTest

/// `backdoorlab run` end to end on a tiny dataset in the Fashion-MNIST format.
final class RunTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = DatasetFiles.temporaryDirectory("backdoorlab-run")
        let data = dir + "/data"
        try! FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for (split, n) in [("train", 300), ("t10k", 60)] {
            DatasetFiles.write(
                DatasetFiles.idxImages(count: n, rows: 28, cols: 28) { i, p in
                    UInt8((p / 28) % 10 == i % 10 ? 220 : (p * 7 + i) % 60)
                },
                to: "\(data)/\(split)-images-idx3-ubyte.gz", gzip: true)
            DatasetFiles.write(
                DatasetFiles.idxLabels((0..<n).map { UInt8($0 % 10) }), to: "\(data)/\(split)-labels-idx1-ubyte.gz",
                gzip: true)
        }
        writeSpec(fractions: "[0.2, 0.4]")
    }

    func writeSpec(fractions: String) {
        let spec = """
            \(tinySpec(train: "steps: 24, batch_size: 10, learning_rate: 0.05, checkpoint_every: 5"))
            attack: {poison: clean_label, target: 1, fraction: {sweep: \(fractions)}}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
    }

    /// The dataset, model and training lines every spec here shares (200 tiny images, a 4-channel ResNet).
    func tinySpec(train: String) -> String {
        "dataset: {name: fashion_mnist, path: \(dir)/data, subset: 200}\nmodel: {units_per_group: 1, widths: [4, 4, 4], stem: 4}\ntrain: {\(train)}"
    }

    func run(_ cache: String, env: [String: String] = [:], extra: [String] = []) throws -> CLITests.Result {
        try CLITests.run(
            ["run", dir + "/spec.yaml", "--cache", cache, "--results", dir + "/results"] + extra, env: env)
    }

    /// Keys of the finished stages of `kind` in a cache directory, sorted.
    func stageKeys(_ kind: String, in cache: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cache).filter { k in
            (FileManager.default.contents(atPath: "\(cache)/\(k)/manifest.json")
                .map { String(decoding: $0, as: UTF8.self).contains("\"kind\" : \"\(kind)\"") }) ?? false
        }.sorted()
    }

    /// Kinds of the stages a run computed (not taken from the cache).
    func computed(_ out: String) -> [String] {
        out.split(separator: "\n").filter { $0.hasPrefix("✓ [") && !$0.contains(" cached") }
            .map { String($0.split(separator: " ")[2]) }
    }

    func testSecondRunIsAllCachedAndAFractionChangeRecomputesOnlyItsStages() throws {
        let cache = dir + "/cache"
        let first = try run(cache)
        XCTAssertEqual(first.code, 0, first.err)
        XCTAssertEqual(
            computed(first.out).sorted(),
            ["dataset", "evaluate", "evaluate", "poison", "poison", "report", "train", "train"])
        let csv = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 3, csv)
        XCTAssert(csv.hasPrefix("attack.fraction,poisoned_images,natural_accuracy,attack_success_rate,"), csv)

        let again = try run(cache)
        XCTAssertEqual(again.code, 0)
        XCTAssertEqual(computed(again.out), [])
        XCTAssert(again.out.contains("0 computed, 8 from cache"), again.out)

        writeSpec(fractions: "[0.2, 0.6]")
        let changed = try run(cache)
        XCTAssertEqual(changed.code, 0, changed.err)
        XCTAssertEqual(computed(changed.out).sorted(), ["evaluate", "poison", "report", "train"])
    }

    func testKilledTrainingResumesToTheSameBytes() throws {
        let straight = try run(dir + "/cache-a")
        XCTAssertEqual(straight.code, 0, straight.err)
        let killed = try run(dir + "/cache-b", env: ["BACKDOORLAB_KILL_AT_STEP": "12"])
        XCTAssertNotEqual(killed.code, 0)
        let resumed = try run(dir + "/cache-b")
        XCTAssertEqual(resumed.code, 0, resumed.err)
        XCTAssert(resumed.out.contains("at step 10 of 24"), resumed.out)
        let fm = FileManager.default
        let a = try stageKeys("train", in: dir + "/cache-a")
        let b = try stageKeys("train", in: dir + "/cache-b")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 2)
        for k in a {
            XCTAssertEqual(
                fm.contents(atPath: "\(dir)/cache-a/\(k)/model.safetensors"),
                fm.contents(atPath: "\(dir)/cache-b/\(k)/model.safetensors"))
            XCTAssertEqual(
                fm.contents(atPath: "\(dir)/cache-a/\(k)/training.json"),
                fm.contents(atPath: "\(dir)/cache-b/\(k)/training.json"))
        }
        XCTAssertEqual(try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8).isEmpty, false)
        // The resumed stage's timing counts the killed sitting too (from its checkpoint).
        let timings = try b.map { k in
            try XCTUnwrap(
                JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/cache-b/\(k)/timing.json")))
                    as? [String: Double])
        }
        let resumedTiming = try XCTUnwrap(timings.first { ($0["earlier_sittings_seconds"] ?? 0) > 0 }, "\(timings)")
        XCTAssertGreaterThan(resumedTiming["seconds"]!, resumedTiming["earlier_sittings_seconds"]!)
    }

    func testAFlippedByteIsReportedAndRecomputed() throws {
        let cache = dir + "/cache"
        XCTAssertEqual(try run(cache).code, 0)
        let fm = FileManager.default
        let key = try XCTUnwrap(
            try fm.contentsOfDirectory(atPath: cache).first { k in
                fm.fileExists(atPath: "\(cache)/\(k)/model.safetensors")
            })
        let path = "\(cache)/\(key)/model.safetensors"
        var bytes = [UInt8](fm.contents(atPath: path)!)
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let verify = try CLITests.run(["cache", "verify", "--cache", cache])
        XCTAssertEqual(verify.code, 1)
        XCTAssert(verify.out.contains("model.safetensors does not match its checksum"), verify.out)
        let again = try run(cache)
        XCTAssertEqual(again.code, 0, again.err)
        XCTAssert(
            again.out.contains(
                "warning: cache entry \(key.prefix(12)) is corrupt (model.safetensors does not match its checksum); recomputing"
            ), again.out)
        XCTAssertEqual(computed(again.out), ["train"])
        XCTAssertEqual(try CLITests.run(["cache", "verify", "--cache", cache]).code, 0)
    }

    func testTwoRunsAtOnceComputeEveryStageOnce() throws {
        let cache = dir + "/cache"
        let exe = CLITests.executable
        let procs = (0..<2).map { _ -> (Process, Pipe) in
            let p = Process()
            let out = Pipe()
            p.executableURL = exe
            p.arguments = ["run", dir + "/spec.yaml", "--cache", cache, "--results", dir + "/results"]
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            return (p, out)
        }
        for (p, _) in procs { try p.run() }
        var outputs: [String] = []
        for (p, out) in procs {
            outputs.append(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0)
        }
        let all = outputs.flatMap(computed)
        XCTAssertEqual(
            all.sorted(), ["dataset", "evaluate", "evaluate", "poison", "poison", "report", "train", "train"],
            outputs.joined())
    }

    func testShardsSplitTheRunsAndTogetherFinishThePlan() throws {
        let cache = dir + "/cache"
        let a = try run(cache, extra: ["--shard", "0/2"])
        let b = try run(cache, extra: ["--shard", "1/2"])
        XCTAssertEqual(a.code, 0, a.err)
        XCTAssertEqual(b.code, 0, b.err)
        XCTAssertEqual(computed(a.out).filter { $0 == "train" }.count, 1)
        XCTAssertEqual(computed(b.out).filter { $0 == "train" }.count, 1)
        XCTAssert(a.out.contains("waiting for runs outside this shard"), a.out)
        XCTAssertEqual(computed(b.out).filter { $0 == "report" }.count, 1)  // the last shard completes the report
        let all = try run(cache)
        XCTAssertEqual(computed(all.out), [])
        XCTAssertEqual(try run(cache, extra: ["--shard", "2/2"]).code, 64)
    }

    /// An image-file trigger: an unreadable file is a spec error before anything runs; a good one is stamped.
    func testImageTriggerFromAFile() throws {
        FileManager.default.createFile(atPath: dir + "/trigger.png", contents: Data([0]))
        let spec =
            "\(tinySpec(train: "steps: 4, batch_size: 10"))\nattack: {poison: dirty_label, count: 10, trigger: {pattern: image, file: trigger.png, size: 2}}\n"
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let bad = try run(dir + "/cache")
        XCTAssertEqual(bad.code, 65)
        XCTAssert(bad.err.contains("spec.yaml:4:74: error:"), bad.err)
        XCTAssert(bad.err.contains("trigger.png"), bad.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cache"))
        // White top-left and bottom-right, black elsewhere: +255 and −255 on the bottom-right 2×2 corner.
        FileManager.default.createFile(
            atPath: dir + "/trigger.png",
            contents: Data(PNG.encode(width: 2, height: 2, rgb: [255, 255, 255, 9, 9, 9, 9, 9, 9, 255, 255, 255])))
        let good = try run(dir + "/cache")
        XCTAssertEqual(good.code, 0, good.err)
        let poison = try XCTUnwrap(try stageKeys("poison", in: dir + "/cache").first)
        let images = try NPY.read("\(dir)/cache/\(poison)/images.npy")
        guard case .uint8(let px) = images.values else { return XCTFail("poison images are not uint8") }
        for i in 0..<images.shape[0] {
            let img = Array(px[(i * 784)..<((i + 1) * 784)])
            XCTAssertEqual(
                [img[26 * 28 + 26], img[26 * 28 + 27], img[27 * 28 + 26], img[27 * 28 + 27]], [255, 0, 0, 255])
        }
    }

    /// CINIC-10's ImageNet part as the public split of a CIFAR-10 victim (the thesis's pixel
    /// interpolation and black-box source): at τ = 1 every poison is one of those images.
    func testCINICImageNetPartAsThePublicSource() throws {
        let cifar = dir + "/cifar"
        let cinic = dir + "/cinic"
        func pixel(_ i: Int) -> (Int, Int, Int) -> UInt8 {
            { y, x, c in UInt8((i * 37 + y * 5 + x * 3 + c * 50) % 200) }
        }
        try FileManager.default.createDirectory(atPath: cifar, withIntermediateDirectories: true)
        for b in 1...5 {
            let records = (0..<20).flatMap { k in
                DatasetFiles.cifarRecord(labels: [UInt8(k % 10)], pixel: pixel(b * 20 + k))
            }
            DatasetFiles.write(records, to: "\(cifar)/data_batch_\(b).bin")
        }
        DatasetFiles.write(
            (0..<10).flatMap { k in DatasetFiles.cifarRecord(labels: [UInt8(k)], pixel: pixel(500 + k)) },
            to: "\(cifar)/test_batch.bin")
        var imagenet = Set<[UInt8]>()
        for (c, name) in CINIC.classNames.enumerated() {
            let d = "\(cinic)/train/\(name)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            for k in 0..<2 {
                let img = (0..<(32 * 32 * 3)).map { UInt8(($0 * (c + 3) + k * 101) % 251) }
                imagenet.insert(img)
                DatasetFiles.write(PNG.encode(width: 32, height: 32, rgb: img), to: "\(d)/n0\(c)_\(k).png")
            }
            DatasetFiles.write(
                PNG.encode(width: 32, height: 32, rgb: Array(repeating: 77, count: 3072)),
                to: "\(d)/cifar10-train-\(c).png")
        }
        let spec = """
            dataset: {name: cifar10, path: \(cifar), public_source: {name: cinic10, path: \(cinic), part: imagenet}}
            model: {units_per_group: 1, widths: [4, 4, 4], stem: 4}
            train: {steps: 3, batch_size: 10}
            attack: {poison: clean_label, target: 1, count: 10, perturbation: {kind: pixel_interpolation, tau: 1, source: public}}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err)
        func stageDir(_ kind: String) throws -> String {
            "\(dir)/cache/" + (try XCTUnwrap(try stageKeys(kind, in: dir + "/cache").first))
        }
        let meta = try XCTUnwrap(
            JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: try stageDir("dataset") + "/meta.json"))) as? [String: Any])
        XCTAssertEqual(meta["public_count"] as? Int, 20)  // the ImageNet-named files only
        XCTAssertEqual(meta["victim_count"] as? Int, 100)  // the victim keeps all of CIFAR-10
        let poisons = try NPY.read(try stageDir("perturb") + "/images.npy")
        guard case .uint8(let px) = poisons.values else { return XCTFail("perturbed images are not uint8") }
        XCTAssertEqual(poisons.shape[0], 10)
        for i in 0..<poisons.shape[0] {
            XCTAssert(
                imagenet.contains(Array(px[(i * 3072)..<((i + 1) * 3072)])),
                "poison \(i) is not a CINIC-10 ImageNet image")
        }
        // A victim and a public source of different shapes is a spec error.
        let bad = spec.replacingOccurrences(
            of: "{name: cinic10, path: \(cinic), part: imagenet}", with: "{name: fashion_mnist}")
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(bad.utf8))
        let refused = try run(dir + "/cache2")
        XCTAssertEqual(refused.code, 65)
        XCTAssert(
            refused.err.contains(
                "public source 'fashion_mnist' has 28×28×1 images of 10 classes; the victim's 'cifar10' has 32×32×3 of 10"
            ), refused.err)
    }

    /// Clean-label poisons made hard by PGD against an adversarially trained reference model, and by
    /// Gaussian noise: one reference and one perturbation per class serve every fraction.
    func testPerturbedCleanLabelAttacks() throws {
        let spec = """
            \(tinySpec(train: "steps: 6, batch_size: 10, learning_rate: 0.05"))
            attack:
              poison: clean_label
              target: 1
              fraction: {sweep: [0.2, 0.4]}
              perturbation:
                kind: pgd
                epsilon: 300
                steps: 3
                reference: {training: adversarial, adversarial: {steps: 2}, train: {steps: 4, batch_size: 10, learning_rate: 0.05}}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err + r.out)
        XCTAssertEqual(computed(r.out).filter { $0 == "train_reference" }.count, 1)
        XCTAssertEqual(computed(r.out).filter { $0 == "perturb" }.count, 1)
        XCTAssertEqual(computed(r.out).filter { $0 == "train" }.count, 2)
        let noise = spec.replacingOccurrences(of: "kind: pgd", with: "kind: gaussian_noise\n    sigma: 16")
            .split(separator: "\n").filter {
                !$0.contains("epsilon") && !$0.contains("steps: 3") && !$0.contains("reference")
            }.joined(separator: "\n")
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(noise.utf8))
        let n = try run(dir + "/cache")
        XCTAssertEqual(n.code, 0, n.err + n.out)
        XCTAssertEqual(computed(n.out).filter { $0 == "perturb" }.count, 1)
    }

    /// SIGINT while a perturbation runs (a stage that does not stop part-way): the perturbation finishes
    /// and is cached, nothing after it runs, and the exit code and message say "interrupted" (it was
    /// exit 1 with "0 failed, N skipped" before).
    func testInterruptDuringAPerturbationExits130AndKeepsIt() throws {
        let spec = """
            \(tinySpec(train: "steps: 4, batch_size: 10, learning_rate: 0.05"))
            attack:
              poison: clean_label
              target: 1
              fraction: 0.4
              perturbation:
                kind: pgd
                epsilon: 300
                steps: 250
                reference: {training: standard, train: {steps: 2, batch_size: 10, learning_rate: 0.05}}
            """
        let fm = FileManager.default
        fm.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let p = Process()
        p.executableURL = CLITests.executable
        p.arguments = ["run", dir + "/spec.yaml", "--cache", dir + "/cache", "--results", dir + "/results"]
        let out = dir + "/run.out"
        let err = dir + "/run.err"
        fm.createFile(atPath: out, contents: nil)
        fm.createFile(atPath: err, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while Date() < deadline && p.isRunning {
            text = String(decoding: fm.contents(atPath: out) ?? Data(), as: UTF8.self)
            if text.contains("] perturb ") { break }
            usleep(20_000)
        }
        XCTAssert(text.contains("] perturb "), text)
        p.interrupt()
        p.waitUntilExit()
        text = String(decoding: fm.contents(atPath: out) ?? Data(), as: UTF8.self)
        let message = String(decoding: fm.contents(atPath: err) ?? Data(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 130, text + message)
        XCTAssert(message.contains("interrupted"), message)
        XCTAssertEqual(computed(text).filter { $0 == "perturb" }.count, 1, "the perturbation ran to its end: \(text)")
        XCTAssertEqual(computed(text).filter { $0 == "train" || $0 == "evaluate" }, [], text)
        let again = try run(dir + "/cache")
        XCTAssertEqual(again.code, 0, again.err + again.out)
        XCTAssertEqual(computed(again.out).filter { $0 == "perturb" }, [], "kept in the cache: \(again.out)")
    }

    /// A stage the plan says needs more memory than this machine has is refused before anything runs
    /// (started, the kernel would kill it part-way with no message of ours).
    func testRunRefusesAStageThatCannotFitInMemory() throws {
        let spec = """
            \(tinySpec(train: "steps: 2, batch_size: 100000000"))
            attack: {poison: dirty_label, count: 5}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 65, r.err + r.out)
        XCTAssertNotNil(
            r.err.range(
                of:
                    #"error: train [0-9a-f]{12} \(.*spec.yaml\) needs about [0-9.]+ TB of memory by the plan; this machine has [0-9.]+ GB — lower its batch size"#,
                options: .regularExpression), r.err)
        // Nothing ran, not even the dataset stage.
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cache"))
    }

    /// Without `report.figure.x`, a spec sweeping another number (here the trigger amplitude) is drawn against it.
    func testReportFigureDefaultsToTheSweptNumber() throws {
        let spec = """
            \(tinySpec(train: "steps: 6, batch_size: 10, learning_rate: 0.05"))
            attack: {poison: clean_label, target: 1, fraction: 0.2, trigger: {amplitude: {sweep: [64, 255]}}}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        XCTAssertEqual(try run(dir + "/cache").code, 0)
        let r = try CLITests.run(["report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report"])
        XCTAssertEqual(r.code, 0, r.err)
        let figure = try String(contentsOfFile: dir + "/report/spec.svg", encoding: .utf8)
        XCTAssert(
            figure.contains(">attack.trigger.amplitude</text>") && figure.contains(">attack.target 1</text>"), figure)
        // Two sweeps: x is the fraction, one line per amplitude (as fig 5-1 draws one per noise level).
        try spec.replacingOccurrences(of: "fraction: 0.2", with: "fraction: {sweep: [0.2, 0.4]}").write(
            toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(dir + "/cache").code, 0)
        XCTAssertEqual(
            try CLITests.run(["report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report"]).code,
            0)
        let two = try String(contentsOfFile: dir + "/report/spec.svg", encoding: .utf8)
        XCTAssert(two.contains(">attack.fraction</text>"), two)
        // (the second name wraps: 28 characters against the legend's 27)
        XCTAssert(
            two.contains(">attack.trigger.amplitude 64</text>") && two.contains(">attack.trigger.amplitude</text>")
                && two.contains(">255</text>"), two)
        XCTAssertEqual(two.components(separatedBy: "<polyline").count - 1, 2, two)
    }

    /// `report` after a run: metrics, a figure over the swept fraction, and a verdict per expectation (exit 1 on a failure).
    func testReportGivesVerdictsAndAFigure() throws {
        // Long enough for both models to learn something: a verdict never rests on a model at chance.
        let learnt = """
            \(tinySpec(train: "steps: 40, batch_size: 10, learning_rate: 0.03, checkpoint_every: 5"))
            attack: {poison: clean_label, target: 1, fraction: {sweep: [0.2, 0.4]}}
            """
        try
            (learnt + "\n" + """
                expect:
                  - {finding: accuracy is a probability, metric: natural_accuracy, is: ">=", value: 0}
                  - {finding: ASR above 200 %, is: ">", value: 2}
                  - {finding: each fraction matches itself, is: ">=", than: spec.yaml, pair_by: attack.fraction}
                """).write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let before = try CLITests.run([
            "report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report",
        ])
        XCTAssertEqual(before.code, 0, before.err)
        XCTAssert(before.out.contains("not run  "), before.out)
        // Nothing cached yet: no measured time is set against the whole spec's estimate.
        let empty = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssertNotNil(
            empty.range(
                of: #"\n\| spec \| 0/2 \| 3 not run \| 0/\d+ \| 0 s \| 0 s \| [^|]+ \|\n"#, options: .regularExpression),
            empty)
        XCTAssertEqual(try run(dir + "/cache").code, 0)
        let after = try CLITests.run([
            "report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report",
        ])
        XCTAssertEqual(after.code, 1, after.err)
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssert(md.contains("Expectations: 2 holds, 1 fails, 0 not run."), md)
        XCTAssert(md.contains("![each fraction matches itself](spec-expect2.svg)"), md)
        let bars = try String(contentsOfFile: dir + "/report/spec-expect2.svg", encoding: .utf8)
        // 2 fractions × 2 sides, 2 legend keys.
        XCTAssertEqual(bars.components(separatedBy: "<rect x=").count - 1, 2 * 2 + 2, bars)
        XCTAssert(md.contains("- **fails** — ASR above 200 % ("), md)
        XCTAssert(md.contains("![spec](spec.svg)"), md)
        XCTAssertNotNil(
            md.range(
                of: #"\n\| spec \| 2/2 \| 2 holds, 1 fails \| (\d+)/\1 \| [^|]+ \| [^|]+ \| [^|]+ \|\n"#,
                options: .regularExpression), md)
        // Everything ran: the folder line compares all measured stage time with the plan's estimate for it.
        XCTAssertNotNil(
            md.range(
                of:
                    #"each shared stage once: (\d+) of \1 stages computed; they took .* \(measured / planned = \d+\.\d\d\)"#,
                options: .regularExpression), md)
        XCTAssertNotNil(
            md.range(
                of: #"\n\| train \| 2 \| [^|]+ \| [^|]+ \| \d+\.\d\d \| (—|\d) \|\n"#, options: .regularExpression), md)
        // A training that shared the machine is counted as such, so its ratio is not read as the cost model's error
        // (the test sets each training's recorded load: this machine's own may be anything).
        for (i, key) in try stageKeys("train", in: dir + "/cache").enumerated() {
            let path = URL(fileURLWithPath: dir + "/cache/\(key)/timing.json")
            var timing = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
            timing["others_load"] = i == 0 ? 0.5 : 0.0
            try JSONSerialization.data(withJSONObject: timing).write(to: path)
        }
        _ = try CLITests.run(["report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report"])
        let busy = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssertNotNil(
            busy.range(of: #"\n\| train \| 2 \| [^|]+ \| [^|]+ \| \d+\.\d\d \| 1 \|\n"#, options: .regularExpression),
            busy)
        XCTAssert(busy.contains("(On a busy machine: stages that ran while other processes used more than 10 %"), busy)
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/report/spec.svg"))
        // The victims' training loss, one line per run.
        let loss = try String(contentsOfFile: dir + "/report/spec-training-loss.svg", encoding: .utf8)
        XCTAssert(loss.contains(">attack.fraction=0.2</text>") && loss.contains(">attack.fraction=0.4</text>"), loss)
        XCTAssert(md.contains("![training loss](spec-training-loss.svg)"), md)
        // Image grids say what their rows are.
        XCTAssert(
            md.contains(
                "Rows, top to bottom: the original images; as trained on (with the trigger, true label); the difference from the original ×10 (mid-grey = none). One poison per column."
            ), md)
        // Charts also as PNG where rsvg-convert is installed (CI installs it); otherwise the output says how to get them.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert") {
            let png = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/report/spec.png"))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            XCTAssert(after.out.contains("the 3 charts also as PNG"), after.out)
        } else {
            XCTAssert(after.out.contains("apt-get install librsvg2-bin"), after.out)
        }
        let figure = try String(contentsOfFile: dir + "/report/spec.svg", encoding: .utf8)
        XCTAssert(figure.contains(">attack.fraction</text>") && figure.contains(">attack.target 1</text>"), figure)
        let html = try String(contentsOfFile: dir + "/report/report.html", encoding: .utf8)
        XCTAssert(html.contains("<li><b>fails</b> — ASR above 200 % ("), html)
        XCTAssert(html.contains("<img src=\"spec.svg\" alt=\"spec\">"), html)
        // The runs' table beside the figures, linked from both pages, one row per run.
        let table = try String(contentsOfFile: dir + "/report/spec.csv", encoding: .utf8).split(separator: "\n")
        XCTAssert(
            table.first?.hasPrefix("attack.fraction,poisoned_images,natural_accuracy,attack_success_rate") == true,
            "\(table)")
        XCTAssertEqual(table.count, 3, "\(table)")
        XCTAssert(md.contains("Tables: [spec.csv](spec.csv)"), md)
        XCTAssert(html.contains("Tables: <a href=\"spec.csv\">spec.csv</a>"), html)
        XCTAssert(after.out.contains(" figures and 1 CSV table"), after.out)
    }

    /// GAN interpolation end to end: one GAN and one encoding shared by a τ sweep, figures written,
    /// and a GAN training killed mid-way resumes to the same generator.
    func testGANInterpolationSharesTheGANAndResumes() throws {
        let spec = """
            \(tinySpec(train: "steps: 6, batch_size: 10, learning_rate: 0.05"))
            attack:
              poison: clean_label
              target: 1
              fraction: 0.2
              perturbation:
                kind: gan_interpolation
                tau: {sweep: [0, 0.3]}
                gan: {steps: 6, batch_size: 8, critic_steps: 2, kernel: 3, classes: all}
                encode: {steps: 15, optimizer: adam, step_size: 0.05}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err + r.out)
        XCTAssertEqual(computed(r.out).filter { $0 == "train_gan" }.count, 1)
        XCTAssertEqual(computed(r.out).filter { $0 == "encode" }.count, 1)
        XCTAssertEqual(computed(r.out).filter { $0 == "perturb" }.count, 2)
        let fm = FileManager.default
        let entries = try fm.contentsOfDirectory(atPath: dir + "/cache").filter { $0.count == 64 }
        func entry(with file: String) -> String? {
            entries.first { fm.fileExists(atPath: "\(dir)/cache/\($0)/\(file)") }
        }
        let gan = try XCTUnwrap(entry(with: "samples.png"))
        let encoding = try XCTUnwrap(entry(with: "encoding.json"))
        XCTAssertNotNil(entry(with: "strips.png"))
        XCTAssertNotNil(entry(with: "interpolations.png"))
        let e =
            try JSONSerialization.jsonObject(with: fm.contents(atPath: "\(dir)/cache/\(encoding)/encoding.json")!)
            as! [String: Any]
        XCTAssertEqual(e["images"] as? Int, 8)  // 4 poisons (20 % of class 1's 20 images) and 4 images to move towards
        XCTAssertGreaterThan(e["median_error"] as! Double, 0)
        // The report states the encoding's error and shows the GAN's figures.
        let rep = try CLITests.run(["report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report"])
        XCTAssertEqual(rep.code, 0, rep.err)
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        XCTAssert(md.contains(String(format: "over 8 images, median %.3g, mean", e["median_error"] as! Double)), md)
        XCTAssert(
            md.contains("-samples.png)") && md.contains("-strips.png)") && md.contains("-reconstructions.png)"), md)

        let killed = try run(dir + "/cache-b", env: ["BACKDOORLAB_KILL_AT_STEP": "3"])
        XCTAssertNotEqual(killed.code, 0)
        let resumed = try run(dir + "/cache-b")
        XCTAssertEqual(resumed.code, 0, resumed.err)
        XCTAssert(resumed.out.contains("resuming train_gan"), resumed.out)
        for f in ["generator.safetensors", "critic.safetensors", "training.json"] {
            XCTAssertEqual(
                fm.contents(atPath: "\(dir)/cache/\(gan)/\(f)"), fm.contents(atPath: "\(dir)/cache-b/\(gan)/\(f)"), f)
        }
        XCTAssertEqual(
            try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8).split(separator: "\n").count, 3)
    }
}

extension RunTests {
    /// The DP transfer set-up end to end: pre-training on the public split, DP-SGD on the rest, ε in the CSV.
    func testDPSGDRunReportsEpsilon() throws {
        let spec = """
            dataset: {name: fashion_mnist, path: \(dir)/data, public_fraction: 0.5}
            model: {units_per_group: 1, widths: [4, 4, 4], stem: 4}
            train: {steps: 6, learning_rate: 0.05}
            attack: {poison: dirty_label, count: 10, trigger: {corners: all}}
            defence:
              kind: {sweep: [dp_sgd, sgd_baseline]}
              lot_size: 30
              microbatches: 3
              noise_multiplier: 1
              pretrain: {dataset: public, train: {steps: 5, batch_size: 10, learning_rate: 0.05}}
            evaluate: {attack_success_rate: {exclude: classified_target}}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err + r.out)
        XCTAssertEqual(computed(r.out).filter { $0 == "pretrain" }.count, 1)
        let rows = try String(contentsOfFile: dir + "/results/spec.csv", encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let header = rows[0].map(String.init)
        let eps = try XCTUnwrap(header.firstIndex(of: "epsilon"))
        XCTAssertEqual(rows[1][0], "dp_sgd")
        // q = 30/150, 6 steps, σ = 1, δ = 1e-5: the accountant's value.
        XCTAssertGreaterThan(Double(rows[1][eps]) ?? 0, 0.5)
        XCTAssertEqual(rows[2][0], "sgd_baseline")
        XCTAssertEqual(rows[2][eps], "")
    }
}

extension RunTests {
    func testDetectionByFilteringReportsFoundPoisonsAndAGrid() throws {
        let spec = """
            \(tinySpec(train: "steps: 4, batch_size: 10, learning_rate: 0.05"))
            attack: {poison: dirty_label, count: 20}
            detection: {enabled: true, clean_images: 60, inspect: 30, train: {steps: 10, batch_size: 10, learning_rate: 0.05}}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err + r.out)
        XCTAssertEqual(computed(r.out).filter { $0 == "detect" }.count, 1)
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: dir + "/results/spec/results.json"))) as! [String: Any]
        let det = try XCTUnwrap(((json["runs"] as! [[String: Any]])[0])["detection"] as? [String: Any])
        XCTAssertEqual(det["inspect"] as? Int, 30)
        XCTAssertEqual(det["poisons"] as? Int, 20)
        XCTAssertEqual(det["expected_by_chance"] as? Double, 3)
        let fm = FileManager.default
        let key = try XCTUnwrap(
            try fm.contentsOfDirectory(atPath: dir + "/cache").first {
                fm.fileExists(atPath: "\(dir)/cache/\($0)/lowest.png")
            })
        let png = [UInt8](fm.contents(atPath: "\(dir)/cache/\(key)/lowest.png")!)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}

extension RunTests {
    func testLossTrackingWritesQuartilesAndAFigure() throws {
        let spec = """
            \(tinySpec(train: "steps: 40, batch_size: 10, learning_rate: 0.03, checkpoint_every: 15"))
            attack: {poison: clean_label, fraction: 0.3, target: 2, perturbation: {kind: gaussian_noise, sigma: 20}}
            loss_tracking: {enabled: true, every: 20}
            """
        FileManager.default.createFile(atPath: dir + "/spec.yaml", contents: Data(spec.utf8))
        let killed = try run(dir + "/cache", env: ["BACKDOORLAB_KILL_AT_STEP": "35"])
        XCTAssertNotEqual(killed.code, 0)
        let r = try run(dir + "/cache")
        XCTAssertEqual(r.code, 0, r.err + r.out)
        let fm = FileManager.default
        let key = try XCTUnwrap(
            try fm.contentsOfDirectory(atPath: dir + "/cache").first {
                fm.fileExists(atPath: "\(dir)/cache/\($0)/loss_tracking.csv")
            })
        let csv = try String(contentsOfFile: "\(dir)/cache/\(key)/loss_tracking.csv", encoding: .utf8).split(
            separator: "\n")
        XCTAssertEqual(csv[0], "step,group,q25,median,q75")
        // Steps 0, 20 and 40 for each of the three groups; step 20 came from before the kill.
        XCTAssertEqual(csv.count, 1 + 3 * 3, csv.joined(separator: "\n"))
        XCTAssert(csv.contains { $0.hasPrefix("20,poisoned_without_trigger,") })
        let svg = try String(contentsOfFile: "\(dir)/cache/\(key)/loss_tracking.svg", encoding: .utf8)
        XCTAssert(svg.hasPrefix("<svg") && svg.contains("poisoned without trigger"))
        // The metrics expectations read: the last step's medians without the trigger, and that ÷ with it.
        func median(_ group: String) throws -> Double {
            try XCTUnwrap(Double(try XCTUnwrap(csv.first { $0.hasPrefix("40,\(group),") }).split(separator: ",")[3]))
        }
        let without = try median("poisoned_without_trigger")
        let with = try median("poisoned")
        try
            (spec + "\n" + """
                expect:
                  - {finding: loss without at least W, metric: poison_loss_without_trigger, is: ">=", value: \(without)}
                  - {finding: loss without above W, metric: poison_loss_without_trigger, is: ">", value: \(without)}
                  - {finding: reliance at least R, metric: trigger_reliance, is: ">=", value: \(without / with)}
                  - {finding: reliance above R, metric: trigger_reliance, is: ">", value: \(without / with)}
                """).write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        _ = try CLITests.run(["report", dir + "/spec.yaml", "--cache", dir + "/cache", "--out", dir + "/report"])
        let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
        // The report redraws the loss figure from the cached CSV.
        let figure = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/report").first {
                $0.hasSuffix("-loss_tracking.svg")
            })
        let drawn = try String(contentsOfFile: dir + "/report/" + figure, encoding: .utf8)
        XCTAssert(drawn.hasPrefix("<svg") && drawn.contains("poisoned without trigger"), drawn)
        XCTAssert(md.contains("](\(figure))"), md)
        // …and copies the CSV it drew it from.
        let copied = try String(contentsOfFile: dir + "/report/" + figure.dropLast(4) + ".csv", encoding: .utf8)
        XCTAssert(copied.hasPrefix("step,group,q25,median,q75\n"), copied)
        for (finding, verdict) in [
            ("loss without at least W", "holds"), ("loss without above W", "fails"),
            ("reliance at least R", "holds"), ("reliance above R", "fails"),
        ] {
            XCTAssert(md.contains("- **\(verdict)** — \(finding)"), md)
        }
    }
}

extension RunTests {
    func testCacheListAndGarbageCollection() throws {
        let cache = dir + "/cache"
        XCTAssertEqual(try run(cache).code, 0)
        let ls = try CLITests.run(["cache", "ls", "--cache", cache])
        XCTAssertEqual(ls.out.split(separator: "\n").count, 8, ls.out)
        XCTAssert(ls.out.contains(" train "), ls.out)
        let keep = try CLITests.run(["cache", "gc", "--yes", "--cache", cache, dir + "/spec.yaml"])
        XCTAssert(keep.out.hasPrefix("removed 0 (0 B)\nkeeps 8 entries ("), keep.out)
        writeSpec(fractions: "[0.2]")
        // Without --yes, gc only says what it would remove (with what each entry served) and keeps everything.
        let dry = try CLITests.run(["cache", "gc", "--cache", cache, dir + "/spec.yaml"])
        XCTAssertEqual(dry.code, 0, dry.err)
        XCTAssert(dry.out.hasPrefix("would remove 4 ("), dry.out)
        XCTAssert(dry.out.contains("  train  "), dry.out)
        XCTAssert(dry.out.contains("served \(dir)/spec.yaml [attack.fraction=0.4]"), dry.out)
        XCTAssert(dry.out.contains("keeps 4 entries ("), dry.out)
        XCTAssert(dry.out.hasSuffix("nothing removed: run again with --yes to remove them\n"), dry.out)
        XCTAssertEqual(try stageKeys("train", in: cache).count, 2)
        let gc = try CLITests.run(["cache", "gc", "--yes", "--cache", cache, dir + "/spec.yaml"])
        // The 0.4 run's poison, train and evaluate, and the old report.
        XCTAssert(gc.out.hasPrefix("removed 4 ("), gc.out)
        XCTAssertEqual(try stageKeys("train", in: cache).count, 1)
        let again = try run(cache)
        XCTAssertEqual(computed(again.out), ["report"])
    }
}
