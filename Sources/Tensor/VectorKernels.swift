import CBLAS
import TensorAVX2
import TensorAVX512
import TensorKernels

/// Which compiled copy of the vector kernels the core calls: AVX-512's where the CPU has it, else AVX2's
/// where it has AVX2 and FMA, else none (the portable loops and im2col + GEMM). One binary runs on every
/// x86-64 CPU: a copy is only ever called on a CPU that has its instructions.
///
/// `BACKDOORLAB_SIMD=avx2` or `portable` asks for a lesser level (benchmarks and tests compare them); a
/// level above the CPU's is never used.
public enum VectorKernels {
    public enum Level: Int, Comparable, Sendable, CaseIterable {
        case portable, avx2, avx512
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        /// As `BACKDOORLAB_SIMD` spells it.
        public var name: String { ["portable", "avx2", "avx512"][rawValue] }
    }

    /// What this CPU can run.
    public static let cpu: Level = {
        let f = backdoorlab_x86_vector_features()
        return f & 2 != 0 ? .avx512 : f & 1 != 0 ? .avx2 : .portable
    }()

    /// The level in use.
    nonisolated(unsafe) public private(set) static var level: Level = {
        let text = getenvString("BACKDOORLAB_SIMD")
        let asked = Level.allCases.first { $0.name == text }
        if let text, asked == nil {
            // A misspelt level must not pass for a measurement of the one asked for.
            warn("warning: BACKDOORLAB_SIMD=\(text) is not portable, avx2 or avx512; using \(cpu.name)")
        }
        return min(asked ?? .avx512, cpu)
    }()

    /// Chooses the level (at most the CPU's), for benchmarks and tests; not while a layer runs.
    public static func use(_ wanted: Level) { level = min(wanted, cpu) }

    /// The Winograd algorithm of the stride-1 3×3 layers' forward pass and input gradient, for `bench`'s header.
    public static var winograd: String { "Winograd F(\(WinogradConvolution.tile)×\(WinogradConvolution.tile), 3×3)" }

    /// The copy in use; nil at the portable level.
    static var active: (any KernelSet.Type)? {
        switch level {
        case .avx512: return TensorAVX512.Kernels.self
        case .avx2: return TensorAVX2.Kernels.self
        case .portable: return nil
        }
    }

    /// The copy in use, where a caller has checked that one is (`active != nil`).
    static var kernels: any KernelSet.Type {
        guard let k = active else { preconditionFailure("a vector kernel was called at the portable level") }
        return k
    }
}
