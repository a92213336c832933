import Tensor

/// What network to build; a value, so specs and plans can carry and compare it.
public struct Architecture: Equatable, Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case resnet, vgg, small_cnn }
    public var kind: Kind
    /// [H, W, C] of the input images.
    public var inputShape: [Int]
    public var classes: Int
    /// ResNet stem width; ignored by the others.
    public var stem: Int
    /// Channels per group (ResNet), per block (VGG), per conv (small CNN).
    public var widths: [Int]
    /// Residual units per group (ResNet; 5 is ResNet-32) or convolutions per block (VGG).
    public var unitsPerGroup: Int
    /// Per-image standardisation at the input instead of the dataset's fixed mean and std.
    public var perImageStandardization: Bool
    /// Dataset mean and std per channel on the [0, 1] scale for fixed normalisation.
    public var mean: [Float], std: [Float]

    public init(
        kind: Kind, inputShape: [Int], classes: Int, stem: Int = 16, widths: [Int] = [16, 32, 64],
        unitsPerGroup: Int = 5, perImageStandardization: Bool = false, mean: [Float]? = nil, std: [Float]? = nil
    ) {
        self.kind = kind
        self.inputShape = inputShape
        self.classes = classes
        self.stem = stem
        self.widths = widths
        self.unitsPerGroup = unitsPerGroup
        self.perImageStandardization = perImageStandardization
        let c = inputShape[2]
        self.mean = mean ?? Array(repeating: 0.5, count: c)
        self.std = std ?? Array(repeating: 0.25, count: c)
    }

    /// The thesis's CIFAR ResNet (`unitsPerGroup` 5 = ResNet-32; 1 = ResNet-8).
    public static func resnet(inputShape: [Int], classes: Int, unitsPerGroup: Int = 5) -> Architecture {
        Architecture(kind: .resnet, inputShape: inputShape, classes: classes, unitsPerGroup: unitsPerGroup)
    }

    /// Number of layers counted the way the ResNet paper names them (6n + 2).
    public var depth: Int { kind == .resnet ? 6 * unitsPerGroup + 2 : 0 }

    /// Trainable parameters, counted from the layer shapes without building the network, so a spec
    /// asking for an absurd width is refused before anything is allocated (`build()` gives the same count).
    public var parameterCount: Int {
        let c = inputShape[2]
        func conv(_ i: Int, _ o: Int, _ k: Int = 3, bias: Bool = false) -> Int { k * k * i * o + (bias ? o : 0) }
        func bn(_ ch: Int) -> Int { 2 * ch }
        switch kind {
        case .resnet:
            var n = conv(c, stem) + bn(stem)
            var inC = stem
            for (g, width) in widths.enumerated() {
                for u in 0..<unitsPerGroup {
                    let stride = (g > 0 && u == 0) ? 2 : 1
                    n += conv(inC, width) + bn(width) + conv(width, width) + bn(width)
                    if stride != 1 || inC != width { n += conv(inC, width, 1) + bn(width) }
                    inC = width
                }
            }
            return n + inC * classes + classes
        case .vgg:
            var n = 0
            var inC = c
            for width in widths {
                for _ in 0..<max(unitsPerGroup, 1) {
                    n += conv(inC, width) + bn(width)
                    inC = width
                }
            }
            return n + inC * classes + classes
        case .small_cnn:
            var n = 0
            var inC = c
            var hh = inputShape[0]
            var ww = inputShape[1]
            for width in widths.dropLast() {
                n += conv(inC, width, bias: true)
                inC = width
                hh /= 2
                ww /= 2
            }
            let hidden = widths.last ?? 128
            return n + inC * hh * ww * hidden + hidden + hidden * classes + classes
        }
    }

    /// Builds the network with zeroed weights; call `initialize` or load a checkpoint.
    public func build() -> Model {
        let ws = Workspace()
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        var layers: [(String, Layer)] = [
            ("", InputNormalization(perImageStandardization ? .perImage : .fixed(mean: mean, std: std)))
        ]
        switch kind {
        case .resnet:
            layers += [
                ("conv1", Conv2d(inChannels: c, outChannels: stem, kernel: 3, padding: 1, workspace: ws)),
                ("bn1", BatchNorm2d(channels: stem, relu: true)),
            ]
            var inC = stem
            var unit = 0
            for (g, width) in widths.enumerated() {
                for u in 0..<unitsPerGroup {
                    let stride = (g > 0 && u == 0) ? 2 : 1
                    layers.append(
                        (
                            "layer\(g + 1).\(u)",
                            ResidualUnit(inChannels: inC, outChannels: width, stride: stride, workspace: ws)
                        ))
                    inC = width
                    unit += 1
                }
            }
            layers += [("", GlobalAvgPool()), ("fc", Linear(inputs: inC, outputs: classes))]
        case .vgg:
            var inC = c
            var i = 0
            for width in widths {
                for _ in 0..<max(unitsPerGroup, 1) {
                    layers += [
                        (
                            "features.\(i)",
                            Conv2d(inChannels: inC, outChannels: width, kernel: 3, padding: 1, workspace: ws)
                        ),
                        ("features.\(i + 1)", BatchNorm2d(channels: width, relu: true)),
                    ]
                    inC = width
                    i += 3
                }
                layers.append(("", MaxPool2d(window: 2)))
                i += 1
            }
            layers += [("", GlobalAvgPool()), ("classifier", Linear(inputs: inC, outputs: classes))]
        case .small_cnn:
            var inC = c
            var hh = h
            var ww = w
            var i = 0
            for width in widths.dropLast() {
                layers += [
                    (
                        "features.\(i)",
                        Conv2d(inChannels: inC, outChannels: width, kernel: 3, padding: 1, bias: true, workspace: ws)
                    ),
                    ("", ReLULayer()), ("", MaxPool2d(window: 2)),
                ]
                inC = width
                hh /= 2
                ww /= 2
                i += 3
            }
            let hidden = widths.last ?? 128
            layers += [
                ("fc1", Linear(inputs: inC * hh * ww, outputs: hidden)), ("", ReLULayer()),
                ("fc2", Linear(inputs: hidden, outputs: classes)),
            ]
        }
        return Model(architecture: self, layers: layers, workspace: ws)
    }
}
