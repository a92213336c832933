import Datasets
import TestSupport
import XCTest

final class IDXTests: XCTestCase {
    func writeFashion(_ dir: String, split: String, count: Int, gzip: Bool, labels: [UInt8]? = nil) {
        let ext = gzip ? ".gz" : ""
        DatasetFiles.write(
            DatasetFiles.idxImages(count: count, rows: 28, cols: 28) { i, p in UInt8((i * 7 + p) % 256) },
            to: "\(dir)/\(split)-images-idx3-ubyte\(ext)", gzip: gzip)
        DatasetFiles.write(
            DatasetFiles.idxLabels(labels ?? (0..<count).map { UInt8($0 % 10) }),
            to: "\(dir)/\(split)-labels-idx1-ubyte\(ext)", gzip: gzip)
    }

    func testLoadsGzippedAndPlainFiles() throws {
        for gzip in [true, false] {
            let dir = DatasetFiles.temporaryDirectory()
            writeFashion(dir, split: "train", count: 12, gzip: gzip)
            writeFashion(dir, split: "t10k", count: 5, gzip: gzip)
            let train = try FashionMNIST.load(directory: dir, split: .train)
            let test = try FashionMNIST.load(directory: dir, split: .test)
            XCTAssertEqual(train.count, 12)
            XCTAssertEqual(test.count, 5)
            XCTAssertEqual(train.shape, [28, 28, 1])
            XCTAssertEqual(train.labels, (0..<12).map { $0 % 10 })
            XCTAssertEqual(Array(train.image(3).prefix(3)), [21, 22, 23])
            XCTAssertEqual(train.classNames[9], "ankle boot")
        }
    }

    func testErrorsNameTheFileAndTheProblem() {
        let dir = DatasetFiles.temporaryDirectory()
        XCTAssertThrowsError(try FashionMNIST.load(directory: dir, split: .train)) {
            XCTAssertEqual("\($0)", "\(dir)/train-images-idx3-ubyte: file not found")
        }
        // Labels as images: bad magic.
        DatasetFiles.write(DatasetFiles.idxLabels([1, 2]), to: "\(dir)/train-images-idx3-ubyte.gz", gzip: true)
        XCTAssertThrowsError(try FashionMNIST.load(directory: dir, split: .train)) {
            XCTAssertEqual(
                "\($0)",
                "\(dir)/train-images-idx3-ubyte.gz: not an IDX image file (idx3-ubyte) (it does not start with the format's magic number)"
            )
        }
        // Header promises 3 images; only 2 are there.
        let full = DatasetFiles.idxImages(count: 3, rows: 28, cols: 28) { _, _ in 0 }
        DatasetFiles.write(Array(full.dropLast(784)), to: "\(dir)/train-images-idx3-ubyte.gz", gzip: true)
        XCTAssertThrowsError(try FashionMNIST.load(directory: dir, split: .train)) {
            XCTAssertEqual("\($0)", "\(dir)/train-images-idx3-ubyte.gz: truncated: expected 2368 bytes, found 1584")
        }
        writeFashion(dir, split: "train", count: 3, gzip: true, labels: [1, 12, 3])
        XCTAssertThrowsError(try FashionMNIST.load(directory: dir, split: .train)) {
            XCTAssertEqual("\($0)", "\(dir)/train-labels-idx1-ubyte.gz: label 12 of record 1 is out of range 0..<10")
        }
        writeFashion(dir, split: "train", count: 3, gzip: true, labels: [1, 2])
        XCTAssertThrowsError(try FashionMNIST.load(directory: dir, split: .train)) {
            XCTAssert("\($0)".hasSuffix("2 labels for 3 images in \(dir)/train-images-idx3-ubyte.gz"), "\($0)")
        }
    }

    func testRealFashionMNISTWhenInstalled() throws {
        let dir = FashionMNIST.defaultDirectory
        try XCTSkipUnless(
            FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte.gz"),
            "dataset-fashion-mnist is not installed")
        let train = try FashionMNIST.load(split: .train)
        let test = try FashionMNIST.load(split: .test)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(train.classCounts, Array(repeating: 6_000, count: 10))
        XCTAssertEqual(test.classCounts, Array(repeating: 1_000, count: 10))
        XCTAssertEqual(train.images.count, 60_000 * 784)
    }
}
