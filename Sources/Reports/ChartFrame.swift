import Foundation

/// The page both charts draw on: 700×400 SVG, plot area with margins, title, axes, axis labels and a
/// legend on the right. The charts add their own ticks and marks inside it.
struct ChartFrame {
    let w = 700.0, h = 400.0, left = 70.0, right = 210.0, top = 40.0, bottom = 50.0

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Opening tags, background, title and the two axes.
    func open(title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(f(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
            + "<line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
            + "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
    }

    func axisLabels(x: String, y: String) -> String {
        "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\">\(escape(x))</text>\n"
            + "<text transform=\"translate(16,\(f((top + h - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(y))</text>\n"
    }

    /// Legend entry `i`: `swatch` draws the key at (x, y) of its left middle, then the name.
    func legend(_ i: Int, _ name: String, swatch: (Double, Double) -> String) -> String {
        let ly = top + 10 + Double(i) * 18
        return swatch(w - right + 12, ly) + "<text x=\"\(f(w - right + 38))\" y=\"\(f(ly + 4))\">\(escape(name))</text>\n"
    }

    static func colour(_ i: Int) -> String { LinePlot.colours[i % LinePlot.colours.count] }
}
