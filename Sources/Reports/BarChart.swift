import Foundation

/// Grouped bars as SVG: one group per category, one bar per series (the thesis's per-class
/// comparisons, appendix A.2). A missing value leaves its bar out.
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double?]
        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }
    public var title: String, xLabel: String, yLabel: String
    public var categories: [String]
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, categories: [String], series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
    }

    public var svg: String {
        let frame = ChartFrame(title: title)
        let (w, h, left, right, top, bottom) = (frame.w, frame.h, frame.left, frame.right, frame.top, frame.bottom)
        let axis = Axis(covering: [0] + series.flatMap { $0.values.compactMap { $0 } }, fromZero: true)
        let groupWidth = (w - left - right) / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        let f = frame.f
        func py(_ v: Double) -> Double { h - bottom - axis.fraction(v) * (h - top - bottom) }
        var s = frame.open()
        for t in axis.ticks {
            s +=
                "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(w - right))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(axis.label(t))</text>\n"
        }
        for (c, name) in categories.enumerated() {
            let x0 = left + Double(c) * groupWidth + groupWidth * 0.1
            s +=
                "<text x=\"\(f(x0 + groupWidth * 0.4))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(escape(name))</text>\n"
            for (i, se) in series.enumerated() {
                guard c < se.values.count, let v = se.values[c] else { continue }
                s +=
                    "<rect x=\"\(f(x0 + Double(i) * barWidth))\" y=\"\(f(py(v)))\" width=\"\(f(barWidth * 0.95))\" height=\"\(f(h - bottom - py(v)))\" fill=\"\(ChartFrame.colour(i))\"/>\n"
            }
        }
        s += frame.axisLabels(x: xLabel, y: yLabel)
        s += frame.legend(series.map(\.name)) { i, x, y in
            "<rect x=\"\(f(x))\" y=\"\(f(y - 6))\" width=\"20\" height=\"12\" fill=\"\(ChartFrame.colour(i))\"/>\n"
        }
        return s + "</svg>\n"
    }
}
