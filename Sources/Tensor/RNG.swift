/// Seeded, splittable pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// `split(_:)` derives an independent stream from this one's seed and a label, so that
/// e.g. augmentation and shuffling draw from separate streams and adding draws to one
/// never shifts the other.
public struct RNG: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        var sm = seed
        state = (RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm))
    }

    /// An independent generator for `label`, a function of this generator's seed only.
    public func split(_ label: UInt64) -> RNG {
        var sm = seed ^ (label &* 0xD1B5_4A32_D192_ED03)
        return RNG(seed: RNG.splitMix(&sm) ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A stream for a string label (hashed with FNV-1a, stable across runs).
    public func split(_ label: String) -> RNG {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in label.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return split(h)
    }

    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform integer in 0..<n (n > 0), by Lemire's multiply-shift.
    @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Standard normal by Box–Muller (in Double for accuracy; one draw per call keeps streams simple).
    public mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, below(i + 1)) }
        }
        return p
    }

    public static func == (a: RNG, b: RNG) -> Bool {
        a.seed == b.seed && a.state.0 == b.state.0 && a.state.1 == b.state.1
            && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    enum CodingKeys: String, CodingKey { case seed, state }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seed = try c.decode(UInt64.self, forKey: .seed)
        let s = try c.decode([UInt64].self, forKey: .state)
        guard s.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: c, debugDescription: "RNG state needs 4 words")
        }
        state = (s[0], s[1], s[2], s[3])
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode([state.0, state.1, state.2, state.3], forKey: .state)
    }
}
