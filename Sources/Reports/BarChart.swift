import Foundation

/// Grouped bars as SVG: one group per category, one bar per series (the thesis's per-class
/// comparisons, appendix A.2). A missing value leaves its bar out.
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double?]
        public init(name: String, values: [Double?]) { self.name = name; self.values = values }
    }
    public var title: String, xLabel: String, yLabel: String
    public var categories: [String]
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, categories: [String], series: [Series]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.categories = categories; self.series = series
    }

    public var svg: String {
        let w = 700.0, h = 400.0, left = 70.0, right = 210.0, top = 40.0, bottom = 50.0
        let top1 = max(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 1, 1e-9)
        let groupWidth = (w - left - right) / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func py(_ v: Double) -> Double { h - bottom - v / top1 * (h - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\" stroke=\"black\"/>\n"
        for k in 0...4 {
            let v = top1 * Double(k) / 4
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\">\(shortNumber(v))</text>\n"
        }
        for (c, name) in categories.enumerated() {
            let x0 = left + Double(c) * groupWidth + groupWidth * 0.1
            s += "<text x=\"\(f(x0 + groupWidth * 0.4))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(escape(name))</text>\n"
            for (i, se) in series.enumerated() {
                guard c < se.values.count, let v = se.values[c] else { continue }
                s += "<rect x=\"\(f(x0 + Double(i) * barWidth))\" y=\"\(f(py(v)))\" width=\"\(f(barWidth * 0.95))\" height=\"\(f(h - bottom - py(v)))\" fill=\"\(LinePlot.colours[i % LinePlot.colours.count])\"/>\n"
            }
        }
        s += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(16,\(f((top + h - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (i, se) in series.enumerated() {
            let ly = top + 10 + Double(i) * 18
            s += "<rect x=\"\(f(w - right + 12))\" y=\"\(f(ly - 6))\" width=\"20\" height=\"12\" fill=\"\(LinePlot.colours[i % LinePlot.colours.count])\"/>\n"
            s += "<text x=\"\(f(w - right + 38))\" y=\"\(f(ly + 4))\">\(escape(se.name))</text>\n"
        }
        return s + "</svg>\n"
    }
}
