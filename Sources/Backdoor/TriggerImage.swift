import Datasets

/// A trigger pattern drawn in a file: an 8-bit PNG or a uint8 `.npy` ([H, W] or [H, W, C]).
///
/// Each pixel's grey value (the mean of its channels) becomes a sign, like the checkerboard's
/// black and white: 0 leaves the image alone, 1–127 darkens (−amplitude), 128–255 brightens
/// (+amplitude). The square pattern is scaled to the trigger's `size` by nearest neighbour.
public enum TriggerImage {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Row-major signs of `size`×`size`, for `Trigger(pattern: .image, mask:)`.
    public static func signs(path: String, size: Int) throws -> [Int8] {
        let (side, grey) = try read(path)
        return signs(grey: grey, side: side, size: size)
    }

    /// The file's grey pixels, row by row (square; its side is the square root of the count).
    public static func grey(path: String) throws -> [UInt8] { try read(path).grey }

    /// Signs of a `side`×`side` grey image scaled to `size`×`size`.
    public static func signs(grey: [UInt8], side: Int, size: Int) -> [Int8] {
        var out = [Int8](repeating: 0, count: size * size)
        for r in 0..<size {
            for c in 0..<size {
                let v = grey[(r * side / size) * side + c * side / size]
                out[r * size + c] = v == 0 ? 0 : (v < 128 ? -1 : 1)
            }
        }
        return out
    }

    /// The file's side and grey pixels; throws when it cannot be read, is not square, or is blank.
    static func read(_ path: String) throws -> (side: Int, grey: [UInt8]) {
        let width: Int
        let height: Int
        let channels: Int
        let pixels: [UInt8]
        if path.lowercased().hasSuffix(".npy") {
            let a = try NPY.read(path)
            guard case .uint8(let v) = a.values, a.shape.count == 2 || a.shape.count == 3 else {
                throw Problem(
                    description: "trigger file '\(path)' must hold a uint8 array of shape [H, W] or [H, W, C]")
            }
            (height, width, channels, pixels) = (a.shape[0], a.shape[1], a.shape.count == 3 ? a.shape[2] : 1, v)
        } else {
            let png = try PNG.decode(try FileIO.read(path), path: path)
            (height, width, channels, pixels) = (png.height, png.width, 3, png.rgb)
        }
        guard width == height, width > 0, channels > 0 else {
            throw Problem(
                description: "trigger file '\(path)' is \(width)×\(height) pixels; a trigger pattern must be square")
        }
        var grey = [UInt8](repeating: 0, count: width * height)
        for i in 0..<grey.count {
            var s = 0
            for k in 0..<channels { s += Int(pixels[i * channels + k]) }
            grey[i] = UInt8((s + channels / 2) / channels)
        }
        guard grey.contains(where: { $0 != 0 }) else {
            throw Problem(
                description: "trigger file '\(path)' is blank: every pixel is 0, so the trigger would change nothing")
        }
        return (width, grey)
    }
}
