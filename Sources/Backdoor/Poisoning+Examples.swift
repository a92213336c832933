import Datasets

extension Poisoning {
    /// A PNG of up to ten poisons, one per column: the original, the perturbed image (when a
    /// perturbation made them), and the image as trained on (thesis fig 3-4, 3-10, appendix A.3).
    /// Nil without poisons.
    public static func examplesPNG(_ d: Dataset, poison: Poison, perturbed: [Int: ArraySlice<UInt8>]?) -> [UInt8]? {
        let n = min(10, poison.indices.count)
        guard n > 0 else { return nil }
        let size = d.imageSize
        var rows: [[UInt8]] = [poison.indices.prefix(n).flatMap { Array(d.image($0)) }]
        if let perturbed { rows.append(poison.indices.prefix(n).flatMap { Array(perturbed[$0] ?? d.image($0)) }) }
        rows.append(Array(poison.images.prefix(n * size)))
        let grid = Dataset(
            name: "examples", height: d.height, width: d.width, channels: d.channels, images: rows.flatMap { $0 },
            labels: Array(repeating: 0, count: rows.count * n), classNames: ["x"])
        return PNG.grid(grid, indices: Array(0..<(rows.count * n)), columns: n) { _ in [255, 255, 255] }
    }
}
