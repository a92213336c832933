import CBLAS

/// The process's allocator, set for a compute tool: large tensors are freed and allocated again every batch.
public enum Heap {
    /// Keeps freed memory for reuse rather than returning it to the kernel (glibc; elsewhere nothing). The
    /// process's resident size then stays at its peak; inference at batch 500 gained about 5 % (page faults
    /// and the kernel's page zeroing were 4 % of a `bench` run's samples).
    public static func keepFreedMemory() { backdoorlab_keep_freed_memory() }
}
