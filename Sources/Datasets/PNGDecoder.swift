import CZlib

extension PNG {
    /// Decodes an 8-bit PNG (grey, grey+alpha, RGB, RGBA or palette; no interlacing) to RGB pixels.
    public static func decode(_ b: [UInt8], path: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        func fail(_ why: String) -> DatasetError { DatasetError(path, .malformed("PNG: \(why)")) }
        guard b.count >= 8, Array(b.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw DatasetError(path, .badMagic(expected: "a PNG file"))
        }
        var i = 8
        var width = 0
        var height = 0
        var colourType = -1
        var idat = [UInt8]()
        var palette = [UInt8]()
        var ended = false
        while i + 8 <= b.count {
            let n = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard n >= 0, i + 12 + n <= b.count else {
                throw DatasetError(path, .truncated(expected: i + 12 + n, found: b.count))
            }
            let data = b[(i + 8)..<(i + 8 + n)]
            switch type {
            case "IHDR":
                guard n >= 13 else { throw fail("short IHDR") }
                let d = Array(data)
                width = Int(d[0]) << 24 | Int(d[1]) << 16 | Int(d[2]) << 8 | Int(d[3])
                height = Int(d[4]) << 24 | Int(d[5]) << 16 | Int(d[6]) << 8 | Int(d[7])
                guard d[8] == 8 else { throw fail("bit depth \(d[8]) (only 8 is read)") }
                colourType = Int(d[9])
                guard d[12] == 0 else { throw fail("interlaced images are not read") }
                guard width > 0, height > 0, width <= 4096, height <= 4096 else {
                    throw fail("size \(width)×\(height)")
                }
            case "PLTE": palette = Array(data)
            case "IDAT": idat += data
            case "IEND":
                ended = true
                i = b.count
                continue
            default: break
            }
            i += 12 + n
        }
        guard ended else { throw fail("truncated: the file ends before its IEND chunk") }
        let channels: Int
        switch colourType {
        case 0: channels = 1
        case 2: channels = 3
        case 3: channels = 1
        case 4: channels = 2
        case 6: channels = 4
        default: throw fail(colourType < 0 ? "no IHDR chunk" : "colour type \(colourType)")
        }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var size = uLongf(raw.count)
        let rc = raw.withUnsafeMutableBufferPointer { r in
            idat.withUnsafeBufferPointer { s in uncompress(r.baseAddress, &size, s.baseAddress, uLong(s.count)) }
        }
        guard rc == Z_OK, Int(size) == raw.count else {
            throw fail("image data does not inflate to \(raw.count) bytes")
        }
        // Undo the per-row filters (None, Sub, Up, Average, Paeth).
        var px = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let f = raw[y * (stride + 1)]
            let row = y * (stride + 1) + 1
            for x in 0..<stride {
                let a = x >= channels ? Int(px[y * stride + x - channels]) : 0
                let up = y > 0 ? Int(px[(y - 1) * stride + x]) : 0
                let c = (x >= channels && y > 0) ? Int(px[(y - 1) * stride + x - channels]) : 0
                let v = Int(raw[row + x])
                let pred: Int
                switch f {
                case 0: pred = 0
                case 1: pred = a
                case 2: pred = up
                case 3: pred = (a + up) / 2
                case 4:
                    let p = a + up - c
                    let pa = abs(p - a)
                    let pb = abs(p - up)
                    let pc = abs(p - c)
                    pred = pa <= pb && pa <= pc ? a : (pb <= pc ? up : c)
                default: throw fail("row \(y) has unknown filter \(f)")
                }
                px[y * stride + x] = UInt8((v + pred) & 255)
            }
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            switch colourType {
            case 0, 4:
                let g = px[p * channels]
                rgb[p * 3] = g
                rgb[p * 3 + 1] = g
                rgb[p * 3 + 2] = g
            case 3:
                let k = Int(px[p]) * 3
                guard k + 2 < palette.count else { throw fail("palette index \(px[p]) out of range") }
                rgb[p * 3] = palette[k]
                rgb[p * 3 + 1] = palette[k + 1]
                rgb[p * 3 + 2] = palette[k + 2]
            default: for k in 0..<3 { rgb[p * 3 + k] = px[p * channels + k] }
            }
        }
        return (width, height, rgb)
    }
}

/// CINIC-10 (Darlow et al.): PNG folders `train|valid|test/<class>/*.png`, 32×32 RGB, the CIFAR-10
/// classes; images whose names do not start with `cifar10-` are the ImageNet-derived ones.
public enum CINIC {
    /// Which images of a split: all, or only those derived from ImageNet or from CIFAR-10.
    public enum Source: String, Sendable, Codable, Hashable, CaseIterable { case all, imagenet, cifar }
    /// CINIC-10's three equal splits, each a folder.
    public enum Split: String, Sendable, Codable, Hashable, CaseIterable { case train, valid, test }
    public static let classNames = CIFAR.cifar10ClassNames

    public static func load(directory: String, split: Split, source: Source = .all) throws -> Dataset {
        let root = directory + "/" + split.rawValue
        guard FileIOExists(root) else { throw DatasetError(root, .missing) }
        var images = [UInt8]()
        var labels = [Int]()
        for (label, name) in classNames.enumerated() {
            let dir = root + "/" + name
            guard FileIOExists(dir) else { throw DatasetError(dir, .missing) }
            for f in try FileIO.list(dir).filter({ $0.hasSuffix(".png") }).sorted() {
                let fromCIFAR = f.hasPrefix("cifar10-")
                if source == .imagenet && fromCIFAR || source == .cifar && !fromCIFAR { continue }
                let path = dir + "/" + f
                let img = try PNG.decode(try FileIO.read(path), path: path)
                guard img.width == 32, img.height == 32 else {
                    throw DatasetError(
                        path, .mismatch("image is \(img.width)×\(img.height), CINIC-10 images are 32×32"))
                }
                images += img.rgb
                labels.append(label)
            }
        }
        return Dataset(
            name: "cinic10-\(split.rawValue)-\(source.rawValue)", height: 32, width: 32, channels: 3, images: images,
            labels: labels, classNames: classNames)
    }
}
