// swift-tools-version:6.0
import PackageDescription

// Hot loops index with wrapping arithmetic; -Ounchecked removes the remaining
// overflow and bounds checks in release builds of the numeric targets only.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    // Debug builds (the test suite's) optimise the numeric targets too, keeping overflow and bounds checks:
    // unoptimised, a tiny GAN's six steps took 53 s of the suite's 13 minutes.
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "BackdoorLab",
    products: [
        .executable(name: "backdoorlab", targets: ["backdoorlab"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The vector kernels (direct and Winograd convolutions, batch-norm sweeps), compiled twice from one set
        // of sources: for AVX-512 and for AVX2 + FMA (`TensorAVX2` links to `TensorAVX512`'s files). `Tensor`
        // calls the copy the CPU can run, through `TensorKernels.KernelSet`, and its portable loops on others.
        .target(name: "TensorKernels"),
        .target(
            name: "TensorAVX512", dependencies: ["TensorKernels"],
            swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"])] + fast),
        .target(
            name: "TensorAVX2", dependencies: ["TensorKernels"],
            swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"]), .define("TENSOR_AVX2")] + fast),
        .target(
            name: "Tensor", dependencies: ["CBLAS", "TensorKernels", "TensorAVX512", "TensorAVX2"],
            swiftSettings: fast),
        .target(name: "Datasets", dependencies: ["CZlib"], swiftSettings: fast),
        .target(name: "Learning", dependencies: ["Tensor", "Datasets"], swiftSettings: fast),
        .target(name: "Backdoor", dependencies: ["Tensor", "Datasets", "Learning"], swiftSettings: fast),
        .target(name: "Reports", dependencies: []),
        .target(
            name: "Experiment",
            dependencies: [
                "CYAML", "Tensor", "Datasets", "Learning", "Backdoor", "Reports",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "backdoorlab",
            dependencies: [
                "Tensor", "Datasets", "Learning", "Backdoor", "Experiment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .target(name: "TestSupport", dependencies: ["Tensor", "Datasets", "CZlib"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TensorKernels", "TensorAVX512", "TestSupport"]),
        .testTarget(
            name: "LearningTests", dependencies: ["Learning", "Tensor", "Datasets", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ExperimentTests", dependencies: ["Experiment", "Backdoor", "Datasets", "Tensor", "TestSupport"],
            exclude: ["Specs", "Schema"]),
        .testTarget(
            name: "BackdoorTests", dependencies: ["Backdoor", "Datasets", "Learning", "Tensor", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["backdoorlab", "Datasets", "TestSupport"], exclude: ["Slurm"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], resources: [.copy("Fixtures")]),
    ]
)

// Coverage-guided fuzzing of spec loading (Tests/Fuzz/run.sh sets BACKDOORLAB_FUZZ and builds with
// -sanitize=fuzzer,address). Left out of ordinary builds: libFuzzer's runtime supplies its main.
if Context.environment["BACKDOORLAB_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(name: "FuzzSpecs", dependencies: ["Experiment"], path: "Tests/Fuzz/FuzzSpecs"))
    package.targets.append(
        .executableTarget(name: "FuzzReaders", dependencies: ["Datasets", "Backdoor"], path: "Tests/Fuzz/FuzzReaders"))
}
