@testable import backdoorlab
import XCTest

final class BenchReportTests: XCTestCase {
    /// A plain `bench` keeps the GAN, PGD and DP-SGD rates an earlier `bench --gan --pgd --dp` measured
    /// on the same machine and threads; what it measured itself, and other machines' figures, win.
    func testPlainBenchKeepsEarlierOptionalMeasurements() {
        var earlier = BenchReport(threads: 2, cpu: "EPYC")
        earlier.pgd = 3.5
        earlier.gan = [.init(input: "28x28x1", secondsPerStep: 1.3, trainingGflops: 117, encodeGflops: 158)]
        earlier.privacy = [.init(setup: "dp", imagesPerSecond: 40)]

        var plain = BenchReport(threads: 2, cpu: "EPYC")
        XCTAssertEqual(plain.keep(from: earlier), ["DP-SGD", "PGD", "GAN"])
        XCTAssertEqual(plain.pgd, 3.5)
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
        defer { unsetenv("BACKDOORLAB_HOME"); try? FileManager.default.removeItem(atPath: home) }
        var r = BenchReport(threads: 2, cpu: "EPYC")
        r.gan = [.init(input: "28x28x1", secondsPerStep: 1.3, trainingGflops: 117, encodeGflops: 158)]
        try r.store()
        XCTAssertNil(BenchReport.stored()?.pgd)
        XCTAssertEqual(BenchReport.stored()?.gan.first?.encodeGflops, 158)
        r.pgd = 3.5
        try r.store()
        XCTAssertEqual(BenchReport.stored()?.pgd, 3.5)
    }
}
