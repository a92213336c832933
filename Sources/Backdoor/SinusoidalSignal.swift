import Foundation

/// SIG (Barni, Kallas & Tondi 2019): a horizontal sinusoid v(i, j) = Δ·sin(2π·j·f / W) added to every row
/// and channel, rounded and clipped to 0–255. The attack is clean-label: only target-class images carry it.
public struct SinusoidalSignal: ImageTrigger, Hashable {
    /// Δ on the 0–255 scale (the paper: 20).
    public var delta: Float
    /// f, periods across the image's width (the paper: 6).
    public var frequency: Float

    public init(delta: Float, frequency: Float) {
        self.delta = delta
        self.frequency = frequency
    }

    /// v(j) for the columns of an image `width` wide.
    public func signal(width w: Int) -> [Float] {
        (0..<w).map { j in delta * Float(sin(2 * Double.pi * Double(j) * Double(frequency) / Double(w))) }
    }

    public func apply(to images: UnsafeMutablePointer<UInt8>, count: Int, height h: Int, width w: Int, channels c: Int)
    {
        let v = signal(width: w)
        for i in 0..<(count * h) {
            let row = images + i * w * c
            for j in 0..<w { for k in 0..<c { row[j * c + k] = clipToByte(Float(row[j * c + k]) + v[j]) } }
        }
    }
}
