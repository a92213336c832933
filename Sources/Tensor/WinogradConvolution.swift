import TensorKernels

/// Where `Conv2D` runs a 3×3, stride-1, padding-1 convolution by Winograd's F(4×4, 3×3) (the
/// `WinogradConv3x3` kernels) instead of the direct kernels: on an AVX-512 or AVX2 CPU, with 16, 32, 64 or
/// 128 input channels and a multiple of 16 output channels; the input gradient likewise with the
/// roles of the channels swapped (the flipped, transposed weights), and the summed weight gradient
/// by F(3×3, 2×2). `BACKDOORLAB_WINOGRAD=f2` takes F(2×2, 3×3) for the forward pass and the input gradient
/// too; `BACKDOORLAB_CONV=direct` keeps the direct kernels, `im2col` neither (benchmarks compare them).
enum WinogradConvolution {
    /// The CPU can run the kernels and the user has not asked for another path.
    static var enabled: Bool { DirectConvolution.enabled && !directAsked }
    static let directAsked = getenvString("BACKDOORLAB_CONV") == "direct"
    /// Output pixels per tile side of the forward pass and the input gradient: 4, or 2 with
    /// `BACKDOORLAB_WINOGRAD=f2` (tests and benchmarks set it here; not while a layer runs).
    nonisolated(unsafe) static var tile: Int = {
        let text = getenvString("BACKDOORLAB_WINOGRAD")
        if let text, text != "f2", text != "f4" {
            // A misspelt choice must not pass for a measurement of the one asked for.
            warn("warning: BACKDOORLAB_WINOGRAD=\(text) is not f2 or f4; using f4")
        }
        return text == "f2" ? 2 : 4
    }()

    static func coversForward(_ g: ConvGeometry) -> Bool {
        enabled && g.kernel == 3 && g.stride == 1 && g.padding == 1
            && VectorKernels.kernels.winogradSupports(inChannels: g.inChannels, outChannels: g.outChannels)
    }

    static func coversInputGradient(_ g: ConvGeometry) -> Bool {
        enabled && g.kernel == 3 && g.stride == 1 && g.padding == 1
            && VectorKernels.kernels.winogradSupports(inChannels: g.outChannels, outChannels: g.inChannels)
    }

    /// One image of `g` as the kernels see it; `transposed` maps dy to dx. The weight gradient's tiles are 2.
    static func shape(_ g: ConvGeometry, transposed: Bool = false, tile: Int? = nil) -> WinogradShape {
        WinogradShape(
            height: g.height, width: g.width, inChannels: transposed ? g.outChannels : g.inChannels,
            outChannels: transposed ? g.inChannels : g.outChannels, tile: tile ?? Self.tile)
    }

    /// Floats of one worker's scratch, for the forward pass and the input gradient alike.
    static func workerFloats(_ g: ConvGeometry) -> Int {
        max(shape(g).scratchFloats, shape(g, transposed: true).scratchFloats)
    }

    /// Floats of one worker's scratch for the weight gradient (besides its transformed sums,
    /// `sumsFloats`).
    static func gradientFloats(_ g: ConvGeometry) -> Int {
        VectorKernels.kernels.winogradGradientScratchFloats(shape(g, tile: 2))
    }

    /// sums [16, C, K] (`sumsFloats`) += one image's weight gradient in the transformed domain.
    static func accumulateWeightGradient(
        _ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        VectorKernels.kernels.winogradAccumulateWeightGradient(
            shape(g, tile: 2), input: x, outputGradient: dy, sums: sums, scratch: scratch)
    }

    /// Floats of the transformed weights.
    static func transformedFloats(_ g: ConvGeometry) -> Int { shape(g).planes * g.inChannels * g.outChannels }

    /// Floats of the transformed weight-gradient sums (F(3×3, 2×2): 16 planes).
    static func sumsFloats(_ g: ConvGeometry) -> Int { 16 * g.inChannels * g.outChannels }

    /// The weights transformed for the forward pass (`transposed`: the flipped, transposed ones for dx).
    static func transformWeights(
        _ g: ConvGeometry, _ weight: UnsafePointer<Float>, transposed: Bool = false, into u: UnsafeMutablePointer<Float>
    ) {
        let s = shape(g, transposed: transposed)
        VectorKernels.kernels.winogradTransformWeights(
            inChannels: s.inChannels, outChannels: s.outChannels, tile: s.tile, weight: weight, into: u)
    }

    /// y of `images` from x, with `transformed` = `WinogradConv3x3.transformWeights` of the weights.
    static func forward(
        _ g: ConvGeometry, x: SharedPointer<Float>, transformed: SharedPointer<Float>, y: SharedPointer<Float>,
        images: Range<Int>, scratch: UnsafeMutablePointer<Float>
    ) {
        let s = shape(g)
        let inImage = g.height * g.width * g.inChannels
        let outImage = g.height * g.width * g.outChannels
        for n in images {
            VectorKernels.kernels.winogradForward(
                s, input: x.p + n * inImage, transformed: transformed.p, output: y.p + n * outImage, addend: nil,
                scratch: scratch)
        }
    }

    /// dx (+ `addend`, if given) of one image from its dy, with `transformed` from the flipped, transposed weights.
    static func inputGradient(
        _ g: ConvGeometry, dy: UnsafePointer<Float>, transformed: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>
    ) {
        VectorKernels.kernels.winogradForward(
            shape(g, transposed: true), input: dy, transformed: transformed, output: dx, addend: addend,
            scratch: scratch)
    }
}
