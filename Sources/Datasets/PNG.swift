import CZlib

/// Minimal PNG writing (8-bit RGB, no filtering) for figures and image grids.
public enum PNG {
    /// Encodes `pixels` (RGB, row-major, 3 bytes per pixel) of `width`×`height`.
    public static func encode(width: Int, height: Int, rgb pixels: [UInt8]) -> [UInt8] {
        precondition(pixels.count == width * height * 3, "pixels do not fill the image")
        var raw = [UInt8]()
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw += pixels[(y * width * 3)..<((y + 1) * width * 3)]
        }
        var destLen = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(destLen))
        _ = compressed.withUnsafeMutableBufferPointer { d in
            raw.withUnsafeBufferPointer { s in
                compress2(d.baseAddress, &destLen, s.baseAddress, uLong(s.count), 9)
            }
        }
        compressed.removeLast(compressed.count - Int(destLen))
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
        out += chunk("IDAT", compressed)
        out += chunk("IEND", [])
        return out
    }

    static func be32(_ v: Int) -> [UInt8] {
        [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return be32(data.count) + body + be32(Int(crc))
    }

    /// A grid of dataset images, each scaled by `scale` and framed (`frame` gives each one's RGB border colour).
    public static func grid(
        _ d: Dataset, indices: [Int], columns: Int, scale: Int = 3, border: Int = 2,
        frame: (Int) -> [UInt8]
    ) -> [UInt8] {
        let cell = (max(d.height, d.width) * scale) + 2 * border
        let rows = (indices.count + columns - 1) / max(columns, 1)
        let w = max(1, columns * cell)
        let h = max(1, rows * cell)
        var px = [UInt8](repeating: 255, count: w * h * 3)
        for (n, i) in indices.enumerated() {
            let ox = (n % columns) * cell
            let oy = (n / columns) * cell
            let colour = frame(i)
            let img = Array(d.image(i))
            for y in 0..<cell {
                for x in 0..<cell {
                    let p = ((oy + y) * w + ox + x) * 3
                    let iy = (y - border) / scale
                    let ix = (x - border) / scale
                    if y < border || x < border || y >= cell - border || x >= cell - border || iy >= d.height
                        || ix >= d.width
                    {
                        px[p] = colour[0]
                        px[p + 1] = colour[1]
                        px[p + 2] = colour[2]
                    } else {
                        let q = (iy * d.width + ix) * d.channels
                        for k in 0..<3 { px[p + k] = img[q + (d.channels == 3 ? k : 0)] }
                    }
                }
            }
        }
        return encode(width: w, height: h, rgb: px)
    }
}
