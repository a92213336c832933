import Tensor

/// Scratch memory shared by the layers of one network: layers run one at a time, so one set of
/// per-worker im2col buffers sized for the largest layer serves all of them.
public final class Workspace: @unchecked Sendable {
    public let convolution = ConvScratch()
    public init() {}
}
