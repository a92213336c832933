import Tensor

/// Activation clustering (Chen et al. 2018): within one class, the last hidden layer's activations of
/// poisons and clean images fall in two clusters; reduced to a few dimensions and split by 2-means, the
/// smaller cluster (or a well-separated one) is poison.
public enum ActivationClustering {
    /// How a cluster is judged poisoned.
    public enum Analysis: String, Sendable, Codable, CaseIterable {
        /// The paper's relative size: a cluster with at most `sizeThreshold` of the class.
        case relativeSize = "relative_size"
        /// Relative size and a silhouette score above `silhouetteThreshold` (a real split, not noise).
        case silhouette
    }

    /// How the activations are reduced before clustering.
    public enum Reduction: String, Sendable, Codable, CaseIterable {
        /// The first principal components (the paper's and ART's default).
        case pca
        /// FastICA's independent sources (the paper's alternative; ART's `FastICA`).
        case ica
    }

    /// What the analysis of one class found.
    public struct ClassResult: Sendable, Equatable {
        /// Cluster (0 or 1) of each row.
        public var labels: [Int]
        /// The cluster judged poisoned, if any.
        public var poisonedCluster: Int?
        /// Share of the class in each cluster.
        public var sizes: [Double]
        public var silhouette: Double
        /// Rows in the poisoned cluster, ascending.
        public var flagged: [Int] {
            guard let p = poisonedCluster else { return [] }
            return labels.indices.filter { labels[$0] == p }
        }
    }

    /// Reduces `rows` activations of one class to `components` dimensions, splits them in two and judges.
    public static func analyse(
        _ activations: [Float], rows: Int, dim: Int, components: Int = 10, reduction: Reduction = .pca,
        analysis: Analysis = .relativeSize, sizeThreshold: Double = 0.35, silhouetteThreshold: Double = 0.1,
        seed: UInt64 = 0
    ) -> ClassResult {
        let k = min(components, dim)
        let projected =
            reduction == .pca
            ? pca(activations, rows: rows, dim: dim, components: k)
            : FastICA.sources(activations, rows: rows, dim: dim, components: k, seed: seed)
        let labels = twoMeans(projected, rows: rows, dim: k, seed: seed)
        let counts = [labels.filter { $0 == 0 }.count, labels.filter { $0 == 1 }.count]
        let sizes = counts.map { Double($0) / Double(max(rows, 1)) }
        let s = silhouette(projected, rows: rows, dim: k, labels: labels)
        let smaller = counts[0] <= counts[1] ? 0 : 1
        var poisoned: Int? = sizes[smaller] <= sizeThreshold ? smaller : nil
        if analysis == .silhouette, s <= silhouetteThreshold { poisoned = nil }
        return ClassResult(labels: labels, poisonedCluster: poisoned, sizes: sizes, silhouette: s)
    }

    /// The rows projected on their first `components` principal directions (rows × components).
    public static func pca(_ x: [Float], rows: Int, dim: Int, components: Int) -> [Double] {
        let (centred, _) = SymmetricEigen.centred(x, rows: rows, dim: dim)
        let directions = SymmetricEigen.principalDirections(centred, rows: rows, dim: dim).prefix(components)
        var out = [Double](repeating: 0, count: rows * directions.count)
        for i in 0..<rows {
            for (c, v) in directions.enumerated() {
                var dot = 0.0
                for j in 0..<dim { dot += centred[i * dim + j] * v[j] }
                out[i * directions.count + c] = dot
            }
        }
        return out
    }

    /// 2-means (Lloyd's algorithm) from ten seeded k-means++ starts, keeping the lowest inertia; the
    /// cluster holding row 0 is cluster 0.
    public static func twoMeans(_ x: [Double], rows: Int, dim: Int, seed: UInt64 = 0, starts: Int = 10) -> [Int] {
        guard rows > 1 else { return [Int](repeating: 0, count: rows) }
        var rng = RNG(seed: seed).split("two-means")
        var best: (inertia: Double, labels: [Int]) = (.infinity, [])
        func d2(_ i: Int, _ c: [Double]) -> Double {
            var s = 0.0
            for j in 0..<dim { s += (x[i * dim + j] - c[j]) * (x[i * dim + j] - c[j]) }
            return s
        }
        for _ in 0..<starts {
            // k-means++: the second centre drawn with probability proportional to squared distance.
            let first = rng.below(rows)
            var centres = [Array(x[(first * dim)..<((first + 1) * dim)])]
            let weights = (0..<rows).map { d2($0, centres[0]) }
            let total = weights.reduce(0, +)
            var pick = Double(rng.uniform()) * total
            var second = rows - 1
            for i in 0..<rows {
                pick -= weights[i]
                if pick <= 0 {
                    second = i
                    break
                }
            }
            centres.append(Array(x[(second * dim)..<((second + 1) * dim)]))
            var labels = [Int](repeating: -1, count: rows)
            for _ in 0..<300 {
                let next = (0..<rows).map { d2($0, centres[0]) <= d2($0, centres[1]) ? 0 : 1 }
                if next == labels { break }
                labels = next
                for c in 0..<2 {
                    let members = labels.indices.filter { labels[$0] == c }
                    guard !members.isEmpty else { continue }
                    centres[c] = (0..<dim).map { j in members.reduce(0) { $0 + x[$1 * dim + j] } / Double(members.count)
                    }
                }
            }
            let inertia = (0..<rows).reduce(0) { $0 + d2($1, centres[labels[$1]]) }
            if inertia < best.inertia - 1e-12 { best = (inertia, labels) }
        }
        return best.labels[0] == 0 ? best.labels : best.labels.map { 1 - $0 }
    }

    /// Mean silhouette (b − a) / max(a, b) over the rows: a, the mean distance to the own cluster; b, to the other.
    public static func silhouette(_ x: [Double], rows: Int, dim: Int, labels: [Int]) -> Double {
        guard Set(labels).count == 2 else { return 0 }
        var sizes = [0, 0]
        for l in labels { sizes[l] += 1 }
        var total = 0.0
        for i in 0..<rows {
            var sums = [0.0, 0.0]
            for k in 0..<rows where k != i {
                var s = 0.0
                for j in 0..<dim { s += (x[i * dim + j] - x[k * dim + j]) * (x[i * dim + j] - x[k * dim + j]) }
                sums[labels[k]] += s.squareRoot()
            }
            let own = labels[i]
            // A point alone in its cluster scores 0 (scikit-learn's convention).
            guard sizes[own] > 1 else { continue }
            let a = sums[own] / Double(sizes[own] - 1)
            let b = sums[1 - own] / Double(sizes[1 - own])
            total += (b - a) / max(a, b)
        }
        return total / Double(rows)
    }
}
