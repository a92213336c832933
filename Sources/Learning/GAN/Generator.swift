import Tensor

/// DCGAN-style generator. z: [N, latent] → images [N, H, W, C] in [0, 1], H = W divisible by 4:
/// dense to H/4 × W/4 × 128 (`widths`), batch norm + ReLU, ×2 upsampling and a k×k convolution to 64 channels,
/// batch norm + ReLU, ×2 upsampling and a k×k convolution to C channels, sigmoid.
public final class Generator: StateHolder {
    public let latent: Int
    public let imageShape: [Int]
    public let network: Sequential
    let workspace = Workspace()

    public init(latent: Int, imageShape: [Int], kernel: Int = 5, widths: (Int, Int) = (128, 64)) {
        precondition(imageShape[0] % 4 == 0 && imageShape[1] % 4 == 0, "generator images need sides divisible by 4")
        self.latent = latent
        self.imageShape = imageShape
        let (qh, qw, c) = (imageShape[0] / 4, imageShape[1] / 4, imageShape[2])
        network = Sequential([
            ("dense", Linear(inputs: latent, outputs: qh * qw * widths.0)),
            ("", Unflatten(height: qh, width: qw, channels: widths.0)),
            ("bn0", BatchNorm2d(channels: widths.0, relu: true)),
            ("", Upsample2x()),
            (
                "conv1",
                Conv2d(
                    inChannels: widths.0, outChannels: widths.1, kernel: kernel, padding: kernel / 2,
                    workspace: workspace)
            ),
            ("bn1", BatchNorm2d(channels: widths.1, relu: true)),
            ("", Upsample2x()),
            (
                "conv2",
                Conv2d(
                    inChannels: widths.1, outChannels: c, kernel: kernel, padding: kernel / 2, bias: true,
                    workspace: workspace)
            ),
            ("", SigmoidLayer()),
        ])
        for p in network.parameters { p.name = "generator." + p.name }
        for b in network.buffers { b.name = "generator." + b.name }
    }

    public func callAsFunction(_ z: Tensor, training: Bool = false) -> Tensor { network.forward(z, training: training) }
    /// dImages → dz; accumulates the gradients of trainable parameters.
    @discardableResult public func backward(_ dy: Tensor) -> Tensor? { network.backward(dy) }

    public var parameters: [Parameter] { network.parameters }
    public var buffers: [Buffer] { network.buffers }
    public var flopsPerImage: Int { network.flops([1, latent]) }

    public func initialize(_ rng: RNG) {
        var r = rng
        for p in parameters { p.initialize(&r) }
        for b in buffers { b.value.fill(b.name.hasSuffix("running_var") ? 1 : 0) }
    }
}
