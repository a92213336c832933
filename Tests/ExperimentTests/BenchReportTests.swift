import XCTest

@testable import Experiment

final class BenchReportTests: XCTestCase {
    /// A plain `bench` keeps the GAN, PGD and DP-SGD rates an earlier `bench --gan --pgd --dp` measured
    /// on the same machine and threads; what it measured itself, and other machines' figures, win.
    func testPlainBenchKeepsEarlierOptionalMeasurements() {
        var earlier = BenchReport(threads: 2, cpu: "EPYC")
        earlier.pgd = 3.5
        earlier.gan = [.init(input: "28x28x1", secondsPerStep: 1.3, trainingGflops: 117, encodeGflops: 158)]
        earlier.privacy = [.init(setup: "dp", imagesPerSecond: 40)]

        let step = { (model: String, input: String, gflops: Double) in
            BenchReport.Throughput(
                model: model, input: input, batch: 100, imagesPerSecond: 1, bestImagesPerSecond: 1, gflops: gflops)
        }
        earlier.inputGradient = [step("resnet-8", "28x28x1", 70), step("resnet-32", "32x32x3", 95)]

        var plain = BenchReport(threads: 2, cpu: "EPYC")
        plain.inputGradient = [step("resnet-8", "28x28x1", 60)]
        XCTAssertEqual(plain.keep(from: earlier), ["DP-SGD", "PGD", "GAN"])
        XCTAssertEqual(plain.pgd, 3.5)
        // The ResNet-32 step rate came with the PGD figure; the ResNet-8 one measured now wins.
        XCTAssertEqual(plain.inputGradient.map(\.gflops), [60, 95])
        XCTAssertEqual(plain.gan.map(\.trainingGflops), [117])

        var measured = BenchReport(threads: 2, cpu: "EPYC")
        measured.pgd = 4.0
        XCTAssertEqual(measured.keep(from: earlier), ["DP-SGD", "GAN"])
        XCTAssertEqual(measured.pgd, 4.0)

        var otherThreads = BenchReport(threads: 1, cpu: "EPYC")
        XCTAssertEqual(otherThreads.keep(from: earlier), [])
        XCTAssertNil(otherThreads.pgd)
        var nothingStored = BenchReport(threads: 2, cpu: "EPYC")
        XCTAssertEqual(nothingStored.keep(from: nil), [])
    }

    /// What `store` writes, `stored` reads back (with and without the optional PGD figure).
    func testStoredReportReadsBack() throws {
        let home = NSTemporaryDirectory() + "bench-\(UUID().uuidString)"
        setenv("BACKDOORLAB_HOME", home, 1)
        defer {
            unsetenv("BACKDOORLAB_HOME")
            try? FileManager.default.removeItem(atPath: home)
        }
        var r = BenchReport(threads: 2, cpu: "EPYC")
        r.gan = [.init(input: "28x28x1", secondsPerStep: 1.3, trainingGflops: 117, encodeGflops: 158)]
        try r.store()
        XCTAssertNil(BenchReport.stored()?.pgd)
        XCTAssertEqual(BenchReport.stored()?.gan.first?.encodeGflops, 158)
        r.pgd = 3.5
        try r.store()
        XCTAssertEqual(BenchReport.stored()?.pgd, 3.5)
    }

    /// A kept figure remembers the training rate of the bench that measured it; a later plain bench on a
    /// machine that now trains more than 10 % slower (or faster) flags it, one that trains alike does not.
    func testKeptFiguresFromAFasterMachineAreFlagged() {
        let fast = BenchReport.Throughput(
            model: "resnet-8", input: "28x28x1", batch: 128, imagesPerSecond: 1700, bestImagesPerSecond: 1800,
            gflops: 98)
        var first = BenchReport(threads: 2, cpu: "EPYC")
        first.training = [fast]
        first.pgd = 3.5
        first.gan = [.init(input: "28x28x1", secondsPerStep: 1.3, trainingGflops: 117, encodeGflops: 158)]
        XCTAssertEqual(first.keep(from: nil), [])
        XCTAssertEqual(first.measuredAtTrainingGflops, ["PGD": 98, "GAN": 98])

        var slow = BenchReport(threads: 2, cpu: "EPYC")
        slow.training = [fast]
        slow.training[0].gflops = 76
        slow.pgd = 3.0
        XCTAssertEqual(slow.keep(from: first), ["GAN"])
        XCTAssertEqual(slow.measuredAtTrainingGflops, ["PGD": 76, "GAN": 98])
        let stale = slow.staleFigures
        XCTAssertEqual(stale.map(\.name), ["GAN"])
        XCTAssertEqual(stale[0].ratio, 76.0 / 98.0, accuracy: 1e-12)

        // Kept through a second plain bench at the same speed: still flagged, its origin carried along.
        var again = BenchReport(threads: 2, cpu: "EPYC")
        again.training = slow.training
        XCTAssertEqual(again.keep(from: slow), ["PGD", "GAN"])
        XCTAssertEqual(again.staleFigures.map(\.name), ["GAN"])

        var alike = BenchReport(threads: 2, cpu: "EPYC")
        alike.training = [fast]
        alike.training[0].gflops = 93
        XCTAssertEqual(alike.keep(from: first), ["PGD", "GAN"])
        XCTAssertTrue(alike.staleFigures.isEmpty)
    }

    /// A network whose input-gradient steps `bench` did not measure gets the measured networks' ratio of
    /// input-gradient to training rate, times its own training rate; with no such figure at all, its training rate.
    func testInputGradientRateOfAnUnmeasuredNetworkFollowsTheMeasuredRatio() {
        var rates = Rates.defaults
        rates.training = [
            .init(depth: 8, input: "28x28x1", gflops: 80), .init(depth: 32, input: "32x32x3", gflops: 110),
        ]
        XCTAssertEqual(rates.inputGradient(for: [32, 32, 3], depth: 32), 110, accuracy: 1e-9)
        rates.inputGradient = [.init(depth: 8, input: "28x28x1", gflops: 40)]
        XCTAssertEqual(rates.inputGradient(for: [28, 28, 1], depth: 8), 40, accuracy: 1e-9)
        XCTAssertEqual(rates.inputGradient(for: [32, 32, 3], depth: 32), 0.5 * 110, accuracy: 1e-9)
    }
}
