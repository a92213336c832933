import CBLAS
import TensorKernels

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Where `Conv2D` runs a convolution with the direct kernels (`VectorKernels`) instead of
/// im2col + GEMM: 3×3, padding 1, stride 1 or 2, a multiple of 16 output channels, on a CPU with
/// AVX-512. The input gradient goes direct with a multiple of 16 input channels: for stride 1 the
/// same kernel run on the output gradient with the weights flipped and transposed, for stride 2 a
/// kernel that sums each input pixel's 1, 2 or 4 taps by the parity of its row and column. `BACKDOORLAB_CONV=im2col` turns it off (benchmarks
/// compare the two). Each worker pads its images one at a time into its own buffer.
enum DirectConvolution {
    /// The CPU can run the kernels and the user has not asked for im2col.
    static var enabled: Bool { VectorKernels.active != nil && !im2colAsked }
    static let im2colAsked = getenvString("BACKDOORLAB_CONV") == "im2col"

    /// Stride-2 layers only where the kernel copy's stride-2 kernels pay (on AVX2 im2col + GEMM is faster).
    static func coversForward(_ g: ConvGeometry) -> Bool {
        enabled && g.kernel == 3 && (g.stride == 1 || (g.stride == 2 && VectorKernels.kernels.directStride2))
            && g.padding == 1 && g.outChannels % 16 == 0
    }

    static func coversInputGradient(_ g: ConvGeometry) -> Bool {
        coversForward(g) && g.inChannels % 16 == 0
            && (g.stride == 1
                || VectorKernels.kernels.supportsInputGradientStride2(
                    inChannels: g.inChannels, outChannels: g.outChannels))
    }

    /// Whether `inputGradient` adds a residual join's other gradient as it stores dx (stride 2).
    static func addsAsItStores(_ g: ConvGeometry) -> Bool { g.stride == 2 }

    /// One image of `g` as the kernels see it.
    static func shape(_ g: ConvGeometry) -> DirectShape {
        DirectShape(
            outHeight: g.outHeight, outWidth: g.outWidth, inputWidth: g.width, inChannels: g.inChannels,
            outChannels: g.outChannels, stride: g.stride)
    }

    /// Floats of one worker's padding buffer: the larger of a padded input and a padded output gradient.
    static func padFloats(_ g: ConvGeometry) -> Int {
        (g.height + 2) * (g.width + 2) * max(g.inChannels, g.outChannels)
    }

    /// Copies one [H, W, C] image into `dst` [H+2, W+2, C] with a zero border.
    static func pad(
        _ src: UnsafePointer<Float>, height h: Int, width w: Int, channels c: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        let rowStride = (w + 2) * c
        dst.update(repeating: 0, count: rowStride)
        dst.advanced(by: (h + 1) * rowStride).update(repeating: 0, count: rowStride)
        for y in 0..<h {
            let row = dst + (y + 1) * rowStride
            row.update(repeating: 0, count: c)
            (row + c).update(from: src + y * w * c, count: w * c)
            (row + (w + 1) * c).update(repeating: 0, count: c)
        }
    }

    /// Copies one [H, W, C] image into `dst` [H+1, W+1, C] with a zero row below and a zero column to the right.
    static func padAfter(
        _ src: UnsafePointer<Float>, height h: Int, width w: Int, channels c: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        let rowStride = (w + 1) * c
        for y in 0..<h {
            let row = dst + y * rowStride
            row.update(from: src + y * w * c, count: w * c)
            (row + w * c).update(repeating: 0, count: c)
        }
        dst.advanced(by: h * rowStride).update(repeating: 0, count: rowStride)
    }

    static func forward(
        _ g: ConvGeometry, x: SharedPointer<Float>, weight: SharedPointer<Float>, y: SharedPointer<Float>,
        images: Range<Int>, pad buffer: UnsafeMutablePointer<Float>
    ) {
        let inImage = g.height * g.width * g.inChannels
        let outImage = g.outHeight * g.outWidth * g.outChannels
        let one = shape(g)
        for n in images {
            pad(x.p + n * inImage, height: g.height, width: g.width, channels: g.inChannels, into: buffer)
            VectorKernels.kernels.directForward(one, padded: buffer, weight: weight.p, output: y.p + n * outImage)
        }
    }

    /// dW (here `dWeight`, [3, 3, C, K]) += the images' weight gradient, image by image in order.
    static func accumulateWeightGradient(
        _ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
        pad buffer: UnsafeMutablePointer<Float>
    ) {
        pad(x, height: g.height, width: g.width, channels: g.inChannels, into: buffer)
        VectorKernels.kernels.directWeightGradient(
            shape(g), padded: buffer, outputGradient: dy, weightGradient: dWeight)
    }

    /// w [3, 3, C, K] → its flip over both spatial axes with C and K swapped, [3, 3, K, C]: the weights
    /// of the stride-1 convolution that maps dy to dx.
    static func flipTranspose(_ g: ConvGeometry, _ w: UnsafePointer<Float>, into t: UnsafeMutablePointer<Float>) {
        let c = g.inChannels
        let k = g.outChannels
        for tap in 0..<9 {
            let src = w + (8 - tap) * c * k
            let dst = t + tap * k * c
            for ci in 0..<c {
                for ki in 0..<k { dst[ki * c + ci] = src[ci * k + ki] }
            }
        }
    }

    /// dx of one image from its dy: for stride 1 the forward kernel on the padded dy with the flipped weights.
    /// For stride 2, `addend` (x's shape) is added as dx is stored (`addsAsItStores`); for stride 1 it must be nil.
    static func inputGradient(
        _ g: ConvGeometry, dy: UnsafePointer<Float>, flipped: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        addend: UnsafePointer<Float>? = nil, pad buffer: UnsafeMutablePointer<Float>
    ) {
        if g.stride == 2 {
            padAfter(dy, height: g.outHeight, width: g.outWidth, channels: g.outChannels, into: buffer)
            VectorKernels.kernels.directInputGradientStride2(
                height: g.height, width: g.width, inChannels: g.inChannels, outChannels: g.outChannels,
                paddedGradient: buffer, flipped: flipped, inputGradient: dx, addend: addend)
            return
        }
        precondition(addend == nil, "the stride-1 direct input gradient adds no addend")
        pad(dy, height: g.height, width: g.width, channels: g.outChannels, into: buffer)
        let transposed = DirectShape(
            outHeight: g.height, outWidth: g.width, inputWidth: g.width, inChannels: g.outChannels,
            outChannels: g.inChannels, stride: 1)
        VectorKernels.kernels.directForward(transposed, padded: buffer, weight: flipped, output: dx)
    }
}
