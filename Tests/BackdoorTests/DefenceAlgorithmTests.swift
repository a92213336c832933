import Foundation
import XCTest

@testable import Backdoor

/// The defences' algorithms against independent implementations on small fixed inputs: the
/// Adversarial Robustness Toolbox, NumPy, scikit-learn and SciPy (`Fixtures/make_defence_fixtures.py`
/// wrote `defences.json` once).
final class DefenceAlgorithmTests: XCTestCase {
    struct Fixtures: Decodable {
        struct Spectral: Decodable {
            var rows: Int, dim: Int, features: [Float], remove: Int
            var paper_scores: [Double], art_scores: [Double], paper_removed: [Int]
        }
        struct Clustering: Decodable {
            var rows: Int, dim: Int, components: Int, activations: [Float], projection: [Double], labels: [Int]
            var silhouette: Double
        }
        struct Strip: Decodable {
            var inputs: Int, copies: Int, classes: Int, probabilities: [Float]
            var paper_entropy: [Double], art_entropy: [Double], clean_entropies: [Double]
            var false_rejection_rate: Double, threshold: Double
        }
        struct AUROC: Decodable { var scores: [Double], labels: [Int], auroc: Double }
        var spectral: Spectral, clustering: Clustering, strip: Strip, auroc: AUROC
    }

    func fixtures() throws -> Fixtures {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "defences", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }

    /// The paper's centred squared projection (NumPy) and ART's uncentred |r·v| (ART's own function).
    func testSpectralScoresAgreeWithNumPyAndART() throws {
        let f = try fixtures().spectral
        let paper = SpectralSignatures.scores(f.features, rows: f.rows, dim: f.dim, score: .centredSquared)
        let art = SpectralSignatures.scores(f.features, rows: f.rows, dim: f.dim, score: .uncentredAbsolute)
        for (a, b) in zip(paper, f.paper_scores) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b))) }
        for (a, b) in zip(art, f.art_scores) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b))) }
        XCTAssertEqual(SpectralSignatures.highest(paper, count: f.remove), f.paper_removed)
        // The six planted poisons (rows 60…65) are all among those removed.
        XCTAssert(Set(60..<66).isSubset(of: SpectralSignatures.highest(paper, count: f.remove)))
    }

    /// PCA projections as scikit-learn's (same signs), 2-means as its KMeans, the silhouette as its score.
    func testActivationClusteringAgreesWithScikitLearn() throws {
        let f = try fixtures().clustering
        let projected = ActivationClustering.pca(f.activations, rows: f.rows, dim: f.dim, components: f.components)
        for (a, b) in zip(projected, f.projection) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let labels = ActivationClustering.twoMeans(projected, rows: f.rows, dim: f.components)
        let sklearn = f.labels[0] == 0 ? f.labels : f.labels.map { 1 - $0 }
        XCTAssertEqual(labels, sklearn)
        XCTAssertEqual(
            ActivationClustering.silhouette(projected, rows: f.rows, dim: f.components, labels: labels), f.silhouette,
            accuracy: 1e-9)
        // The analysis: the 11-image cluster (22 %) is under the 35 % threshold, and well separated.
        let r = ActivationClustering.analyse(f.activations, rows: f.rows, dim: f.dim, components: f.components)
        XCTAssertEqual(r.flagged, labels.indices.filter { labels[$0] != labels[0] })
        XCTAssert(Set(40..<50).isSubset(of: r.flagged))
        let strict = ActivationClustering.analyse(
            f.activations, rows: f.rows, dim: f.dim, components: f.components, analysis: .silhouette,
            silhouetteThreshold: 0.5)
        XCTAssertNil(strict.poisonedCluster)
        let none = ActivationClustering.analyse(
            f.activations, rows: f.rows, dim: f.dim, components: f.components, sizeThreshold: 0.1)
        XCTAssertEqual(none.flagged, [])
    }

    /// Both entropies against SciPy's, and the rejection threshold against scipy.stats.norm.fit and ppf.
    func testSTRIPEntropiesAndThresholdAgreeWithSciPy() throws {
        let f = try fixtures().strip
        for i in 0..<f.inputs {
            let p = Array(f.probabilities[(i * f.copies * f.classes)..<((i + 1) * f.copies * f.classes)])
            XCTAssertEqual(
                STRIP.entropy(p, copies: f.copies, classes: f.classes, method: .acrossClasses), f.paper_entropy[i],
                accuracy: 1e-6)
            XCTAssertEqual(
                STRIP.entropy(p, copies: f.copies, classes: f.classes, method: .acrossCopies), f.art_entropy[i],
                accuracy: 1e-6)
        }
        XCTAssertEqual(
            STRIP.threshold(cleanEntropies: f.clean_entropies, falseRejectionRate: f.false_rejection_rate), f.threshold,
            accuracy: 1e-9)
        XCTAssertEqual(STRIP.inverseNormal(0.975), 1.959963984540054, accuracy: 1e-12)
        XCTAssertEqual(STRIP.inverseNormal(0.5), 0, accuracy: 1e-15)
        XCTAssertEqual(STRIP.inverseNormal(1e-6), -4.753424308822899, accuracy: 1e-9)
    }

    func testSuperimposeByHand() {
        XCTAssertEqual(STRIP.superimpose([10, 200, 255][...], [20, 100, 1][...], blend: .add), [30, 255, 255])
        XCTAssertEqual(STRIP.superimpose([10, 200, 255][...], [20, 100, 1][...], blend: .average), [15, 150, 128])
    }

    /// AUROC with tied scores against scikit-learn's roc_auc_score; the curve by hand.
    func testAUROCAgreesWithScikitLearn() throws {
        let f = try fixtures().auroc
        let auc = ROC.auroc(scores: f.scores, positive: f.labels.map { $0 == 1 })
        XCTAssertEqual(try XCTUnwrap(auc), f.auroc, accuracy: 1e-12)
        XCTAssertNil(ROC.auroc(scores: [1, 2], positive: [true, true]))
        let curve = ROC.curve(scores: [0.9, 0.8, 0.8, 0.1], positive: [true, false, true, false])
        XCTAssertEqual(curve.map(\.fpr), [0, 0, 0.5, 1])
        XCTAssertEqual(curve.map(\.tpr), [0, 0.5, 1, 1])
    }
}
