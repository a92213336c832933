import Datasets
import Learning
import Tensor

/// The loss of all training images, of the poisons, and of the poisons without their trigger over
/// training (thesis fig 4-1): a record every few steps, each the quartiles of a group's losses.
public struct LossTracking {
    /// One record: the step and, per group, the losses' [25th percentile, median, 75th percentile].
    public struct Record: Codable, Equatable, Sendable {
        public var step: Int
        public var all: [Double]
        public var poisoned: [Double]
        public var poisonedWithoutTrigger: [Double]

        enum CodingKeys: String, CodingKey {
            case step, all, poisoned
            case poisonedWithoutTrigger = "poisoned_without_trigger"
        }

        public init(step: Int, all: [Double], poisoned: [Double], poisonedWithoutTrigger: [Double]) {
            self.step = step
            self.all = all
            self.poisoned = poisoned
            self.poisonedWithoutTrigger = poisonedWithoutTrigger
        }
    }

    /// The groups, in the order the CSV and figures list them.
    public static let groups = ["all", "poisoned", "poisoned_without_trigger"]

    let sample: Dataset, poisoned: Dataset, untriggered: Dataset

    /// Tracks `poisoned` (the poisons as trained on) against `untriggered` (the same images before the
    /// trigger) and a seeded sample of `sampleSize` images of `training`.
    public init(training: Dataset, poisoned: Dataset, untriggered: Dataset, seed: UInt64, sampleSize: Int = 1000) {
        var r = RNG(seed: seed).split("loss-tracking-sample")
        sample = training.subset(Array(r.permutation(training.count).prefix(sampleSize)))
        self.poisoned = poisoned
        self.untriggered = untriggered
    }

    /// The record of `model` at `step`.
    public func record(step: Int, model: Model) -> Record {
        func q(_ d: Dataset) -> [Double] {
            let x = quartiles(predict(model, on: d).losses)
            return [x.q25, x.median, x.q75]
        }
        return Record(step: step, all: q(sample), poisoned: q(poisoned), poisonedWithoutTrigger: q(untriggered))
    }

    /// `step,group,q25,median,q75`, group by group.
    public static func csv(_ records: [Record]) -> String {
        var csv = "step,group,q25,median,q75\n"
        for g in groups {
            for r in records {
                let v = r.values(g)
                csv += "\(r.step),\(g),\(v[0]),\(v[1]),\(v[2])\n"
            }
        }
        return csv
    }

    /// Records read back from `csv(_:)`'s text, in step order; lines that do not parse are skipped.
    public static func records(csv: String) -> [Record] {
        var byStep: [Int: [String: [Double]]] = [:]
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 5, let step = Double(f[0]).map(Int.init), groups.contains(f[1]) else { continue }
            let q = f[2...].compactMap(Double.init)
            guard q.count == 3 else { continue }
            byStep[step, default: [:]][f[1]] = q
        }
        return byStep.keys.sorted().compactMap { step in
            let g = byStep[step] ?? [:]
            guard let a = g["all"], let p = g["poisoned"], let u = g["poisoned_without_trigger"] else { return nil }
            return Record(step: step, all: a, poisoned: p, poisonedWithoutTrigger: u)
        }
    }

    /// Median loss of the poisons without the trigger ÷ with it at the last record: how much the
    /// model relies on the trigger rather than the images' content.
    public static func triggerReliance(_ records: [Record]) -> Double? {
        guard let last = records.last, last.poisoned[1] > 0 else { return nil }
        return last.poisonedWithoutTrigger[1] / last.poisoned[1]
    }
}

extension LossTracking.Record {
    /// A group's quartiles.
    public func values(_ group: String) -> [Double] {
        switch group {
        case "all": return all
        case "poisoned": return poisoned
        default: return poisonedWithoutTrigger
        }
    }
}

/// Median and quartiles of a sample (linear interpolation between order statistics).
public func quartiles(_ v: [Float]) -> (q25: Double, median: Double, q75: Double) {
    guard !v.isEmpty else { return (0, 0, 0) }
    let s = v.sorted().map(Double.init)
    func q(_ p: Double) -> Double {
        let pos = p * Double(s.count - 1)
        let lo = Int(pos)
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }
    return (q(0.25), q(0.5), q(0.75))
}
