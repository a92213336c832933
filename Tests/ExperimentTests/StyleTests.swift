import Foundation
import XCTest

/// The tree follows `.swift-format` (120 columns, one statement per line): `swift-format format -i -r
/// Sources Tests Package.swift` fixes what this finds.
final class StyleTests: XCTestCase {
    func testTheTreeIsFormatted() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["swift-format", "lint", "--strict", "--recursive", "Sources", "Tests", "Package.swift"]
        p.currentDirectoryURL = root
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        // 127: env found no swift-format (it ships with the Swift toolchain since 6.0).
        XCTAssertNotEqual(p.terminationStatus, 127, "swift-format is not on PATH: \(text)")
        XCTAssertEqual(p.terminationStatus, 0, "swift-format lint:\n" + text.prefix(3000))
    }
}
