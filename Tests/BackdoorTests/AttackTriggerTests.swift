import Datasets
import Foundation
import XCTest

@testable import Backdoor

/// Blended, SIG and WaNet against hand computations, and WaNet's warp against PyTorch
/// (`Fixtures/make_attack_fixtures.py` wrote `attacks.json` once).
final class AttackTriggerTests: XCTestCase {
    func testBlendAtAlphaZeroIsTheIdentityAndAtOneThePattern() {
        let picture: [UInt8] = [0, 50, 100, 150, 200, 250, 10, 20, 30]
        let original: [UInt8] = (0..<9).map { UInt8($0 * 28) }
        var a = original
        BlendTrigger(source: .picture(grey: picture, side: 3), alpha: 0).apply(to: &a, height: 3, width: 3, channels: 1)
        XCTAssertEqual(a, original)
        var b = original
        BlendTrigger(source: .picture(grey: picture, side: 3), alpha: 1).apply(to: &b, height: 3, width: 3, channels: 1)
        XCTAssertEqual(b, picture)
        // α = 0.2 by hand on the second pixel: 0.8·28 + 0.2·50 = 32.4 → 32.
        var c = original
        BlendTrigger(source: .picture(grey: picture, side: 3), alpha: 0.2).apply(
            to: &c, height: 3, width: 3, channels: 1)
        XCTAssertEqual(c[1], 32)
        XCTAssertEqual(c[8], UInt8((0.8 * 224 + 0.2 * 30 as Float).rounded()))
    }

    /// A 2×2 picture scales by nearest neighbour to a 4×4×3 image, the same on every channel.
    func testBlendPictureScalesToTheImage() {
        let t = BlendTrigger(source: .picture(grey: [10, 20, 30, 40], side: 2), alpha: 1)
        let p = t.pattern(height: 4, width: 4, channels: 3)
        XCTAssertEqual(Array(p[0..<3]), [10, 10, 10])
        XCTAssertEqual(Array(p[(3 * 3)..<(3 * 3 + 3)]), [20, 20, 20])  // row 0, column 3
        XCTAssertEqual(Array(p[((3 * 4 + 3) * 3)...]), [40, 40, 40])  // the last pixel
    }

    func testBlendNoiseIsSeededAndSpread() {
        let a = BlendTrigger(source: .noise(seed: 3), alpha: 0.2).pattern(height: 28, width: 28, channels: 1)
        XCTAssertEqual(a, BlendTrigger(source: .noise(seed: 3), alpha: 0.2).pattern(height: 28, width: 28, channels: 1))
        XCTAssertNotEqual(
            a, BlendTrigger(source: .noise(seed: 4), alpha: 0.2).pattern(height: 28, width: 28, channels: 1))
        let mean = Double(a.reduce(0) { $0 + Int($1) }) / Double(a.count)
        XCTAssertEqual(mean, 127.5, accuracy: 8)  // uniform on 0–255
    }

    /// Δ = 20, f = 1 across a width of 4: sin(2π·j/4) = 0, 1, 0, −1 on every row and channel, clipped.
    func testSinusoidBySignalByHand() {
        let sig = SinusoidalSignal(delta: 20, frequency: 1)
        XCTAssertEqual(sig.signal(width: 4)[1], 20, accuracy: 1e-5)
        XCTAssertEqual(sig.signal(width: 4)[3], -20, accuracy: 1e-5)
        var img: [UInt8] = [100, 100, 100, 100, 250, 250, 10, 10]  // 2 rows × 4 columns, grey
        sig.apply(to: &img, height: 2, width: 4, channels: 1)
        XCTAssertEqual(img, [100, 120, 100, 80, 250, 255, 10, 0])
        // The paper's f = 6 on 28 columns: column 1 carries 20·sin(2π·6/28).
        var rgb = [UInt8](repeating: 100, count: 28 * 3)
        SinusoidalSignal(delta: 20, frequency: 6).apply(to: &rgb, height: 1, width: 28, channels: 3)
        let v = UInt8((100 + 20 * sin(2 * Double.pi * 6 / 28)).rounded())
        XCTAssertEqual(Array(rgb[3..<6]), [v, v, v])
    }

    func testWarpAtStrengthZeroIsTheIdentity() {
        let original: [UInt8] = (0..<(28 * 28)).map { UInt8(($0 * 37) % 256) }
        var img = original
        WarpTrigger.random(gridSize: 4, strength: 0, seed: 1).apply(to: &img, height: 28, width: 28, channels: 1)
        XCTAssertEqual(img, original)
    }

    /// A hand-built field that samples one column to the right (the last column from outside: zero)
    /// shifts the image left; one that samples halfway between two columns averages them.
    func testWarpOnAHandBuiltField() {
        let (h, w) = (3, 5)
        let original: [UInt8] = (0..<(h * w)).map { UInt8(10 * $0) }
        func field(_ dx: Float) -> [Float] {
            (0..<(h * w)).flatMap { p -> [Float] in
                let (y, x) = (p / w, p % w)
                return [-1 + 2 * (Float(x) + dx) / Float(w - 1), -1 + 2 * Float(y) / Float(h - 1)]
            }
        }
        var shifted = original
        WarpTrigger.warp(&shifted, field: field(1), height: h, width: w, channels: 1)
        for y in 0..<h {
            XCTAssertEqual(Array(shifted[(y * w)..<(y * w + w - 1)]), Array(original[(y * w + 1)..<(y * w + w)]))
            XCTAssertEqual(shifted[y * w + w - 1], 0)
        }
        var half = original
        WarpTrigger.warp(&half, field: field(0.5), height: h, width: w, channels: 1)
        XCTAssertEqual(half[0], 5)  // (0 + 10) / 2
        XCTAssertEqual(half[w + 2], 75)  // (70 + 80) / 2
    }

    struct Fixture: Decodable {
        struct Warp: Decodable {
            var grid_size: Int, height: Int, width: Int, channels: Int, strength: Float
            var control: [Float], field: [Float], image: [Int], warped: [Double]
        }
        var warp: [Warp]
    }

    /// Bicubic upsampling, the clamped field and the bilinear sampling agree with PyTorch's
    /// `interpolate(bicubic, align_corners)` and `grid_sample(align_corners)`.
    func testWarpAgreesWithPyTorch() throws {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "attacks", withExtension: "json", subdirectory: "Fixtures"))
        let cases = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).warp
        XCTAssertEqual(cases.count, 3)
        for f in cases {
            let t = WarpTrigger(control: f.control, gridSize: f.grid_size, strength: f.strength)
            let field = t.field(height: f.height, width: f.width)
            XCTAssertEqual(field.count, f.field.count)
            for (a, b) in zip(field, f.field) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            var img = f.image.map { UInt8($0) }
            t.apply(to: &img, height: f.height, width: f.width, channels: f.channels)
            for (a, b) in zip(img, f.warped) { XCTAssertEqual(Double(a), b.rounded(), accuracy: 1) }
            let exact = zip(img, f.warped).filter { Double($0) == $1.rounded() }.count
            XCTAssertGreaterThan(Double(exact) / Double(img.count), 0.99)
        }
    }

    func dataset(_ labels: [Int], side: Int = 4) -> Dataset {
        Dataset(
            name: "t", height: side, width: side, channels: 1,
            images: (0..<(labels.count * side * side)).map { UInt8(($0 * 7) % 200) }, labels: labels,
            classNames: (0..<3).map(String.init))
    }

    func testAllToAllLabelsAimAtTheNextClass() {
        let d = dataset((0..<30).map { $0 % 3 })
        let p = Poisoning.allToAll(d, count: 12, classes: 3, trigger: Trigger(size: 2), seed: 5)
        XCTAssertEqual(p.indices.count, 12)
        XCTAssertEqual(Set(p.indices).count, 12)
        for (i, l) in zip(p.indices, p.labels) { XCTAssertEqual(l, (d.labels[i] + 1) % 3) }
        XCTAssertEqual(Set(p.indices.map { d.labels[$0] }), [0, 1, 2])  // every class gives poisons
    }

    /// ASR over every test image: triggered prediction = own class + 1; R-Acc: still the own class.
    func testAllToAllMetricsByHand() {
        let labels = [0, 1, 2, 0, 1, 2]
        let clean = [0, 1, 2, 0, 1, 0]
        let triggered = [1, 2, 0, 0, 2, 2]
        let m = AttackMetrics.computeAllToAll(labels: labels, clean: clean, triggered: triggered, classes: 3)
        XCTAssertEqual(m.attackSuccessRate ?? -1, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m.robustAccuracy ?? -1, 2.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m.naturalAccuracy, 5.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m.perClassAttackSuccessRate?[0] ?? -1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.perClassAttackSuccessRate?[1] ?? -1, 1.0, accuracy: 1e-12)
    }

    /// WaNet's noise mode: warped images outside the poisons, labels kept, and applied with them.
    func testWarpNoiseImagesKeepTheirLabelsAndAvoidThePoisons() {
        let d = dataset((0..<40).map { $0 % 3 }, side: 8)
        let warp = WarpTrigger.random(gridSize: 4, strength: 0.5, seed: 0)
        let base = Poisoning.badNets(d, target: 0, count: 5, trigger: warp, seed: 1)
        let p = Poisoning.withWarpNoise(base, d, warp: warp, count: 10, seed: 1)
        XCTAssertEqual(p.noiseIndices.count, 10)
        XCTAssertTrue(Set(p.noiseIndices).isDisjoint(with: p.indices))
        let trained = p.apply(to: d)
        XCTAssertEqual(p.noiseIndices.map { trained.labels[$0] }, p.noiseIndices.map { d.labels[$0] })
        let i = p.noiseIndices[0]
        XCTAssertEqual(Array(trained.image(i)), Array(p.noiseImages[0..<64]))
        XCTAssertNotEqual(Array(trained.image(i)), Array(d.image(i)))
        // The noise differs from the attack's own warp.
        var fixed = Array(d.image(i))
        warp.apply(to: &fixed, height: 8, width: 8, channels: 1)
        XCTAssertNotEqual(fixed, Array(p.noiseImages[0..<64]))
    }
}
