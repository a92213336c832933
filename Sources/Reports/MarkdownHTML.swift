import Foundation

/// The small markdown `Report` writes (headings, paragraphs, pipe tables, bullet lists, images,
/// **bold** and `code`) as a standalone HTML page, so the report opens in a browser with its figures.
public enum MarkdownHTML {
    /// `markdown` as a standalone page titled `title`.
    public static func page(_ markdown: String, title: String) -> String {
        var html =
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>\(escape(title))</title>\n"
            + "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
            + "img{max-width:100%;vertical-align:top}code{background:#f3f3f3}</style></head><body>\n"
        var table: [[String]] = []
        var list = false
        func flush() {
            if !table.isEmpty {
                html +=
                    "<table>\n"
                    + table.enumerated().map { i, row in
                        let tag = i == 0 ? "th" : "td"
                        return "<tr>" + row.map { "<\(tag)>\(inline($0))</\(tag)>" }.joined() + "</tr>"
                    }.joined(separator: "\n") + "\n</table>\n"
                table = []
            }
            if list {
                html += "</ul>\n"
                list = false
            }
        }
        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("|") {
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if !cells.allSatisfy({ $0.allSatisfy { $0 == "-" } }) { table.append(cells) }
                continue
            }
            if line.hasPrefix("- ") {
                if !table.isEmpty { flush() }
                if !list {
                    html += "<ul>\n"
                    list = true
                }
                html += "<li>\(inline(String(line.dropFirst(2))))</li>\n"
                continue
            }
            flush()
            if line.hasPrefix("## ") {
                html += "<h2>\(inline(String(line.dropFirst(3))))</h2>\n"
            } else if line.hasPrefix("# ") {
                html += "<h1>\(inline(String(line.dropFirst(2))))</h1>\n"
            } else if !line.isEmpty {
                html += "<p>\(inline(line))</p>\n"
            }
        }
        flush()
        return html + "</body></html>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    /// Images, links, bold and code spans inside one line.
    static func inline(_ s: String) -> String {
        var out = ""
        var rest = Substring(escape(s))
        while let i = rest.firstIndex(where: { $0 == "!" || $0 == "[" || $0 == "*" || $0 == "`" }) {
            out += rest[..<i]
            let tail = rest[i...]
            // `![alt](src)` is an image, `[text](href)` a link: one bracket-and-paren form.
            let image = tail.hasPrefix("![")
            let open = image ? tail.index(after: i) : i
            if tail[open...].hasPrefix("["), let close = tail.firstIndex(of: "]"), tail[close...].hasPrefix("]("),
                let end = tail[close...].firstIndex(of: ")")
            {
                let text = tail[tail.index(after: open)..<close]
                let target = tail[tail.index(close, offsetBy: 2)..<end]
                out += image ? "<img src=\"\(target)\" alt=\"\(text)\">" : "<a href=\"\(target)\">\(text)</a>"
                rest = tail[tail.index(after: end)...]
            } else if tail.hasPrefix("**"), let end = tail.dropFirst(2).range(of: "**") {
                out += "<b>\(tail[tail.index(i, offsetBy: 2)..<end.lowerBound])</b>"
                rest = tail[end.upperBound...]
            } else if tail.hasPrefix("`"), let end = tail.dropFirst().firstIndex(of: "`") {
                out += "<code>\(tail[tail.index(after: i)..<end])</code>"
                rest = tail[tail.index(after: end)...]
            } else {
                out += String(tail.first!)
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }
}
