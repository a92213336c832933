import Datasets

/// A backdoor trigger stamped onto 0–255 images (HWC).
///
/// The thesis's checkerboard is 3×3, rows top to bottom `B B W / B W B / W B W` (W = +1, B = −1):
/// amplitude a adds +a to white and −a to black pixels on every channel and clips to [0, 255]
/// (a = 255 overwrites). Other sizes scale that pattern by nearest neighbour. A corner's pattern
/// sits flush against it; left corners get the horizontal mirror, so the four-corner trigger
/// looks the same after a flip. The 'x' trigger is drawn in the image centre, red on colour
/// images and grey on grey ones.
public struct Trigger: ImageTrigger, Hashable {
    public enum Pattern: String, Sendable, Codable { case checkerboard, x, image }
    public enum Corner: String, Sendable, Codable, CaseIterable { case bottom_right, bottom_left, top_right, top_left }

    public var pattern: Pattern
    public var size: Int
    public var corners: [Corner]
    public var amplitude: Float
    /// For `.image`: a mask of signs (+1, −1, 0 = untouched) of `size`×`size`.
    public var mask: [Int8]?

    public init(
        pattern: Pattern = .checkerboard, size: Int = 3, corners: [Corner] = [.bottom_right], amplitude: Float = 255,
        mask: [Int8]? = nil
    ) {
        self.pattern = pattern
        self.size = size
        self.corners = corners
        self.amplitude = amplitude
        self.mask = mask
    }

    static let checker: [[Int8]] = [[-1, -1, 1], [-1, 1, -1], [1, -1, 1]]

    /// Signs of the pattern at (row, col) of a size×size square.
    func sign(_ r: Int, _ c: Int) -> Int8 {
        switch pattern {
        case .checkerboard: return Trigger.checker[r * 3 / size][c * 3 / size]
        case .image: return mask?[r * size + c] ?? 0
        case .x: return (r == c || r + c == size - 1) ? 1 : 0
        }
    }

    public func apply(to images: UnsafeMutablePointer<UInt8>, count: Int, height h: Int, width w: Int, channels ch: Int)
    {
        for i in 0..<count { stamp(images + i * h * w * ch, height: h, width: w, channels: ch) }
    }

    /// Stamps the trigger onto one image in place.
    func stamp(_ image: UnsafeMutablePointer<UInt8>, height h: Int, width w: Int, channels ch: Int) {
        if pattern == .x {
            // Centre of the image; red (amplitude on channel 0, removed from the others) on colour images.
            let top = (h - size) / 2
            let left = (w - size) / 2
            for r in 0..<size {
                for c in 0..<size where sign(r, c) != 0 {
                    let p = image + ((top + r) * w + left + c) * ch
                    if ch == 3 {
                        p[0] = clip(Float(p[0]) + amplitude)
                        p[1] = clip(Float(p[1]) - amplitude)
                        p[2] = clip(Float(p[2]) - amplitude)
                    } else {
                        for k in 0..<ch { p[k] = clip(Float(p[k]) + amplitude) }
                    }
                }
            }
            return
        }
        for corner in corners {
            let bottom = corner == .bottom_right || corner == .bottom_left
            let right = corner == .bottom_right || corner == .top_right
            let top = bottom ? h - size : 0
            let left = right ? w - size : 0
            for r in 0..<size {
                for c in 0..<size {
                    let s = sign(r, right ? c : size - 1 - c)
                    guard s != 0 else { continue }
                    let p = image + ((top + r) * w + left + c) * ch
                    for k in 0..<ch { p[k] = clip(Float(p[k]) + Float(s) * amplitude) }
                }
            }
        }
    }

    @inline(__always) func clip(_ v: Float) -> UInt8 { clipToByte(v) }
}
