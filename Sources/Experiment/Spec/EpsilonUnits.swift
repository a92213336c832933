import Backdoor

/// What a spec's PGD radius is measured in: the thesis's units (ℓ2 radii for 32×32×3 images on the 0–255 scale)
/// or the raw 0–255 scale of the dataset's own images.
public enum EpsilonUnits: String, Codable, Sendable, Hashable, CaseIterable {
    case thesis, raw
}

/// `e` on the raw 0–255 scale of images of `shape`: ℓ2 radii in thesis units scale with √(values / 3072), as the
/// same per-pixel change over fewer pixels makes a shorter vector; ℓ∞ radii are per pixel and do not.
public func rawEpsilon(_ e: Double, norm: PGD.Norm, shape: [Int], units: EpsilonUnits) -> Double {
    guard units == .thesis, norm == .l2 else { return e }
    return e * (Double(shape.reduce(1, *)) / 3072).squareRoot()
}
