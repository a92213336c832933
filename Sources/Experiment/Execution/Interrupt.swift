#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT/SIGTERM set a flag that long stages check between steps, so they stop cleanly after
/// writing a checkpoint instead of dying mid-write.
public enum Interrupt {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0

    public static func install() {
        signal(SIGINT) { _ in Interrupt.requested = 1 }
        signal(SIGTERM) { _ in Interrupt.requested = 1 }
    }

    public static var isRequested: Bool { requested != 0 }

    /// Test hook: `BACKDOORLAB_KILL_AT_STEP=N` SIGKILLs the process right after training step N, to
    /// test resumption after a hard kill deterministically.
    static let killAtStep: Int? = getenv("BACKDOORLAB_KILL_AT_STEP").flatMap { Int(String(cString: $0)) }

    /// Test hook: `BACKDOORLAB_KILL_AT_RENAME=N` SIGKILLs the process just before the cache's N-th
    /// rename (checkpoint swaps and entry commits, counted from 1), to test every crash window.
    static let killAtRename: Int? = getenv("BACKDOORLAB_KILL_AT_RENAME").flatMap { Int(String(cString: $0)) }
    nonisolated(unsafe) static var renames = 0

    static func beforeRename() {
        renames += 1
        if killAtRename == renames { kill(getpid(), SIGKILL) }
    }
}

public struct Interrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String {
        "interrupted; finished stages are cached and training resumes from its checkpoint"
    }
}
