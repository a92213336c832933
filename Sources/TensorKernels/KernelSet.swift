/// One compiled copy of the vector kernels, as `Tensor` calls it. The kernels' sources are compiled twice —
/// `TensorAVX512` for CPUs with AVX-512, `TensorAVX2` for those with AVX2 and FMA only — and each copy's
/// `Kernels` conforms, so `Tensor` picks a copy once at run time and one portable binary never executes an
/// instruction its CPU lacks. Shapes and pointers as in `DirectConv3x3`, `WinogradConv3x3` and
/// `BatchNormSweeps`.
public protocol KernelSet {
    /// The direct kernels' stride-2 input gradient pays on this copy's CPUs (it loses to im2col on AVX2).
    static var directStride2: Bool { get }

    static func directForward(
        _ shape: DirectShape, padded: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>)
    static func directWeightGradient(
        _ shape: DirectShape, padded: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>)
    static func directInputGradientStride2(
        height: Int, width: Int, inChannels: Int, outChannels: Int, paddedGradient: UnsafePointer<Float>,
        flipped: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?)
    static func supportsInputGradientStride2(inChannels: Int, outChannels: Int) -> Bool

    static func winogradSupports(inChannels: Int, outChannels: Int) -> Bool
    static func winogradTransformWeights(
        inChannels: Int, outChannels: Int, tile: Int, weight: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>)
    static func winogradForward(
        _ shape: WinogradShape, input: UnsafePointer<Float>, transformed: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>)
    static func winogradGradientScratchFloats(_ shape: WinogradShape) -> Int
    static func winogradAccumulateWeightGradient(
        _ shape: WinogradShape, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>)
    static func winogradWeightGradient(
        fromSums: UnsafePointer<Float>, inChannels: Int, outChannels: Int, into: UnsafeMutablePointer<Float>)

    static func sweepStatistics(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, sum: UnsafeMutablePointer<Double>,
        squares: UnsafeMutablePointer<Double>)
    static func sweepAffine(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, residual: UnsafePointer<Float>?, relu: Bool, y: UnsafeMutablePointer<Float>)
    static func sweepGradientSums(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: SweepMask,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, into: UnsafeMutablePointer<Double>,
        dResidual: UnsafeMutablePointer<Float>?)
    static func sweepInputGradient(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: SweepMask,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, coefficients: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>)
}

/// One image of a direct 3×3 convolution (padding 1): the output's size, the input's width, channels, stride.
public struct DirectShape: Sendable {
    public var outHeight, outWidth, inputWidth, inChannels, outChannels, stride: Int

    public init(outHeight: Int, outWidth: Int, inputWidth: Int, inChannels: Int, outChannels: Int, stride: Int) {
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.inputWidth = inputWidth
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.stride = stride
    }
}

/// One image's Winograd convolution: H×W×C in, H×W×K out, by output tiles of `tile`×`tile` pixels: 2 for
/// F(2×2, 3×3), 4 for F(4×4, 3×3) (the weight gradient is always F(3×3, 2×2): tile 2).
public struct WinogradShape: Sendable {
    public var height, width, inChannels, outChannels: Int
    public var tile: Int

    public init(height: Int, width: Int, inChannels: Int, outChannels: Int, tile: Int = 2) {
        self.height = height
        self.width = width
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.tile = tile
    }

    /// Output tiles `forward` transforms at a time.
    public static let blockTiles = 16
    /// Transformed values per tile and channel: (tile + 2)².
    public var planes: Int { (tile &+ 2) &* (tile &+ 2) }
    /// Output tiles down and across (the last ones partly outside when the size is not a multiple of the tile).
    public var tileRows: Int { (height &+ tile &- 1) / tile }
    public var tileColumns: Int { (width &+ tile &- 1) / tile }
    public var tiles: Int { tileRows &* tileColumns }
    /// Floats of `forward`'s scratch: one block of tiles' transformed input and products, and an edge tile.
    public var scratchFloats: Int {
        WinogradShape.blockTiles &* (planes &* (inChannels &+ outChannels) &+ 32) &+ planes &* inChannels
    }
}

/// The ReLU a batch norm's backward sweep applies to dy first: none, where its output y > 0, or where the
/// affine output x·scale + shift > 0 (recomputed, so y need not be stored).
public enum SweepMask {
    case none
    case output(UnsafePointer<Float>)
    case affine(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>)
}

/// Rows a batch-norm sweep sums in Float before it flushes to Double (the portable loops use the same).
public let sweepBlockRows = 64
