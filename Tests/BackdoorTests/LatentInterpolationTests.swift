import Datasets
import XCTest

@testable import Backdoor

final class LatentInterpolationTests: XCTestCase {
    /// Two pairs of 2-dimensional codes: z₁ of the pairs first, then z₂.
    let codes: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]

    func testMixIsTheConvexCombinationByHand() {
        XCTAssertEqual(LatentInterpolation.mix(codes, pairs: 2, latent: 2, tau: 0, pair: 0), [1, 2])
        XCTAssertEqual(LatentInterpolation.mix(codes, pairs: 2, latent: 2, tau: 1, pair: 0), [5, 6])
        // Pair 1 at τ = 0.25: 0.75·(3, 4) + 0.25·(7, 8) = (4, 5).
        XCTAssertEqual(LatentInterpolation.mix(codes, pairs: 2, latent: 2, tau: 0.25, pair: 1), [4, 5])
    }

    func testUnitImagesScaleTo01() {
        let d = Dataset(
            name: "t", height: 1, width: 2, channels: 1, images: [0, 255, 51, 102], labels: [0, 1],
            classNames: ["a", "b"])
        XCTAssertEqual(LatentInterpolation.unitImages(d, [1, 0]), [0.2, 0.4, 0, 1])
    }

    /// The poison grid has a column per poison (up to ten) and a row per stage of the image; none without poisons.
    func testExamplesGrid() {
        let d = Dataset(
            name: "t", height: 2, width: 2, channels: 1, images: [UInt8](repeating: 9, count: 12), labels: [0, 1, 2],
            classNames: ["a", "b", "c"])
        let none = Poison(indices: [], images: [], labels: [])
        XCTAssertNil(Poisoning.examplesPNG(d, poison: none, perturbed: nil))
        let two = Poison(indices: [0, 2], images: [UInt8](repeating: 200, count: 8), labels: [0, 0])
        let png = Poisoning.examplesPNG(d, poison: two, perturbed: nil)
        XCTAssertEqual(png.map { Array($0.prefix(4)) }, [0x89, 0x50, 0x4E, 0x47])
        XCTAssertNotEqual(png, Poisoning.examplesPNG(d, poison: two, perturbed: [0: [1, 1, 1, 1][...]]))
    }
}
