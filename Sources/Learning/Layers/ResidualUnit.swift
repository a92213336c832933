import Tensor

/// He et al.'s basic residual unit (post-activation), as in the thesis's CIFAR ResNet:
/// y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3×3 convolutions; the shortcut is the
/// identity, or a 1×1 convolution with batch norm when the stride or width changes.
/// The ReLUs and the residual add are fused into the batch norms' passes.
/// x: [N, H, W, in] → y: [N, H/stride, W/stride, out].
public final class ResidualUnit: Layer {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let conv2: Conv2d, bn2: BatchNorm2d
    public let projection: (conv: Conv2d, bn: BatchNorm2d)?
    public var needsInputGradient = true

    public init(inChannels: Int, outChannels: Int, stride: Int, workspace: Workspace) {
        conv1 = Conv2d(
            inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1,
            workspace: workspace)
        bn1 = BatchNorm2d(channels: outChannels, relu: true)
        conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, workspace: workspace)
        bn2 = BatchNorm2d(channels: outChannels, relu: true)
        if stride != 1 || inChannels != outChannels {
            projection = (
                Conv2d(
                    inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride, workspace: workspace),
                BatchNorm2d(channels: outChannels)
            )
        } else {
            projection = nil
        }
        for (n, l) in namedChildren { rename(l, prefix: n) }
    }

    public var namedChildren: [(String, Layer)] {
        var c: [(String, Layer)] = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
        if let p = projection { c += [("shortcut.0", p.conv), ("shortcut.1", p.bn)] }
        return c
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var h = conv1.forward(x, training: training)
        h = bn1.forward(h, training: training)
        h = conv2.forward(h, training: training)
        let s = projection.map { $0.bn.forward($0.conv.forward(x, training: training), training: training) } ?? x
        return bn2.forward(h, residual: s, training: training)
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let (g2, dSum) = bn2.backward(dy, residualGradient: true)
        let d = dSum!
        conv1.needsInputGradient = needsInputGradient
        var g = conv2.backward(g2!)!
        g = bn1.backward(g)!
        // The shortcut's gradient is added as conv1 stores its dx (no pass of its own): the identity's is
        // d, a projection's is computed first (nil, like conv1's dx, when no input gradient is needed).
        guard let p = projection else { return conv1.backward(g, adding: d) }
        p.conv.needsInputGradient = needsInputGradient
        p.bn.needsInputGradient = needsInputGradient || p.conv.weight.trainable
        let dShort = p.bn.backward(d).flatMap { p.conv.backward($0) }
        return conv1.backward(g, adding: dShort)
    }

    public var parameters: [Parameter] { namedChildren.flatMap { $0.1.parameters } }
    public var buffers: [Buffer] { namedChildren.flatMap { $0.1.buffers } }
    public func outputShape(_ s: [Int]) -> [Int] { conv1.outputShape(s) }
    public func flops(_ s: [Int]) -> Int {
        let mid = conv1.outputShape(s)
        return conv1.flops(s) + conv2.flops(mid) + (projection?.conv.flops(s) ?? 0)
    }
}
