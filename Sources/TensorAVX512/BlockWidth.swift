/// A register block's width, fixed at compile time so that a kernel specialised for it keeps its
/// accumulators in vector registers (the loops over it unroll completely).
protocol BlockWidth { static var count: Int { get } }

enum Width1: BlockWidth { static var count: Int { 1 } }
enum Width2: BlockWidth { static var count: Int { 2 } }
enum Width3: BlockWidth { static var count: Int { 3 } }
enum Width4: BlockWidth { static var count: Int { 4 } }
enum Width5: BlockWidth { static var count: Int { 5 } }
enum Width7: BlockWidth { static var count: Int { 7 } }
enum Width8: BlockWidth { static var count: Int { 8 } }
enum Width14: BlockWidth { static var count: Int { 14 } }
enum Width16: BlockWidth { static var count: Int { 16 } }
// Channel counts, for the Winograd kernels' constant strides.
enum Width32: BlockWidth { static var count: Int { 32 } }
enum Width64: BlockWidth { static var count: Int { 64 } }
enum Width128: BlockWidth { static var count: Int { 128 } }
// Transformed planes per Winograd tile: F(4×4, 3×3)'s 6×6.
enum Width36: BlockWidth { static var count: Int { 36 } }

/// Splits `total` into register blocks of at most `widest`: equal blocks of 16, 14, 8 or 7 when they
/// fit exactly (the networks' widths 32, 28, 16, 14, 8 and 7), otherwise the widest then 8, 4, 2, 1.
func pixelBlocks(_ total: Int, widest: Int) -> [Int] {
    for even in [16, 14, 8, 7] where even <= widest && total % even == 0 {
        return Array(repeating: even, count: total / even)
    }
    var blocks: [Int] = []
    var rest = total
    for size in [widest, 8, 4, 2, 1] where size <= widest {
        while rest >= size {
            blocks.append(size)
            rest -= size
        }
    }
    return blocks
}
