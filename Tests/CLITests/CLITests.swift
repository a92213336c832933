import Foundation
import TestSupport
import XCTest

/// Runs the built `backdoorlab` executable as a user would.
final class CLITests: XCTestCase {
    struct Result {
        var code: Int32
        var out: String
        var err: String
    }

    static var executable: URL {
        Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("backdoorlab")
    }

    func run(_ args: [String], env: [String: String] = [:]) throws -> Result { try CLITests.run(args, env: env) }

    static func run(_ args: [String], env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = CLITests.executable
        p.arguments = args
        if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(
            code: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func tinyFashion() -> String {
        let dir = DatasetFiles.temporaryDirectory()
        for (split, n) in [("train", 20), ("t10k", 10)] {
            DatasetFiles.write(
                DatasetFiles.idxImages(count: n, rows: 28, cols: 28) { i, p in UInt8((p / 28) % 10 == i % 10 ? 200 : 20)
                },
                to: "\(dir)/\(split)-images-idx3-ubyte.gz", gzip: true)
            DatasetFiles.write(
                DatasetFiles.idxLabels((0..<n).map { UInt8($0 % 10) }), to: "\(dir)/\(split)-labels-idx1-ubyte.gz",
                gzip: true)
        }
        return dir
    }

    func testDataInfo() throws {
        let r = try run(["data", "info", "--data-dir", tinyFashion()])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssert(r.out.contains("fashion-mnist-train: 20 images 28×28×1, 10 classes"), r.out)
        XCTAssert(r.out.contains("  9 ankle boot: 2"), r.out)
    }

    func testTrainSavesASafetensorsCheckpoint() throws {
        let dir = tinyFashion()
        let r = try run([
            "train", "--data-dir", dir, "--epochs", "1", "--batch-size", "5", "--save", dir + "/m.safetensors",
        ])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssert(r.out.contains("test accuracy"), r.out)
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
    }

    func testMissingDatasetExits66WithTheFileName() throws {
        let r = try run(["data", "info", "--data-dir", "/nonexistent/fm"])
        XCTAssertEqual(r.code, 66)
        XCTAssertEqual(r.err, "error: /nonexistent/fm/train-images-idx3-ubyte: file not found\n")
    }

    func testBadArgumentsExit64() throws {
        let r = try run(["train", "--epochs=-1"])
        XCTAssertEqual(r.code, 64)
        XCTAssert(r.err.contains("--epochs must be > 0 (got -1.0)"), r.err)
        let u = try run(["train", "--batch-sise", "3"])
        XCTAssertEqual(u.code, 64)
        XCTAssert(u.err.contains("Unknown option '--batch-sise'"), u.err)
        // Thread and step counts below 1 are refused, not quietly raised to 1 (or divided by).
        for (args, message) in [
            (["run", "x.yaml", "--threads", "0"], "--threads must be at least 1 (got 0)"),
            (["bench", "--steps", "0"], "--steps must be at least 1 (got 0)"),
            (["bench", "--threads=-2"], "--threads must be at least 1 (got -2)"),
            (["train", "--threads", "0"], "--threads must be at least 1 (got 0)"),
        ] {
            let r = try run(args)
            XCTAssertEqual(r.code, 64, args.joined(separator: " "))
            XCTAssert(r.err.contains(message), r.err)
        }
    }
}
