import CZlib
import Foundation

/// Writes small dataset files in the exact on-disk formats, for loader tests.
public enum DatasetFiles {
    /// A fresh empty directory under the system's temporary directory.
    public static func temporaryDirectory(_ name: String = "backdoorlab-test") -> String {
        let d = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    public static func write(_ bytes: [UInt8], to path: String, gzip: Bool = false) {
        if gzip {
            let f = gzopen(path, "wb")!
            _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
            gzclose(f)
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
    }

    static func be32(_ v: Int) -> [UInt8] {
        [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
    }

    /// idx3-ubyte bytes: magic 0x803, count, rows, cols, pixels.
    public static func idxImages(count: Int, rows: Int, cols: Int, pixel: (Int, Int) -> UInt8) -> [UInt8] {
        var b = be32(0x803) + be32(count) + be32(rows) + be32(cols)
        for i in 0..<count { for p in 0..<(rows * cols) { b.append(pixel(i, p)) } }
        return b
    }

    /// idx1-ubyte bytes: magic 0x801, count, labels.
    public static func idxLabels(_ labels: [UInt8]) -> [UInt8] { be32(0x801) + be32(labels.count) + labels }

    /// One CIFAR record: label byte(s), then the R, G and B planes of a 32×32 image.
    public static func cifarRecord(labels: [UInt8], pixel: (_ y: Int, _ x: Int, _ channel: Int) -> UInt8) -> [UInt8] {
        var b = labels
        for ch in 0..<3 { for y in 0..<32 { for x in 0..<32 { b.append(pixel(y, x, ch)) } } }
        return b
    }
}
