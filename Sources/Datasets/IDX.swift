/// The IDX format of MNIST and Fashion-MNIST (big-endian header; optionally gzipped).
public enum IDX {
    /// Images [count, rows, cols] from an idx3-ubyte file.
    public static func readImages(_ path: String) throws -> (count: Int, rows: Int, cols: Int, pixels: [UInt8]) {
        try images(try FileIO.readGzip(path), path: path)
    }

    /// Images from the (decompressed) bytes of an idx3-ubyte file; `path` names it in errors.
    public static func images(_ b: [UInt8], path: String) throws -> (count: Int, rows: Int, cols: Int, pixels: [UInt8])
    {
        guard b.count >= 4 else { throw DatasetError(path, .truncated(expected: 16, found: b.count)) }
        let magic = be32(b, 0)
        guard magic == 0x0000_0803 else {
            throw DatasetError(path, .badMagic(expected: "an IDX image file (idx3-ubyte)"))
        }
        guard b.count >= 16 else { throw DatasetError(path, .truncated(expected: 16, found: b.count)) }
        let (n, r, c) = (be32(b, 4), be32(b, 8), be32(b, 12))
        // Sizes from the header are checked before use: rows = cols = 0, or a product that wraps, would
        // otherwise turn into a wild allocation or an out-of-bounds read downstream.
        guard (1...maxSide).contains(r), (1...maxSide).contains(c) else {
            throw DatasetError(path, .malformed("images of \(r)×\(c) pixels (each side must be 1 to \(maxSide))"))
        }
        let (pixels, overflow) = n.multipliedReportingOverflow(by: r * c)
        guard !overflow, pixels <= b.count - 16 else {
            throw DatasetError(path, .truncated(expected: overflow ? Int.max : 16 + pixels, found: b.count))
        }
        let need = 16 + pixels
        return (n, r, c, Array(b[16..<need]))
    }

    /// Labels from an idx1-ubyte file, each checked to be below `classes`.
    public static func readLabels(_ path: String, classes: Int) throws -> [Int] {
        try labels(try FileIO.readGzip(path), classes: classes, path: path)
    }

    /// Labels from the (decompressed) bytes of an idx1-ubyte file, each checked to be below `classes`.
    public static func labels(_ b: [UInt8], classes: Int, path: String) throws -> [Int] {
        guard b.count >= 4 else { throw DatasetError(path, .truncated(expected: 8, found: b.count)) }
        let magic = be32(b, 0)
        guard magic == 0x0000_0801 else {
            throw DatasetError(path, .badMagic(expected: "an IDX label file (idx1-ubyte)"))
        }
        guard b.count >= 8 else { throw DatasetError(path, .truncated(expected: 8, found: b.count)) }
        let n = be32(b, 4)
        guard n <= b.count - 8 else { throw DatasetError(path, .truncated(expected: 8 + n, found: b.count)) }
        var labels = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let l = Int(b[8 + i])
            guard l < classes else { throw DatasetError(path, .labelOutOfRange(index: i, label: l, classes: classes)) }
            labels[i] = l
        }
        return labels
    }

    /// The largest image side accepted (larger headers are damaged or crafted).
    static let maxSide = 4096

    static func be32(_ b: [UInt8], _ o: Int) -> Int {
        Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
    }
}

/// Fashion-MNIST: 60 000 training and 10 000 test images, 28×28 grey, 10 classes.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = [
        "t-shirt/top", "trouser", "pullover", "dress", "coat",
        "sandal", "shirt", "sneaker", "bag", "ankle boot",
    ]

    /// Loads the `train` or `t10k` split from `directory` (files may be gzipped or not).
    public static func load(directory: String = defaultDirectory, split: Split) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let imgPath = find(directory, "\(prefix)-images-idx3-ubyte")
        let lblPath = find(directory, "\(prefix)-labels-idx1-ubyte")
        let img = try IDX.readImages(imgPath)
        let labels = try IDX.readLabels(lblPath, classes: 10)
        guard labels.count == img.count else {
            throw DatasetError(lblPath, .mismatch("\(labels.count) labels for \(img.count) images in \(imgPath)"))
        }
        return Dataset(
            name: "fashion-mnist-\(prefix)", height: img.rows, width: img.cols, channels: 1,
            images: img.pixels, labels: labels, classNames: classNames)
    }

    static func find(_ dir: String, _ base: String) -> String {
        let gz = dir + "/" + base + ".gz"
        return FileIOExists(gz) ? gz : dir + "/" + base
    }
}

/// A dataset's two standard parts.
public enum Split: String, Sendable, Codable { case train, test }
