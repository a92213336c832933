import CBLAS
import Dispatch

/// The compute core's threading: kernels split work over `threads` workers by a fixed
/// partition and reduce partial results in worker order, so results are bit-identical for a
/// given thread count. OpenBLAS runs single-threaded inside them (its own threads would only
/// contend with ours; measured in `bench`).
public enum Parallel {
    nonisolated(unsafe) public private(set) static var threads = defaultThreads()

    /// Sets the worker count (≥ 1) and makes OpenBLAS single-threaded. Call it before any parallel work.
    public static func configure(threads n: Int) {
        threads = max(1, n)
        openblas_set_num_threads(1)
        if pool.size != threads - 1 {
            pool.retire()
            pool = WorkerPool(workers: threads - 1)
        }
    }

    /// The persistent workers `forEach` runs on; `BACKDOORLAB_POOL=dispatch` uses libdispatch's
    /// `concurrentPerform` instead (for comparison).
    nonisolated(unsafe) static var pool = WorkerPool(workers: threads - 1)
    static let usesPool = getenvString("BACKDOORLAB_POOL") != "dispatch"

    static func defaultThreads() -> Int {
        BLASCore.ensureSelected()
        openblas_set_num_threads(1)
        if let s = getenvString("BACKDOORLAB_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, sysconf_nprocs())
    }

    /// Runs `body(worker)` for worker in 0..<count on up to `threads` threads (the caller and the pool's
    /// workers); a call from inside another one runs its iterations in order on its own thread.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        if usesPool {
            pool.run(count, body)
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// The half-open range of `total` items that worker `w` of `workers` owns (contiguous, fixed).
    @inline(__always)
    public static func range(_ w: Int, of workers: Int, total: Int) -> Range<Int> {
        (w * total / workers)..<((w + 1) * total / workers)
    }
}

#if canImport(Glibc)
    import Glibc
    func sysconf_nprocs() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
    func getenvString(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
#else
    import Darwin
    func sysconf_nprocs() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
    func getenvString(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
#endif

/// Writes `text` and a newline to standard error at once (a setting read once, before any output of the core's).
func warn(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// A raw pointer that may cross into `Parallel.forEach` workers, which write disjoint parts.
public struct SharedPointer<T>: @unchecked Sendable {
    public let p: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
    public init(_ p: UnsafePointer<T>) { self.p = UnsafeMutablePointer(mutating: p) }
}
