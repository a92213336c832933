import Foundation
import XCTest

/// The tree follows `.swift-format` (120 columns, one statement per line): `swift-format format -i -r
/// Sources Tests Package.swift` fixes what this finds.
final class StyleTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs a tool found on PATH in the repository root: its exit status (127: not on PATH) and its output.
    func runInRoot(_ arguments: [String], mergingErrors: Bool) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.currentDirectoryURL = StyleTests.root
        let out = Pipe()
        p.standardOutput = out
        p.standardError = mergingErrors ? out : Pipe()
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    func testTheTreeIsFormatted() throws {
        let (status, text) = try runInRoot(
            ["swift-format", "lint", "--strict", "--recursive", "Sources", "Tests", "Package.swift"],
            mergingErrors: true)
        // 127: env found no swift-format (it ships with the Swift toolchain since 6.0).
        XCTAssertNotEqual(status, 127, "swift-format is not on PATH: \(text)")
        XCTAssertEqual(status, 0, "swift-format lint:\n" + text.prefix(3000))
    }

    /// The repository's top level is fixed (a wheel once slipped in beside `Package.swift`): what git tracks there
    /// is these entries and nothing else.
    func testTheTopLevelHoldsOnlyTheFixedEntries() throws {
        let (status, text) = try runInRoot(["git", "ls-files"], mergingErrors: false)
        if status == 127 { throw XCTSkip("no git on PATH") }
        // A source tree without .git (an archive) has nothing to list.
        guard status == 0 else { throw XCTSkip("not a git checkout") }
        let top = Set(text.split(separator: "\n").compactMap { $0.split(separator: "/").first.map(String.init) })
        let fixed: Set = [
            "Package.swift", "Sources", "Tests", "experiments", "grammar", "README.md", ".ci", ".gitignore",
            ".swift-format",
        ]
        XCTAssertEqual(top.subtracting(fixed).sorted(), [], "tracked at the top level beyond the fixed entries")
        XCTAssertTrue(top.isSuperset(of: ["Package.swift", "Sources", "Tests", "README.md", ".ci"]), "\(top.sorted())")
    }
}
