import Foundation

/// A grid of values as coloured cells with their numbers: rows × columns, white at `low` to dark red at
/// `high` (reversed with `highIsGood`, so red always marks the bad end). A missing value is a grey cell.
public struct HeatMap: Sendable {
    public var title: String
    public var rows: [String]
    public var columns: [String]
    /// `values[row][column]`.
    public var values: [[Double?]]
    public var low: Double, high: Double
    public var highIsGood: Bool
    /// How a value is written in its cell.
    public var format: @Sendable (Double) -> String

    public init(
        title: String, rows: [String], columns: [String], values: [[Double?]], low: Double = 0, high: Double = 1,
        highIsGood: Bool = false, format: @escaping @Sendable (Double) -> String = { String(format: "%.2f", $0) }
    ) {
        self.title = title
        self.rows = rows
        self.columns = columns
        self.values = values
        self.low = low
        self.high = high
        self.highIsGood = highIsGood
        self.format = format
    }

    /// Cell size and margins: row names on the left, column names above.
    static let cellW = 96.0, cellH = 34.0, left = 150.0, top = 80.0, pad = 20.0

    /// The fill of a value: white → red (#b2182b) along the bad direction.
    func fill(_ v: Double?) -> String {
        guard let v else { return "#d9d9d9" }
        let t = shade(v)
        let (r, g, b) = (255 - t * (255 - 178), 255 - t * (255 - 24), 255 - t * (255 - 43))
        return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }

    /// 0 (white) to 1 (darkest) along the bad direction.
    func shade(_ v: Double) -> Double {
        let t = high > low ? (v - low) / (high - low) : 0
        return max(0, min(1, highIsGood ? 1 - t : t))
    }

    public var svg: String {
        let (cw, ch, left, top, pad) = (HeatMap.cellW, HeatMap.cellH, HeatMap.left, HeatMap.top, HeatMap.pad)
        let w = left + cw * Double(columns.count) + pad
        let h = top + ch * Double(rows.count) + pad
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(f(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        for (j, c) in columns.enumerated() {
            // A long name (spectral_signatures) goes on one line per word, bottom-aligned above its column.
            let words = c.split(whereSeparator: { $0 == "_" || $0 == " " }).map(String.init)
            let x = f(left + cw * (Double(j) + 0.5))
            for (k, word) in words.enumerated() {
                let y = top - 8 - 14 * Double(words.count - 1 - k)
                s += "<text x=\"\(x)\" y=\"\(f(y))\" text-anchor=\"middle\">\(escape(word))</text>\n"
            }
        }
        for (i, r) in rows.enumerated() {
            let y = top + ch * Double(i)
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(y + ch / 2 + 4))\" text-anchor=\"end\">\(escape(r))</text>\n"
            for j in columns.indices {
                let v = j < values[i].count ? values[i][j] : nil
                let x = left + cw * Double(j)
                s +=
                    "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cw))\" height=\"\(f(ch))\" fill=\"\(fill(v))\" stroke=\"white\"/>\n"
                // White numbers on the dark half of the scale.
                let ink = (v.map { shade($0) } ?? 0) > 0.6 ? "white" : "black"
                s +=
                    "<text x=\"\(f(x + cw / 2))\" y=\"\(f(y + ch / 2 + 4))\" text-anchor=\"middle\" fill=\"\(ink)\">\(v.map(format).map(escape) ?? "not run")</text>\n"
            }
        }
        return s + "</svg>\n"
    }
}
