/// Spectral signatures (Tran, Li & Madry 2018): within one class, poisons leave a trace along the top
/// singular vector of the centred representations; the images scoring highest along it are removed.
public enum SpectralSignatures {
    /// How a representation is scored against the top singular vector v.
    public enum Score: String, Sendable, Codable, CaseIterable {
        /// The paper's: the squared projection of the centred representation, ((r − r̄)·v)².
        case centredSquared = "centred_squared"
        /// The Adversarial Robustness Toolbox's: |r·v| of the uncentred representation.
        case uncentredAbsolute = "uncentred_absolute"
    }

    /// Scores of `rows` representations of one class (rows × dim, row-major).
    public static func scores(_ features: [Float], rows: Int, dim: Int, score: Score = .centredSquared) -> [Double] {
        guard rows > 0, dim > 0 else { return [] }
        let (centred, _) = SymmetricEigen.centred(features, rows: rows, dim: dim)
        guard let v = SymmetricEigen.principalDirections(centred, rows: rows, dim: dim).first else { return [] }
        return (0..<rows).map { i in
            var dot = 0.0
            switch score {
            case .centredSquared:
                for j in 0..<dim { dot += centred[i * dim + j] * v[j] }
                return dot * dot
            case .uncentredAbsolute:
                for j in 0..<dim { dot += Double(features[i * dim + j]) * v[j] }
                return abs(dot)
            }
        }
    }

    /// Positions of the `count` highest scores (ties: the earlier position first), ascending.
    public static func highest(_ scores: [Double], count: Int) -> [Int] {
        let order = scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) }
        return Array(order.prefix(max(0, count))).sorted()
    }
}
