import Datasets

extension Poisoning {
    /// A PNG of up to ten poisons, one per column: the original, the perturbed image (when a
    /// perturbation made them), the image as trained on (thesis fig 3-4, 3-10, appendix A.3), and its
    /// difference from the original ×10 around mid-grey.
    /// Nil without poisons.
    public static func examplesPNG(_ d: Dataset, poison: Poison, perturbed: [Int: ArraySlice<UInt8>]?) -> [UInt8]? {
        let n = min(10, poison.indices.count)
        guard n > 0 else { return nil }
        let size = d.imageSize
        var rows: [[UInt8]] = [poison.indices.prefix(n).flatMap { Array(d.image($0)) }]
        if let perturbed { rows.append(poison.indices.prefix(n).flatMap { Array(perturbed[$0] ?? d.image($0)) }) }
        let poisoned = Array(poison.images.prefix(n * size))
        rows.append(poisoned)
        // What the attack changed, ×10 around mid-grey: a blend or a warp is near invisible in the row above.
        let original = rows[0]
        rows.append(zip(poisoned, original).map { clipToByte(128 + 10 * (Float($0) - Float($1))) })
        let grid = Dataset(
            name: "examples", height: d.height, width: d.width, channels: d.channels, images: rows.flatMap { $0 },
            labels: Array(repeating: 0, count: rows.count * n), classNames: ["x"])
        return PNG.grid(grid, indices: Array(0..<(rows.count * n)), columns: n) { _ in [255, 255, 255] }
    }
}
