import Backdoor
import Datasets
import Foundation

// Coverage-guided fuzzing of the file readers a spec can point at: PNG and `.npy` (trigger patterns),
// IDX (Fashion-MNIST) and CIFAR binary records, each followed by what its caller does with the result.
// The reader is chosen by $FUZZ_READER (png, npy, idx, cifar); one binary, four targets with separate
// corpora (Tests/Fuzz/run.sh runs each). A file must decode or throw; a trap or a sanitizer report is
// a defect. Debug builds keep Swift's bounds and overflow checks, so an out-of-range size traps here
// where the -Ounchecked release build would read out of bounds.

enum Reader: String { case png, npy, idx, cifar }

let reader: Reader = {
    guard let name = ProcessInfo.processInfo.environment["FUZZ_READER"], let r = Reader(rawValue: name) else {
        fatalError("set FUZZ_READER to png, npy, idx or cifar")
    }
    return r
}()

/// Decodes `bytes` as the chosen format; what decodes is used as the project uses it.
func exercise(_ bytes: [UInt8]) {
    switch reader {
    case .png:
        guard let img = try? PNG.decode(bytes, path: "fuzz.png") else { return }
        precondition(img.rgb.count == img.width * img.height * 3)
        _ = TriggerImage.signs(
            grey: stride(from: 0, to: img.rgb.count, by: 3).map { img.rgb[$0] }, side: img.width, size: 4)
    case .npy:
        guard let a = try? NPY.decode(bytes, path: "fuzz.npy") else { return }
        if case .uint8(let v) = a.values, a.shape.count == 2, a.shape[0] == a.shape[1], a.shape[0] > 0 {
            _ = TriggerImage.signs(grey: v, side: a.shape[0], size: 4)
        }
        _ = NPY.encode(a)
    case .idx:
        // The first byte picks images or labels, so one corpus covers both.
        guard let kind = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        if kind % 2 == 0 {
            guard let img = try? IDX.images(rest, path: "fuzz-idx3") else { return }
            let d = Dataset(
                name: "fuzz", height: img.rows, width: img.cols, channels: 1, images: img.pixels,
                labels: Array(repeating: 0, count: img.count), classNames: ["a"])
            _ = d.channelStatistics()
        } else {
            _ = try? IDX.labels(rest, classes: 10, path: "fuzz-idx1")
        }
    case .cifar:
        guard let kind = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        let (labelBytes, index, classes) = kind % 2 == 0 ? (1, 0, 10) : (2, Int(kind / 2 % 2), 100)
        _ = try? CIFAR.records(rest, labelBytes: labelBytes, labelIndex: index, classes: classes, path: "fuzz.bin")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
