/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations (exact to
/// rounding; the matrices here are covariances of at most a few hundred features).
enum SymmetricEigen {
    /// `a`: n × n, row-major, symmetric. Eigenvalues in descending order, eigenvectors as rows, each
    /// signed so its largest-magnitude component is positive (as scikit-learn's PCA signs components).
    static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [[Double]]) {
        var m = a
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { off += m[i * n + j] * m[i * n + j] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where m[p * n + q] != 0 {
                    rotate(&m, &v, n: n, p: p, q: q)
                }
            }
        }
        let order = (0..<n).sorted { (m[$0 * n + $0], $1) > (m[$1 * n + $1], $0) }
        let vectors = order.map { k -> [Double] in
            var col = (0..<n).map { v[$0 * n + k] }
            let big = col.indices.max { abs(col[$0]) < abs(col[$1]) } ?? 0
            if col[big] < 0 { col = col.map { -$0 } }
            return col
        }
        return (order.map { m[$0 * n + $0] }, vectors)
    }

    /// One Jacobi rotation zeroing m[p][q]; `v` accumulates the rotations (its columns: eigenvectors).
    private static func rotate(_ m: inout [Double], _ v: inout [Double], n: Int, p: Int, q: Int) {
        let apq = m[p * n + q]
        let theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
        let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot()
        let s = t * c
        for k in 0..<n {
            let mkp = m[k * n + p]
            let mkq = m[k * n + q]
            m[k * n + p] = c * mkp - s * mkq
            m[k * n + q] = s * mkp + c * mkq
        }
        for k in 0..<n {
            let mpk = m[p * n + k]
            let mqk = m[q * n + k]
            m[p * n + k] = c * mpk - s * mqk
            m[q * n + k] = s * mpk + c * mqk
        }
        for k in 0..<n {
            let vkp = v[k * n + p]
            let vkq = v[k * n + q]
            v[k * n + p] = c * vkp - s * vkq
            v[k * n + q] = s * vkp + c * vkq
        }
    }

    /// The centred rows of `x` (rows × dim) in Double, and their mean.
    static func centred(_ x: [Float], rows: Int, dim: Int) -> (rows: [Double], mean: [Double]) {
        var mean = [Double](repeating: 0, count: dim)
        for i in 0..<rows { for j in 0..<dim { mean[j] += Double(x[i * dim + j]) } }
        for j in 0..<dim { mean[j] /= Double(max(rows, 1)) }
        var c = [Double](repeating: 0, count: rows * dim)
        for i in 0..<rows { for j in 0..<dim { c[i * dim + j] = Double(x[i * dim + j]) - mean[j] } }
        return (c, mean)
    }

    /// The principal directions of centred rows: eigenvectors of their scatter matrix MᵀM, largest first.
    static func principalDirections(_ centred: [Double], rows: Int, dim: Int) -> [[Double]] {
        var scatter = [Double](repeating: 0, count: dim * dim)
        for i in 0..<rows {
            for a in 0..<dim {
                let x = centred[i * dim + a]
                if x == 0 { continue }
                for b in a..<dim { scatter[a * dim + b] += x * centred[i * dim + b] }
            }
        }
        for a in 0..<dim { for b in 0..<a { scatter[a * dim + b] = scatter[b * dim + a] } }
        return decompose(scatter, n: dim).vectors
    }
}
