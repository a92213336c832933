// swift-tools-version:6.0
import Foundation
import PackageDescription

// Hot loops index with wrapping arithmetic; -Ounchecked removes the remaining
// overflow and bounds checks in release builds of the numeric targets only.
var fastFlags = ["-Ounchecked"]

// Swift compiles for baseline x86-64 (SSE2) unless told otherwise. When the building machine has
// the Haswell instruction set (AVX2, FMA, BMI2, …) the numeric targets use it: +8 % ResNet-8 and
// +7–15 % ResNet-32 training steps here. Swift does not fuse multiply-adds, so results are
// bit-identical to the baseline build. BACKDOORLAB_PORTABLE=1 builds for any x86-64 (a binary
// for older cluster nodes).
#if arch(x86_64) && os(Linux)
let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("flags") }
    .map { Set($0.split(separator: " ").map(String.init)) } ?? []
let haswell: Set = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "popcnt", "sse4_2"]
if ProcessInfo.processInfo.environment["BACKDOORLAB_PORTABLE"] == nil, haswell.isSubset(of: cpuFlags) {
    fastFlags += ["-target-cpu", "haswell"]
}
#endif
let fast: [SwiftSetting] = [.unsafeFlags(fastFlags, .when(configuration: .release))]

let package = Package(
    name: "BackdoorLab",
    products: [
        .executable(name: "backdoorlab", targets: ["backdoorlab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "Datasets", dependencies: ["CZlib"], swiftSettings: fast),
        .target(name: "Learning", dependencies: ["Tensor", "Datasets"], swiftSettings: fast),
        .target(name: "Backdoor", dependencies: ["Tensor", "Datasets", "Learning"], swiftSettings: fast),
        .target(name: "Reports", dependencies: []),
        .target(name: "Experiment", dependencies: [
            "CYAML", "Learning", "Datasets", "Backdoor", "Reports", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "backdoorlab", dependencies: [
            "Tensor", "Datasets", "Learning", "Backdoor", "Experiment",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: ["Tensor", "Datasets", "CZlib"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ExperimentTests", dependencies: ["Experiment", "Datasets", "TestSupport"], exclude: ["Specs"]),
        .testTarget(name: "BackdoorTests", dependencies: ["Backdoor", "Datasets", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["backdoorlab", "Datasets", "TestSupport"], exclude: ["Slurm"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], resources: [.copy("Fixtures")]),
    ]
)
