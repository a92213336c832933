import CBLAS

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Which of OpenBLAS's kernel sets runs our matrix products.
///
/// An OpenBLAS built for many CPUs (`DYNAMIC_ARCH`, as Debian's) picks its kernels from the CPU's
/// model number, and a build older than the CPU does not know the number: Debian 12's 0.3.21 runs
/// its SSE3 kernels ("Prescott") on a 5th-generation Xeon (family 6, model 207), at a quarter of the
/// speed of its AVX-512 ones. The feature flags are what decides which kernels can run, so the core
/// reads them and, when OpenBLAS chose kernels for an older CPU, switches to the best set the
/// flags allow. `OPENBLAS_CORETYPE` in the environment is the user's choice and is left alone.
public enum BLASCore {
    /// OpenBLAS's name of the kernel set in use, e.g. "SkylakeX".
    public static var name: String {
        _ = selection
        return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// The kernel set OpenBLAS picked itself, when the core replaced it; nil when it kept it.
    public static var replaced: String? { selection }

    /// Runs the selection once, before the first matrix product.
    @inline(__always)
    static func ensureSelected() { _ = selection }

    private static let selection: String? = select()

    /// The kernel set the CPU's flags call for, or nil when they call for none in particular.
    static func preferred(features: Int32) -> String? {
        if features & 2 != 0 { return features & 4 != 0 ? "Cooperlake" : "SkylakeX" }
        if features & 1 != 0 { return "Haswell" }
        return nil
    }

    /// Whether OpenBLAS's own pick `current` is already as fast a kernel family as `wanted`.
    static func suffices(_ current: String, for wanted: String) -> Bool {
        let avx512: Set = ["skylakex", "cooperlake", "sapphirerapids"]
        let avx2: Set = ["haswell", "zen", "skylake", "excavator"]
        let c = current.lowercased()
        if avx512.contains(c) { return true }
        return wanted == "Haswell" && avx2.contains(c)
    }

    private static func select() -> String? {
        guard getenv("OPENBLAS_CORETYPE") == nil,
            let wanted = preferred(features: backdoorlab_x86_vector_features()),
            let current = openblas_get_corename().map({ String(cString: $0) }),
            !suffices(current, for: wanted),
            let quit = symbol("gotoblas_dynamic_quit"), let initialise = symbol("gotoblas_dynamic_init")
        else { return nil }
        // OpenBLAS reads OPENBLAS_CORETYPE when it initialises; no product has run yet, so re-initialising
        // only swaps the kernel table. The variable is removed again so that the environment stays the user's.
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        quit()
        initialise()
        unsetenv("OPENBLAS_CORETYPE")
        return current
    }

    /// A function of OpenBLAS's that only `DYNAMIC_ARCH` builds export, looked up at run time so that
    /// other builds still link.
    private static func symbol(_ name: String) -> (@convention(c) () -> Void)? {
        #if canImport(Glibc)
            let handle = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT
        #else
            let handle = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT on Darwin
        #endif
        guard let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: (@convention(c) () -> Void).self)
    }
}
