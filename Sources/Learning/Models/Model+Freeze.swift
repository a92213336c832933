/// Freezing for transfer learning: which parts of a trained network keep learning.
extension Model {
    /// What keeps training when a network is fine-tuned.
    public enum Trainable: String, Sendable, Codable, CaseIterable {
        /// Every weight (batch norms still frozen).
        case all
        /// Only the last residual unit's two 3×3 convolutions and the dense layer (thesis §7.10).
        case lastUnit = "last_unit"
    }

    /// Freezes the network for the thesis's transfer set-up: every batch norm uses its running
    /// statistics (batch statistics would mix examples, which DP forbids) and, for `.lastUnit`, only
    /// the last residual unit's convolutions and the dense layer train. With `batchStatistics`, the
    /// trained unit's batch norms normalise each batch by its own statistics, γ and β still fixed.
    public func freeze(keeping trainable: Trainable, batchStatistics: Bool = false) {
        for l in network.layers {
            if let bn = l as? BatchNorm2d { bn.frozen = true }
            if let u = l as? ResidualUnit {
                u.bn1.frozen = true
                u.bn2.frozen = true
                u.projection?.bn.frozen = true
            }
        }
        guard trainable == .lastUnit else { return }
        let lastUnit = network.layers.last { $0 is ResidualUnit } as? ResidualUnit
        if batchStatistics, let u = lastUnit {
            for bn in [u.bn1, u.bn2] + (u.projection.map { [$0.bn] } ?? []) {
                bn.frozen = false
                bn.gamma.trainable = false
                bn.beta.trainable = false
            }
        }
        let keep = Set(
            ([lastUnit?.conv1.weight, lastUnit?.conv2.weight].compactMap { $0 }
                + (network.layers.last?.parameters ?? []))
                .map { ObjectIdentifier($0) })
        for p in parameters { p.trainable = keep.contains(ObjectIdentifier(p)) }
    }
}

extension Model {
    /// Freezes every weight and turns input gradients on, for attacks that differentiate the loss with
    /// respect to the images (PGD, Neural Cleanse); returns what restores both.
    public func freezeForInputGradients() -> () -> Void {
        let saved = parameters.map(\.trainable)
        let savedInput = needsInputGradient
        for p in parameters { p.trainable = false }
        needsInputGradient = true
        return { [self] in
            for (p, t) in zip(parameters, saved) { p.trainable = t }
            needsInputGradient = savedInput
        }
    }
}
