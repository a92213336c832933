import Foundation
import Tensor

/// FastICA (Hyvärinen 1999), the parallel algorithm with the log-cosh contrast, as activation clustering's
/// alternative to PCA (Chen et al. 2018 allow either; ART uses scikit-learn's `FastICA`): the centred rows
/// are whitened onto their first k principal directions with unit variance, then a k × k unmixing matrix W
/// is iterated — W ← E[g(WX)Xᵀ] − diag(E[g′(WX)])·W, g = tanh, then symmetric decorrelation
/// W ← (WWᵀ)^(−1/2)·W — until no row turns by more than `tolerance`. The sources are W times the whitened
/// rows; like every ICA they are unique only up to order and sign.
public enum FastICA {
    /// The rows (rows × dim) as `components` independent sources (rows × components). `initial` is W's
    /// start (components × components, row-major); default a seeded Gaussian matrix.
    public static func sources(
        _ x: [Float], rows: Int, dim: Int, components k: Int, initial: [Double]? = nil, seed: UInt64 = 0,
        maxIterations: Int = 1000, tolerance: Double = 1e-4
    ) -> [Double] {
        let white = whiten(x, rows: rows, dim: dim, components: k)
        var w =
            initial
            ?? {
                var r = RNG(seed: seed).split("fast-ica")
                return (0..<(k * k)).map { _ in Double(r.normal()) }
            }()
        w = decorrelate(w, k: k)
        let n = Double(rows)
        for _ in 0..<maxIterations {
            var next = [Double](repeating: 0, count: k * k)
            var meanDerivative = [Double](repeating: 0, count: k)
            for i in 0..<rows {
                let xi = white[(i * k)..<((i + 1) * k)]
                for c in 0..<k {
                    var u = 0.0
                    for j in 0..<k { u += w[c * k + j] * xi[xi.startIndex + j] }
                    let g = tanh(u)
                    meanDerivative[c] += 1 - g * g
                    for j in 0..<k { next[c * k + j] += g * xi[xi.startIndex + j] }
                }
            }
            for c in 0..<k {
                for j in 0..<k { next[c * k + j] = next[c * k + j] / n - meanDerivative[c] / n * w[c * k + j] }
            }
            next = decorrelate(next, k: k)
            // Converged when each row of W points where it did (up to sign): |⟨w_new, w_old⟩| ≈ 1.
            var change = 0.0
            for c in 0..<k {
                var dot = 0.0
                for j in 0..<k { dot += next[c * k + j] * w[c * k + j] }
                change = max(change, abs(abs(dot) - 1))
            }
            w = next
            if change < tolerance { break }
        }
        return product(white, w, m: rows, inner: k, n: k, transposedB: true)
    }

    /// A·B (m × inner times inner × n), or A·Bᵀ with B given as n × inner; row-major.
    static func product(_ a: [Double], _ b: [Double], m: Int, inner: Int, n: Int, transposedB: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for l in 0..<inner { s += a[i * inner + l] * (transposedB ? b[j * inner + l] : b[l * n + j]) }
                out[i * n + j] = s
            }
        }
        return out
    }

    /// The centred rows projected on their first k principal directions, each scaled to unit variance.
    static func whiten(_ x: [Float], rows: Int, dim: Int, components k: Int) -> [Double] {
        let (centred, _) = SymmetricEigen.centred(x, rows: rows, dim: dim)
        var cov = [Double](repeating: 0, count: dim * dim)
        for i in 0..<rows {
            for a in 0..<dim {
                let xa = centred[i * dim + a]
                for b in a..<dim { cov[a * dim + b] += xa * centred[i * dim + b] }
            }
        }
        for a in 0..<dim {
            for b in a..<dim {
                cov[a * dim + b] /= Double(rows)
                cov[b * dim + a] = cov[a * dim + b]
            }
        }
        let (values, vectors) = SymmetricEigen.decompose(cov, n: dim)
        var out = [Double](repeating: 0, count: rows * k)
        for c in 0..<k {
            let scale = values[c] > 1e-12 ? 1 / values[c].squareRoot() : 0
            for i in 0..<rows {
                var s = 0.0
                for j in 0..<dim { s += centred[i * dim + j] * vectors[c][j] }
                out[i * k + c] = s * scale
            }
        }
        return out
    }

    /// (WWᵀ)^(−1/2)·W, through the eigen-decomposition of WWᵀ.
    static func decorrelate(_ w: [Double], k: Int) -> [Double] {
        let (values, vectors) = SymmetricEigen.decompose(product(w, w, m: k, inner: k, n: k, transposedB: true), n: k)
        // (WWᵀ)^(−1/2) = Σ v vᵀ / √λ.
        var inv = [Double](repeating: 0, count: k * k)
        for (l, v) in zip(values, vectors) where l > 1e-300 {
            let f = 1 / l.squareRoot()
            for a in 0..<k { for b in 0..<k { inv[a * k + b] += f * v[a] * v[b] } }
        }
        return product(inv, w, m: k, inner: k, n: k, transposedB: false)
    }
}
