import CBLAS

/// The process's allocator, set for a compute tool: large tensors are freed and allocated again every batch.
public enum Heap {
    /// Keeps freed memory for reuse rather than returning it to the kernel (glibc; elsewhere nothing). The
    /// process's resident size then stays at its peak; a `bench` run takes half the page faults.
    public static func keepFreedMemory() { backdoorlab_keep_freed_memory() }
}
