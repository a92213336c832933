/// A position in a spec file (1-based line and column).
public struct Mark: Hashable, Sendable, Codable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public static func < (a: Mark, b: Mark) -> Bool { (a.file, a.line, a.column) < (b.file, b.line, b.column) }
    /// For values that come from the command line (`--set`) rather than a file.
    public static func commandLine(_ what: String) -> Mark { Mark(file: what, line: 0, column: 0) }
    public var description: String { line == 0 ? file : "\(file):\(line):\(column)" }
}

/// One user-facing problem with a spec: where, what, and what might fix it.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public var mark: Mark
    public var message: String
    public var notes: [String]

    public init(_ mark: Mark, _ message: String, notes: [String] = []) {
        self.mark = mark
        self.message = message
        self.notes = notes
    }

    public var description: String { "\(mark.description): error: \(message)" }

    /// The widest source line quoted whole; longer ones are cut to this width around the column.
    public static let quotedWidth = 160

    /// `line` cut to `quotedWidth` characters around `column` (with … where cut), and the column in it.
    static func window(_ line: String, column: Int) -> (String, Int) {
        let chars = Array(line)
        guard chars.count > quotedWidth else { return (line, column) }
        // From the line's start while the column is well inside the width, else centred on the column.
        let start =
            column <= quotedWidth * 3 / 4 ? 0 : max(0, min(column - 1 - quotedWidth / 2, chars.count - quotedWidth))
        let end = min(chars.count, start + quotedWidth)
        let text = (start > 0 ? "…" : "") + String(chars[start..<end]) + (end < chars.count ? "…" : "")
        return (text, column - start + (start > 0 ? 1 : 0))
    }

    /// `file:line:col: error: message`, the source line and a caret under the column, then the notes.
    public func render(sources: SourceCache) -> String {
        var s = description + "\n"
        if mark.line > 0, let line = sources.line(mark.file, mark.line) {
            let (text, column) = Diagnostic.window(line, column: mark.column)
            s += "  \(text)\n"
            let pad = String(text.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " })
            s += "  \(pad)^\n"
        }
        for n in notes { s += "note: \(n)\n" }
        return s
    }
}

/// Every problem found in a spec (or folder), sorted by location; thrown as one error.
public struct Diagnostics: Error, Sendable, CustomStringConvertible {
    public static let limit = 50
    public var items: [Diagnostic]

    public init(_ items: [Diagnostic]) {
        var seen = Set<Diagnostic>()
        self.items = items.filter { seen.insert($0).inserted }.sorted { $0.mark < $1.mark }
    }

    public var description: String { items.map(\.description).joined(separator: "\n") }

    public func render(sources: SourceCache) -> String {
        var s = items.prefix(Diagnostics.limit).map { $0.render(sources: sources) }.joined()
        if items.count > Diagnostics.limit { s += "… and \(items.count - Diagnostics.limit) more errors\n" }
        let n = items.count
        s += "\(n) error\(n == 1 ? "" : "s")\n"
        return s
    }
}

/// The text of the files read, for quoting lines in diagnostics.
public final class SourceCache: @unchecked Sendable {
    private var lines: [String: [Substring]] = [:]
    public init() {}
    public func add(_ file: String, text: String) {
        lines[file] = text.split(separator: "\n", omittingEmptySubsequences: false)
    }
    public func line(_ file: String, _ n: Int) -> String? {
        guard let l = lines[file], n >= 1, n <= l.count else { return nil }
        return String(l[n - 1].hasSuffix("\r") ? l[n - 1].dropLast() : l[n - 1])
    }
}

/// A text from a spec (a key, a value) as quoted in a message: at most 60 characters.
func quoted(_ text: String, limit: Int = 60) -> String {
    text.count <= limit ? text : String(text.prefix(limit)) + "… (\(text.count) characters)"
}
