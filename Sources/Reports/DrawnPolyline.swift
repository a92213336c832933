import Foundation

/// The vertices of a polyline as drawn: points in pixels rounded to the SVG's tenth of a pixel, without the
/// repeats and the middle points of straight runs, which draw nothing. A ROC over 60 000 scores is a staircase
/// of 60 000 points but a few hundred corners; the image is the same, the file a hundredth of the size.
struct DrawnPolyline {
    /// Vertices in tenths of a pixel.
    private(set) var vertices: [(x: Int, y: Int)] = []

    /// Points that are not finite (a diverged loss, a zero on a log axis) are left out: they have no place on the
    /// page, and converting them to integers would trap.
    init<S: Sequence>(_ points: S) where S.Element == (Double, Double) {
        for (x, y) in points where x.isFinite && y.isFinite {
            append((DrawnPolyline.tenths(of: x), DrawnPolyline.tenths(of: y)))
        }
    }

    /// Kept within ±10⁹ tenths, far off any page, so the integer never overflows.
    private static func tenths(of v: Double) -> Int { Int(min(1e9, max(-1e9, (v * 10).rounded()))) }

    private mutating func append(_ p: (x: Int, y: Int)) {
        if let last = vertices.last, last == p { return }
        if vertices.count >= 2 {
            let a = vertices[vertices.count - 2]
            let b = vertices[vertices.count - 1]
            let (ux, uy, vx, vy) = (b.x - a.x, b.y - a.y, p.x - b.x, p.y - b.y)
            // b lies on the segment from a to p, the line going on the same way: a turn back would change the
            // drawing, so only a straight continuation drops it.
            if ux * vy - uy * vx == 0, ux * vx + uy * vy > 0 { vertices.removeLast() }
        }
        vertices.append(p)
    }

    /// `x,y x,y …` for an SVG `points` attribute.
    var points: String {
        vertices.map { "\(decimal($0.x)),\(decimal($0.y))" }.joined(separator: " ")
    }

    /// Tenths as a decimal: 23 → "2.3", −3 → "-0.3".
    private func decimal(_ v: Int) -> String {
        let sign = v < 0 ? "-" : ""
        return "\(sign)\(abs(v) / 10).\(abs(v) % 10)"
    }
}
