/// Which training images a stage draws on: the victim's own training set, or the public split (a fraction set
/// aside by `dataset.public_fraction`, or `dataset.public_source`) that the victim never sees.
public enum DataSplit: String, Codable, Sendable, Hashable, CaseIterable {
    case victim
    case publicSplit = "public"
}
