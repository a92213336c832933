import Foundation

/// The page both charts draw on: 700×400 SVG, plot area with margins, title, axes, axis labels and a
/// legend on the right. The charts add their own ticks and marks inside it.
struct ChartFrame {
    let w = 700.0, h = 400.0, left = 70.0, right = 210.0, bottom = 50.0
    /// The title wrapped to the page's width; the plot area starts below its last line.
    let titleLines: [String]
    let top: Double

    /// Characters per line that fit: the title at 14 px across the page, a legend name at 12 px in the
    /// right margin (Helvetica averages under 7.3 and 6.2 px a character).
    static let titleWidth = 88, legendWidth = 27

    init(title: String = "") {
        titleLines = ChartFrame.wrap(title, width: ChartFrame.titleWidth)
        top = 24 + 16 * Double(max(titleLines.count, 1))
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Opening tags, background, title and the two axes.
    func open() -> String {
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (i, line) in titleLines.enumerated() {
            s +=
                "<text x=\"\(f(w / 2))\" y=\"\(f(22 + 16 * Double(i)))\" text-anchor=\"middle\" font-size=\"14\">\(escape(line))</text>\n"
        }
        return s
            + "<line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
            + "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
    }

    func axisLabels(x: String, y: String) -> String {
        "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\">\(escape(x))</text>\n"
            + "<text transform=\"translate(16,\(f((top + h - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(y))</text>\n"
    }

    /// The legend: entry `i`'s key is drawn by `swatch(i, x, y)` at (x, y) of its left middle, its
    /// name beside it, wrapped within the right margin; entries stack below each other.
    func legend(_ names: [String], swatch: (Int, Double, Double) -> String) -> String {
        var s = ""
        var ly = top + 10
        for (i, name) in names.enumerated() {
            s += swatch(i, w - right + 12, ly)
            for line in ChartFrame.wrap(name, width: ChartFrame.legendWidth) {
                s += "<text x=\"\(f(w - right + 38))\" y=\"\(f(ly + 4))\">\(escape(line))</text>\n"
                ly += 14
            }
            ly += 4
        }
        return s
    }

    /// Greedy word wrap to lines of at most `width` characters; a longer word (a spec key) is cut after
    /// its last `.`, `=`, `_` or `/` that fits, else at the width.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for var word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count <= width {
                line += " " + word
                continue
            }
            if !line.isEmpty {
                lines.append(line)
                line = ""
            }
            while word.count > width {
                let head = word.prefix(width)
                let cut = head.lastIndex { ".=_/".contains($0) }.map { head.index(after: $0) } ?? head.endIndex
                lines.append(String(word[..<cut]))
                word = word[cut...]
            }
            line = String(word)
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    static func colour(_ i: Int) -> String { LinePlot.colours[i % LinePlot.colours.count] }
}
