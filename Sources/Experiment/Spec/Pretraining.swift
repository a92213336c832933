import Learning

/// Pre-training before the defended fine-tuning: none, or on the public split or CIFAR-100.
public enum Pretraining: Codable, Sendable, Hashable {
    case none
    case on(dataset: Source, path: String?, train: TrainSpec?)

    /// Where the pre-training images come from.
    public enum Source: String, Codable, Sendable, Hashable, CaseIterable {
        /// The dataset's public split.
        case publicSplit = "public"
        /// CIFAR-100's 20 superclasses.
        case cifar100
    }

    enum CodingKeys: String, CodingKey { case dataset, path, train }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer(), (try? c.decode(String.self)) == "none" {
            self = .none
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = .on(
            dataset: try c.decode(Source.self, forKey: .dataset),
            path: try c.decodeIfPresent(String.self, forKey: .path),
            train: try c.decodeIfPresent(TrainSpec.self, forKey: .train))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .none:
            var c = encoder.singleValueContainer()
            try c.encode("none")
        case .on(let dataset, let path, let train):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(dataset, forKey: .dataset)
            try c.encodeIfPresent(path, forKey: .path)
            try c.encodeIfPresent(train, forKey: .train)
        }
    }
}
