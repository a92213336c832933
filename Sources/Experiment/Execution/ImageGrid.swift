import Datasets

/// A PNG of `rows` of images, each row `columns` images of `shape` ([H, W, C]), on white.
func gridPNG(_ rows: [[UInt8]], columns: Int, shape: [Int]) -> [UInt8] {
    let all = rows.flatMap { $0 }
    let n = all.count / shape.reduce(1, *)
    let grid = Dataset(
        name: "grid", height: shape[0], width: shape[1], channels: shape[2], images: all,
        labels: Array(repeating: 0, count: n), classNames: ["x"])
    return PNG.grid(grid, indices: Array(0..<n), columns: columns) { _ in [255, 255, 255] }
}
