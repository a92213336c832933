import Foundation

/// Per stage kind, how long a plan's finished stages took against the cost model's estimate for them.
/// `bench` calibrates the rates of the network passes; what a kind does around them (loading a model
/// and a dataset, stamping triggers, a stage's own small batches) it cannot see, and that is where
/// the model misses by a kind-wide factor (evaluate, encode and detect ran 1.3× their estimates in the
/// thesis's cpu run). A plan that resumes, or repeats a set-up with more seeds, is scaled by the median
/// ratio of its own finished stages of each kind that had the machine to themselves: the median, so
/// one that was paused or slowed all the same does not move it.
public struct Calibration: Sendable, Equatable {
    /// The median of measured ÷ estimated over `stages` finished stages of a kind.
    public struct Factor: Sendable, Equatable {
        public var ratio: Double
        public var stages: Int
        public init(ratio: Double, stages: Int) {
            self.ratio = ratio
            self.stages = stages
        }
    }

    public var factors: [Stage.Kind: Factor]

    /// A kind is scaled once this many of its stages have finished...
    public static let minimumStages = 3
    /// ...each estimated at this many seconds or more (shorter ones are mostly timer noise).
    public static let minimumEstimate = 1.0

    public static let none = Calibration(factors: [:])

    public init(factors: [Stage.Kind: Factor]) { self.factors = factors }

    /// The factors from finished stages: their kind, the model's estimate and the measured seconds.
    public init(finished: [(kind: Stage.Kind, estimated: Double, measured: Double)]) {
        var ratios: [Stage.Kind: [Double]] = [:]
        for f in finished where f.estimated >= Calibration.minimumEstimate && f.measured > 0 {
            ratios[f.kind, default: []].append(f.measured / f.estimated)
        }
        var factors: [Stage.Kind: Factor] = [:]
        for (kind, r) in ratios where r.count >= Calibration.minimumStages {
            factors[kind] = Factor(ratio: Calibration.median(r), stages: r.count)
        }
        self.init(factors: factors)
    }

    /// The factors of `plan`'s stages that `cache` holds with a timing taken with `threads` workers while
    /// other processes used at most `MachineLoad.storeLimit` of the machine (entries that do not record
    /// both, from versions before this one, are left out).
    public init(plan: Plan, cache: Cache, threads: Int) {
        var finished: [(kind: Stage.Kind, estimated: Double, measured: Double)] = []
        for s in plan.stages where cache.contains(s.key) {
            guard let t = cache.timing(s.key), t.threads == threads, let load = t.othersLoad,
                load <= MachineLoad.storeLimit
            else { continue }
            finished.append((s.kind, s.cost.seconds, t.seconds))
        }
        self.init(finished: finished)
    }

    /// A stage's estimated seconds, scaled by its kind's factor.
    public func seconds(_ s: Stage) -> Double { s.cost.seconds * (factors[s.kind]?.ratio ?? 1) }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// One line for `plan`'s footer, or nil when no kind has enough finished stages.
    public var summary: String? {
        let kinds = Stage.Kind.allCases.compactMap { k in factors[k].map { (k, $0) } }
        guard !kinds.isEmpty else { return nil }
        return "times scaled by this plan's finished stages (median measured ÷ estimated): "
            + kinds.map { "\($0.0.rawValue) ×\(String(format: "%.2f", $0.1.ratio)) (\($0.1.stages))" }
            .joined(separator: ", ")
    }
}

extension Plan {
    /// This plan with every stage's time scaled by its kind's factor (FLOPs, memory and disk as they were).
    public func calibrated(_ c: Calibration) -> Plan {
        var p = self
        p.scaleSeconds { c.factors[$0]?.ratio ?? 1 }
        p.calibration = c
        return p
    }
}
