import Experiment
import Foundation
import Tensor
import TestSupport
import XCTest

/// Mutated specs must give a result or diagnostics — never a trap. (A trap would crash the test run.)
final class RobustnessTests: XCTestCase {
    func testThousandsOfMutatedSpecsNeverTrap() throws {
        var seeds: [[UInt8]] = []
        for sub in ["bad", "good"] {
            let dir = specsDirectory + "/" + sub
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasSuffix(".yaml") {
                seeds.append(Array(FileManager.default.contents(atPath: dir + "/" + f) ?? Data()))
            }
        }
        seeds.append(Array(cleanLabel.utf8))
        XCTAssertGreaterThan(seeds.count, 30)
        let alphabet = Array("{}[]:,-#&*!|>'\"%@`\n\t 0123456789.e-/_abcxyz${env:}sweep".utf8)
        var r = RNG(seed: 2026)
        let dir = DatasetFiles.temporaryDirectory("backdoorlab-fuzz")
        var outcomes = [0, 0]
        for i in 0..<3000 {
            var b = seeds[r.below(seeds.count)]
            for _ in 0..<(1 + r.below(4)) {
                switch r.below(4) {
                case 0 where !b.isEmpty: b[r.below(b.count)] = alphabet[r.below(alphabet.count)]
                case 1: b.insert(alphabet[r.below(alphabet.count)], at: r.below(b.count + 1))
                case 2 where !b.isEmpty: b.remove(at: r.below(b.count))
                default: b = Array(b.prefix(r.below(b.count + 1)))
                }
            }
            let path = "\(dir)/m\(i % 7).yaml"
            FileManager.default.createFile(atPath: path, contents: Data(b))
            do {
                var p = Planner()
                _ = try p.plan(try SpecLoader(environment: [:], displayRoot: dir).load(path))
                outcomes[0] += 1
            } catch is Diagnostics {
                outcomes[1] += 1
            }
        }
        // Both outcomes occur, so the mutations exercise the accepting paths too.
        XCTAssertGreaterThan(outcomes[0], 10)
        XCTAssertGreaterThan(outcomes[1], 10)
    }
}
