import XCTest

@testable import Tensor

/// Runs `body` once per compiled copy of the vector kernels this CPU can run (AVX2, AVX-512), with the core
/// switched to it, and restores the level in use; skips the test on a CPU that has neither.
func forEachVectorLevel(_ body: (VectorKernels.Level) throws -> Void) throws {
    let levels = [VectorKernels.Level.avx2, .avx512].filter { $0 <= VectorKernels.cpu }
    try XCTSkipIf(levels.isEmpty, "this CPU has neither AVX2 nor AVX-512: the vector kernels never run on it")
    let before = VectorKernels.level
    defer { VectorKernels.use(before) }
    for level in levels {
        VectorKernels.use(level)
        try body(level)
    }
}
