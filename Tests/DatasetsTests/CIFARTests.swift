import Datasets
import TestSupport
import XCTest

final class CIFARTests: XCTestCase {
    /// Pixel (y, x, channel) of record i encodes all four, so a wrong plane order or transpose shows.
    func pixel(_ i: Int) -> (Int, Int, Int) -> UInt8 { { y, x, c in UInt8((i * 31 + y * 5 + x * 3 + c * 100) % 256) } }

    func testCIFAR10FivePlusOneBatches() throws {
        let dir = DatasetFiles.temporaryDirectory()
        var i = 0
        for b in 1...5 {
            var bytes = [UInt8]()
            for _ in 0..<2 {
                bytes += DatasetFiles.cifarRecord(labels: [UInt8(i % 10)], pixel: pixel(i))
                i += 1
            }
            DatasetFiles.write(bytes, to: "\(dir)/data_batch_\(b).bin")
        }
        DatasetFiles.write(DatasetFiles.cifarRecord(labels: [7], pixel: pixel(99)), to: "\(dir)/test_batch.bin")
        let train = try CIFAR.loadCIFAR10(directory: dir, split: .train)
        let test = try CIFAR.loadCIFAR10(directory: dir, split: .test)
        XCTAssertEqual(train.count, 10)
        XCTAssertEqual(test.count, 1)
        XCTAssertEqual(train.labels, Array(0..<10))
        XCTAssertEqual(test.labels, [7])
        XCTAssertEqual(train.classNames[3], "cat")
        // HWC: image 4, pixel (y 2, x 5), channel 1.
        let img = Array(train.image(4))
        XCTAssertEqual(img[(2 * 32 + 5) * 3 + 1], pixel(4)(2, 5, 1))
        XCTAssertEqual(Array(test.image(0))[(31 * 32 + 31) * 3 + 2], pixel(99)(31, 31, 2))
    }

    func testCIFAR100CoarseAndFineLabels() throws {
        let dir = DatasetFiles.temporaryDirectory()
        var bytes = [UInt8]()
        for i in 0..<3 {
            bytes += DatasetFiles.cifarRecord(labels: [UInt8(i * 5), UInt8(i * 30 + 1)], pixel: pixel(i))
        }
        DatasetFiles.write(bytes, to: "\(dir)/train.bin")
        let coarse = try CIFAR.loadCIFAR100(directory: dir, split: .train, labels: .coarse)
        let fine = try CIFAR.loadCIFAR100(directory: dir, split: .train, labels: .fine)
        XCTAssertEqual(coarse.labels, [0, 5, 10])
        XCTAssertEqual(coarse.classes, 20)
        XCTAssertEqual(fine.labels, [1, 31, 61])
        XCTAssertEqual(fine.classes, 100)
        XCTAssertEqual(Array(fine.image(2))[(0 * 32 + 1) * 3], pixel(2)(0, 1, 0))
    }

    func testErrors() {
        let dir = DatasetFiles.temporaryDirectory()
        XCTAssertThrowsError(try CIFAR.loadCIFAR10(directory: dir, split: .test)) {
            XCTAssertEqual("\($0)", "\(dir)/test_batch.bin: file not found")
        }
        let rec = DatasetFiles.cifarRecord(labels: [1], pixel: pixel(0))
        DatasetFiles.write(rec + rec.prefix(100), to: "\(dir)/test_batch.bin")
        XCTAssertThrowsError(try CIFAR.loadCIFAR10(directory: dir, split: .test)) {
            XCTAssertEqual("\($0)", "\(dir)/test_batch.bin: truncated: expected 6146 bytes, found 3173")
        }
        DatasetFiles.write(rec + DatasetFiles.cifarRecord(labels: [10], pixel: pixel(1)), to: "\(dir)/test_batch.bin")
        XCTAssertThrowsError(try CIFAR.loadCIFAR10(directory: dir, split: .test)) {
            XCTAssertEqual("\($0)", "\(dir)/test_batch.bin: label 10 of record 1 is out of range 0..<10")
        }
        DatasetFiles.write(DatasetFiles.cifarRecord(labels: [20, 0], pixel: pixel(0)), to: "\(dir)/test.bin")
        XCTAssertThrowsError(try CIFAR.loadCIFAR100(directory: dir, split: .test, labels: .coarse)) {
            XCTAssertEqual("\($0)", "\(dir)/test.bin: label 20 of record 0 is out of range 0..<20")
        }
        DatasetFiles.write([], to: "\(dir)/train.bin")
        XCTAssertThrowsError(try CIFAR.loadCIFAR100(directory: dir, split: .train, labels: .fine)) {
            XCTAssertEqual("\($0)", "\(dir)/train.bin: truncated: expected 3074 bytes, found 0")
        }
    }
}
