import Foundation
import Tensor
import XCTest

@testable import Backdoor

/// FastICA against scikit-learn's (`Fixtures/make_ica_fixtures.py` wrote `ica.json` once). ICA's sources are
/// unique only up to order and sign, so each of ours must match one of scikit-learn's with |correlation| ≈ 1.
final class FastICATests: XCTestCase {
    struct Fixture: Decodable {
        var rows: Int, dim: Int, components: Int
        var x: [Float], w_init: [Double], sources: [Double], true_sources: [Double]
    }

    func column(_ m: [Double], _ c: Int, k: Int) -> [Double] { stride(from: c, to: m.count, by: k).map { m[$0] } }

    func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let (ma, mb) = (a.reduce(0, +) / Double(a.count), b.reduce(0, +) / Double(b.count))
        var (sab, saa, sbb) = (0.0, 0.0, 0.0)
        for (x, y) in zip(a, b) {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }

    /// The best |correlation| of each of `ours` columns with any of `theirs`, and whether they pair one to one.
    func match(_ ours: [Double], _ theirs: [Double], k: Int) -> (best: [Double], oneToOne: Bool) {
        var best: [Double] = []
        var partners: Set<Int> = []
        for c in 0..<k {
            let corr = (0..<k).map { abs(correlation(column(ours, c, k: k), column(theirs, $0, k: k))) }
            let j = corr.indices.max { corr[$0] < corr[$1] } ?? 0
            best.append(corr[j])
            partners.insert(j)
        }
        return (best, partners.count == k)
    }

    func testSourcesAgreeWithScikitLearnUpToOrderAndSign() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "ica", withExtension: "json", subdirectory: "Fixtures"))
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let ours = FastICA.sources(f.x, rows: f.rows, dim: f.dim, components: f.components, initial: f.w_init)
        let vsSklearn = match(ours, f.sources, k: f.components)
        XCTAssert(vsSklearn.oneToOne)
        for c in vsSklearn.best { XCTAssertGreaterThan(c, 0.9999) }
        // And both recover the sources that were mixed.
        let vsTruth = match(ours, f.true_sources, k: f.components)
        XCTAssert(vsTruth.oneToOne)
        for c in vsTruth.best { XCTAssertGreaterThan(c, 0.99) }
        // A seeded start finds the same sources.
        let seeded = FastICA.sources(f.x, rows: f.rows, dim: f.dim, components: f.components, seed: 3)
        for c in match(seeded, f.sources, k: f.components).best { XCTAssertGreaterThan(c, 0.999) }
    }

    /// Whitened rows have unit variance and no correlation; the unmixing is orthogonal after decorrelation.
    func testWhiteningAndDecorrelationByDefinition() {
        let x: [Float] = (0..<300).map { i in Float(sin(Double(i) * 0.37) + 0.5 * cos(Double(i) * 1.3)) }
        let w = FastICA.whiten(x, rows: 100, dim: 3, components: 2)
        for a in 0..<2 {
            for b in 0..<2 {
                let cov = (0..<100).map { w[$0 * 2 + a] * w[$0 * 2 + b] }.reduce(0, +) / 100
                XCTAssertEqual(cov, a == b ? 1 : 0, accuracy: 1e-9)
            }
        }
        let d = FastICA.decorrelate([2, 1, 0.5, 3], k: 2)
        XCTAssertEqual(d[0] * d[0] + d[1] * d[1], 1, accuracy: 1e-12)
        XCTAssertEqual(d[0] * d[2] + d[1] * d[3], 0, accuracy: 1e-12)
    }
}

extension FastICATests {
    /// Activation clustering with ICA finds the shifted tenth of a class, as with PCA.
    func testActivationClusteringWithICAFlagsTheShiftedRows() {
        var r = RNG(seed: 5)
        var x: [Float] = []
        for i in 0..<50 {
            for j in 0..<12 { x.append(r.normal() + (i >= 40 && j == 0 ? 5 : 0)) }
        }
        for reduction in ActivationClustering.Reduction.allCases {
            let result = ActivationClustering.analyse(x, rows: 50, dim: 12, components: 3, reduction: reduction)
            XCTAssertEqual(result.flagged, Array(40..<50), "\(reduction)")
        }
    }
}
