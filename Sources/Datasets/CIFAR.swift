/// CIFAR-10 and CIFAR-100 in their binary versions: records of label byte(s) then 3072 bytes,
/// the red, green and blue 32×32 planes in turn (converted here to HWC).
public enum CIFAR {
    public static let cifar10ClassNames = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]
    public static let cifar100CoarseNames = [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
        "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things",
        "large_natural_outdoor_scenes", "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates",
        "people", "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
    ]

    /// CIFAR-10 from `data_batch_1.bin` … `data_batch_5.bin` (train) or `test_batch.bin` (test).
    public static func loadCIFAR10(directory: String, split: Split) throws -> Dataset {
        let files = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        var images = [UInt8]()
        var labels = [Int]()
        for f in files {
            let (px, lb) = try readRecords(directory + "/" + f, labelBytes: 1, labelIndex: 0, classes: 10)
            images += px
            labels += lb
        }
        let names = (try? readNames(directory + "/batches.meta.txt", expected: 10)) ?? cifar10ClassNames
        return Dataset(
            name: "cifar10-\(split.rawValue)", height: 32, width: 32, channels: 3,
            images: images, labels: labels, classNames: names)
    }

    /// Which CIFAR-100 label to use: the 20 superclasses (the thesis's pre-training) or the 100 classes.
    public enum Labels: String, Sendable, Codable, CaseIterable { case coarse, fine }

    /// CIFAR-100 from `train.bin` or `test.bin` (coarse label byte, fine label byte, pixels).
    public static func loadCIFAR100(directory: String, split: Split, labels which: Labels) throws -> Dataset {
        let path = directory + "/" + (split == .train ? "train.bin" : "test.bin")
        let classes = which == .coarse ? 20 : 100
        let (px, lb) = try readRecords(path, labelBytes: 2, labelIndex: which == .coarse ? 0 : 1, classes: classes)
        let names: [String]
        if which == .coarse {
            names = (try? readNames(directory + "/coarse_label_names.txt", expected: 20)) ?? cifar100CoarseNames
        } else {
            names =
                (try? readNames(directory + "/fine_label_names.txt", expected: 100)) ?? (0..<100).map { "class_\($0)" }
        }
        return Dataset(
            name: "cifar100-\(which.rawValue)-\(split.rawValue)", height: 32, width: 32, channels: 3,
            images: px, labels: lb, classNames: names)
    }

    static func readRecords(_ path: String, labelBytes: Int, labelIndex: Int, classes: Int) throws -> ([UInt8], [Int]) {
        try records(try FileIO.read(path), labelBytes: labelBytes, labelIndex: labelIndex, classes: classes, path: path)
    }

    /// The records of a CIFAR binary file's bytes (`labelBytes` label bytes, then the three planes),
    /// as HWC pixels and the label at `labelIndex`; `path` names the file in errors.
    public static func records(_ b: [UInt8], labelBytes: Int, labelIndex: Int, classes: Int, path: String) throws -> (
        [UInt8], [Int]
    ) {
        precondition(
            labelBytes >= 1 && labelIndex < labelBytes, "a label byte must lie inside the record's label bytes")
        let rec = labelBytes + 3072
        guard !b.isEmpty else { throw DatasetError(path, .truncated(expected: rec, found: 0)) }
        guard b.count % rec == 0 else {
            throw DatasetError(path, .truncated(expected: (b.count / rec + 1) * rec, found: b.count))
        }
        let n = b.count / rec
        var px = [UInt8](repeating: 0, count: n * 3072)
        var labels = [Int](repeating: 0, count: n)
        b.withUnsafeBufferPointer { src in
            px.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let r = src.baseAddress! + i * rec
                    labels[i] = Int(r[labelIndex])
                    let planes = r + labelBytes
                    let o = dst.baseAddress! + i * 3072
                    for p in 0..<1024 {
                        o[p * 3] = planes[p]
                        o[p * 3 + 1] = planes[1024 + p]
                        o[p * 3 + 2] = planes[2048 + p]
                    }
                }
            }
        }
        if let bad = labels.firstIndex(where: { $0 >= classes }) {
            throw DatasetError(path, .labelOutOfRange(index: bad, label: labels[bad], classes: classes))
        }
        return (px, labels)
    }

    static func readNames(_ path: String, expected: Int) throws -> [String] {
        let text = String(decoding: try FileIO.read(path), as: UTF8.self)
        let names = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard names.count == expected else {
            throw DatasetError(path, .mismatch("\(names.count) class names, expected \(expected)"))
        }
        return names
    }
}
