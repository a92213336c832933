import Foundation

/// A line plot with optional shaded bands, as SVG (the thesis's loss curves with interquartile ranges).
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var x: [Double], y: [Double]
        /// Lower and upper edge of a shaded band (e.g. the 25th and 75th percentiles).
        public var band: (lower: [Double], upper: [Double])?
        public init(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil) {
            self.name = name
            self.x = x
            self.y = y
            self.band = band
        }
    }
    public var title: String, xLabel: String, yLabel: String
    public var logX: Bool, logY: Bool
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false, series: [Series])
    {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.series = series
    }

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    public var svg: String {
        let frame = ChartFrame(title: title)
        let (w, h, left, right, top, bottom) = (frame.w, frame.h, frame.left, frame.right, frame.top, frame.bottom)
        let xs = series.flatMap(\.x)
        let ys = series.flatMap { $0.y + ($0.band?.lower ?? []) + ($0.band?.upper ?? []) }
        let xAxis = Axis(covering: xs.isEmpty ? [0, 1] : xs, log: logX)
        let yAxis = Axis(covering: ys.isEmpty ? [0, 1] : ys, log: logY, fromZero: !logY && (ys.min() ?? 0) >= 0)
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * (w - left - right) }
        // A zero on a log axis (a quartile of losses that are exactly 0) sits on the axis, not below the chart.
        func py(_ y: Double) -> Double { h - bottom - min(1, max(0, yAxis.fraction(y))) * (h - top - bottom) }
        let f = frame.f
        var s = frame.open()
        for t in yAxis.ticks {
            let yp = h - bottom - yAxis.tickFraction(t) * (h - top - bottom)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(yp))\" x2=\"\(f(w - right))\" y2=\"\(f(yp))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(yp + 4))\" text-anchor=\"end\">\(yAxis.label(t))</text>\n"
        }
        for t in xAxis.ticks {
            let xp = left + xAxis.tickFraction(t) * (w - left - right)
            s += "<text x=\"\(f(xp))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(xAxis.label(t))</text>\n"
        }
        s += frame.axisLabels(x: xLabel, y: yLabel)
        for (i, se) in series.enumerated() {
            let c = ChartFrame.colour(i)
            if let b = se.band, !se.x.isEmpty {
                let upper = zip(se.x, b.upper).map { (px($0), py($1)) }
                let lower = zip(se.x, b.lower).reversed().map { (px($0), py($1)) }
                s +=
                    "<polygon points=\"\(DrawnPolyline(upper + lower).points)\" fill=\"\(c)\" fill-opacity=\"0.2\" stroke=\"none\"/>\n"
            }
            let pts = DrawnPolyline(zip(se.x, se.y).map { (px($0), py($1)) }).points
            s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"/>\n"
            // Marks on the measured points when they are few (sweeps), not on dense curves.
            if se.x.count <= 12 {
                for (x, y) in zip(se.x, se.y) {
                    s += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"3\" fill=\"\(c)\"/>\n"
                }
            }
        }
        s += frame.legend(series.map(\.name)) { i, x, y in
            "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 20))\" y2=\"\(f(y))\" stroke=\"\(ChartFrame.colour(i))\" stroke-width=\"2\"/>\n"
        }
        return s + "</svg>\n"
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
        of: ">", with: "&gt;")
}

func shortNumber(_ v: Double) -> String {
    if v == 0 { return "0" }
    if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
    if abs(v) >= 1000 || abs(v) < 0.01 { return String(format: "%.1e", v) }
    return String(format: abs(v) >= 10 ? "%.0f" : "%.2f", v)
}
