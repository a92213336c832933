import TensorKernels

/// This compiled copy's kernels behind `KernelSet`. The same file is compiled into `TensorAVX512` and
/// `TensorAVX2` (a link to it there), so the two copies cannot drift apart.
public enum Kernels: KernelSet {
    #if TENSOR_AVX2
        public static let directStride2 = false
    #else
        public static let directStride2 = true
    #endif

    public static func directForward(
        _ shape: DirectShape, padded: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) { DirectConv3x3.forward(shape, padded: padded, weight: weight, output: output) }

    public static func directWeightGradient(
        _ shape: DirectShape, padded: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>
    ) {
        DirectConv3x3.accumulateWeightGradient(
            shape, padded: padded, outputGradient: outputGradient, weightGradient: weightGradient)
    }

    public static func directInputGradientStride2(
        height: Int, width: Int, inChannels: Int, outChannels: Int, paddedGradient: UnsafePointer<Float>,
        flipped: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?
    ) {
        DirectConv3x3.inputGradientStride2(
            height: height, width: width, inChannels: inChannels, outChannels: outChannels,
            paddedGradient: paddedGradient, flipped: flipped, inputGradient: inputGradient, addend: addend)
    }

    public static func supportsInputGradientStride2(inChannels: Int, outChannels: Int) -> Bool {
        DirectConv3x3.supportsInputGradientStride2(inChannels: inChannels, outChannels: outChannels)
    }

    public static func winogradSupports(inChannels: Int, outChannels: Int) -> Bool {
        WinogradConv3x3.supports(inChannels: inChannels, outChannels: outChannels)
    }

    public static func winogradTransformWeights(
        inChannels: Int, outChannels: Int, tile: Int, weight: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>
    ) {
        if tile == 4 {
            WinogradConv3x3.transformWeights4(
                inChannels: inChannels, outChannels: outChannels, weight: weight, into: into)
        } else {
            WinogradConv3x3.transformWeights(
                inChannels: inChannels, outChannels: outChannels, weight: weight, into: into)
        }
    }

    public static func winogradForward(
        _ shape: WinogradShape, input: UnsafePointer<Float>, transformed: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>
    ) {
        WinogradConv3x3.forward(
            shape, input: input, transformed: transformed, output: output, addend: addend, scratch: scratch)
    }

    public static func winogradGradientScratchFloats(_ shape: WinogradShape) -> Int {
        WinogradConv3x3.gradientScratchFloats(shape)
    }

    public static func winogradAccumulateWeightGradient(
        _ shape: WinogradShape, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        WinogradConv3x3.accumulateWeightGradient(
            shape, input: input, outputGradient: outputGradient, sums: sums, scratch: scratch)
    }

    public static func winogradWeightGradient(
        fromSums: UnsafePointer<Float>, inChannels: Int, outChannels: Int, into: UnsafeMutablePointer<Float>
    ) {
        WinogradConv3x3.weightGradient(fromSums: fromSums, inChannels: inChannels, outChannels: outChannels, into: into)
    }

    public static func sweepStatistics(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, sum: UnsafeMutablePointer<Double>,
        squares: UnsafeMutablePointer<Double>
    ) { BatchNormSweeps.statistics(rows: rows, channels: channels, x: x, sum: sum, squares: squares) }

    public static func sweepAffine(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, residual: UnsafePointer<Float>?, relu: Bool, y: UnsafeMutablePointer<Float>
    ) {
        BatchNormSweeps.affine(
            rows: rows, channels: channels, x: x, scale: scale, shift: shift, residual: residual, relu: relu, y: y)
    }

    public static func sweepGradientSums(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: SweepMask,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, into: UnsafeMutablePointer<Double>,
        dResidual: UnsafeMutablePointer<Float>?
    ) {
        BatchNormSweeps.gradientSums(
            rows: rows, channels: channels, x: x, dy: dy, mask: mask, mean: mean, invStd: invStd, into: into,
            dResidual: dResidual)
    }

    public static func sweepInputGradient(
        rows: Range<Int>, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: SweepMask,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, coefficients: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        BatchNormSweeps.inputGradient(
            rows: rows, channels: channels, x: x, dy: dy, mask: mask, mean: mean, invStd: invStd,
            coefficients: coefficients, dx: dx)
    }
}
