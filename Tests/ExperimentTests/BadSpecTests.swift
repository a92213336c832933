import Experiment
import Foundation
import XCTest

/// Directory of this file's spec corpus, in the source tree.
let specsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Specs").path

/// Every `Specs/bad/*.yaml` must give exactly the diagnostics in its `.expected` file.
/// A `# args:` first line holds `--set`/`--profile` options. Set BACKDOORLAB_UPDATE_EXPECTED=1 to
/// rewrite the expectations (then read every diff before committing it).
final class BadSpecTests: XCTestCase {
    func loader(for file: String, dir: String) -> (SpecLoader, String) {
        let text = (try? String(contentsOfFile: dir + "/" + file, encoding: .utf8)) ?? ""
        var profile: String?
        var sets: [String] = []
        if let first = text.split(separator: "\n").first, first.hasPrefix("# args:") {
            var words = first.dropFirst(7).split(separator: " ", maxSplits: 1).map(String.init)
            while words.count == 2 {
                let rest = words[1]
                if words[0] == "--set" {
                    sets.append(rest)
                    break
                }
                if words[0] == "--profile" {
                    profile = rest
                    break
                }
                words = rest.split(separator: " ", maxSplits: 1).map(String.init)
            }
        }
        var env = ProcessInfo.processInfo.environment
        env["BACKDOORLAB_TEST_NO_SUCH_VAR"] = nil
        return (SpecLoader(environment: env, profile: profile, overrides: sets, displayRoot: dir), dir + "/" + file)
    }

    func testCorpus() throws {
        let dir = specsDirectory + "/bad"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
            $0.hasSuffix(".yaml") && !$0.hasPrefix("_")
        }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 30)
        let update = ProcessInfo.processInfo.environment["BACKDOORLAB_UPDATE_EXPECTED"] == "1"
        for f in files {
            let (loader, path) = loader(for: f, dir: dir)
            let expectedPath = dir + "/" + f.replacingOccurrences(of: ".yaml", with: ".expected")
            var rendered = "(no error)\n"
            do { _ = try loader.load(path) } catch let d as Diagnostics { rendered = d.render(sources: loader.sources) }
            if update {
                try rendered.write(toFile: expectedPath, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
            XCTAssertEqual(rendered, expected, "\(f)")
        }
    }

    func testAliasBombIsRefused() throws {
        let dir = specsDirectory + "/bad"
        let loader = SpecLoader(displayRoot: dir)
        XCTAssertThrowsError(try loader.load(dir + "/alias_bomb.yaml")) { e in
            XCTAssert("\(e)".contains("expands to more than 100000 nodes"), "\(e)")
        }
    }
}
