import TensorKernels

/// Where `Conv2D` runs a 3×3, stride-1, padding-1 convolution by Winograd's F(2×2, 3×3) (the
/// `WinogradConv3x3` kernels) instead of the direct kernels: on an AVX-512 or AVX2 CPU, with 16, 32, 64 or
/// 128 input channels and a multiple of 16 output channels; the input gradient likewise with the
/// roles of the channels swapped (the flipped, transposed weights), and the summed weight gradient
/// by F(3×3, 2×2). `BACKDOORLAB_CONV=direct` keeps
/// the direct kernels, `im2col` neither (benchmarks compare the three).
enum WinogradConvolution {
    /// The CPU can run the kernels and the user has not asked for another path.
    static var enabled: Bool { DirectConvolution.enabled && !directAsked }
    static let directAsked = getenvString("BACKDOORLAB_CONV") == "direct"

    static func coversForward(_ g: ConvGeometry) -> Bool {
        enabled && g.kernel == 3 && g.stride == 1 && g.padding == 1
            && VectorKernels.kernels.winogradSupports(inChannels: g.inChannels, outChannels: g.outChannels)
    }

    static func coversInputGradient(_ g: ConvGeometry) -> Bool {
        enabled && g.kernel == 3 && g.stride == 1 && g.padding == 1
            && VectorKernels.kernels.winogradSupports(inChannels: g.outChannels, outChannels: g.inChannels)
    }

    /// One image of `g` as the kernels see it; `transposed` maps dy to dx.
    static func shape(_ g: ConvGeometry, transposed: Bool = false) -> WinogradShape {
        WinogradShape(
            height: g.height, width: g.width, inChannels: transposed ? g.outChannels : g.inChannels,
            outChannels: transposed ? g.inChannels : g.outChannels)
    }

    /// Floats of one worker's scratch, for the forward pass and the input gradient alike.
    static func workerFloats(_ g: ConvGeometry) -> Int {
        max(shape(g).scratchFloats, shape(g, transposed: true).scratchFloats)
    }

    /// Floats of one worker's scratch for the weight gradient (besides its transformed sums,
    /// `transformedFloats`).
    static func gradientFloats(_ g: ConvGeometry) -> Int {
        VectorKernels.kernels.winogradGradientScratchFloats(shape(g))
    }

    /// sums [16, C, K] += one image's weight gradient in the transformed domain.
    static func accumulateWeightGradient(
        _ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        VectorKernels.kernels.winogradAccumulateWeightGradient(
            shape(g), input: x, outputGradient: dy, sums: sums, scratch: scratch)
    }

    /// Floats of the transformed weights (and of the transformed weight-gradient sums).
    static func transformedFloats(_ g: ConvGeometry) -> Int { 16 * g.inChannels * g.outChannels }

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
