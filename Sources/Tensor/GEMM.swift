import CBLAS

/// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major, through OpenBLAS.
/// `transA`: A is stored k×m; `transB`: B is stored n×k.
@inline(__always)
public func gemm(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Float>, transA: Bool = false,
    _ b: UnsafePointer<Float>, transB: Bool = false,
    _ c: UnsafeMutablePointer<Float>,
    alpha: Float = 1, beta: Float = 0
) {
    BLASCore.ensureSelected()
    let lda = transA ? m : k
    let ldb = transB ? k : n
    cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
}

/// OpenBLAS's own thread count (1 inside our parallel kernels; see `Parallel`).
public enum BLASThreads {
    public static var count: Int { Int(openblas_get_num_threads()) }
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
