import Backdoor

/// The (ε, δ) a DP-SGD training spent, by the RDP accountant.
public struct PrivacyRecord: Codable, Sendable {
    /// ∞ when the noise is zero (the baseline has no guarantee); written as the string "inf".
    public var epsilon: Double
    public var delta: Double
    public var order: Double
    public var samplingRate: Double
    public var accountant: String

    enum CodingKeys: String, CodingKey {
        case epsilon, delta, order, accountant
        case samplingRate = "sampling_rate"
    }

    public init(epsilon: Double, delta: Double, order: Double, samplingRate: Double, accountant: String) {
        self.epsilon = epsilon
        self.delta = delta
        self.order = order
        self.samplingRate = samplingRate
        self.accountant = accountant
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let e = try? c.decode(Double.self, forKey: .epsilon) {
            // Entries written before ∞ had a spelling held −1 in its place.
            epsilon = e < 0 ? .infinity : e
        } else {
            let text = try c.decode(String.self, forKey: .epsilon)
            guard text == "inf" else {
                throw DecodingError.dataCorruptedError(forKey: .epsilon, in: c, debugDescription: "ε '\(text)'")
            }
            epsilon = .infinity
        }
        delta = try c.decode(Double.self, forKey: .delta)
        order = try c.decode(Double.self, forKey: .order)
        samplingRate = try c.decode(Double.self, forKey: .samplingRate)
        accountant = try c.decode(String.self, forKey: .accountant)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if epsilon.isFinite { try c.encode(epsilon, forKey: .epsilon) } else { try c.encode("inf", forKey: .epsilon) }
        try c.encode(delta, forKey: .delta)
        try c.encode(order, forKey: .order)
        try c.encode(samplingRate, forKey: .samplingRate)
        try c.encode(accountant, forKey: .accountant)
    }
}
