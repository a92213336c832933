import Crypto

/// A plan cut into tasks for a job array: stages that serve the same set of runs go together, and
/// a task's wave is one more than the latest wave it takes inputs from. Each run's own stages
/// (poison, train, evaluate) are one task; a reference model or perturbation shared by several runs
/// is a task of an earlier wave; every report is in the last wave. The layout depends on the plan
/// alone, never on the cache, so a task started later finds the same stages under the same number.
public struct Waves: Sendable {
    /// One array task: stage keys in plan (dependency) order.
    public struct Task: Sendable {
        public var wave: Int
        public var index: Int
        public var stages: [String]
    }

    /// Tasks of each wave, wave 0 first.
    public var waves: [[Task]]
    /// SHA-256 over every stage key in plan order: a task refuses to run against a changed spec.
    public var digest: String

    public init(_ plan: Plan) {
        // Which runs need each stage (transitively); stages needed by the same runs form one group.
        var users: [String: Set<Int>] = [:]
        for (i, r) in plan.runs.enumerated() {
            var seen = Set<String>()
            func visit(_ k: String) {
                guard seen.insert(k).inserted, let s = plan.stage(k) else { return }
                users[k, default: []].insert(i)
                s.inputs.forEach(visit)
            }
            visit(r.evaluate)
            r.detect.map(visit)
        }
        var groups: [[String]] = []
        var groupOf: [Set<Int>: Int] = [:]
        var reports: [String] = []
        for s in plan.stages {
            if s.kind == .report {
                reports.append(s.key)
                continue
            }
            let u = users[s.key] ?? []
            if let g = groupOf[u] {
                groups[g].append(s.key)
            } else {
                groupOf[u] = groups.count
                groups.append([s.key])
            }
        }
        // Waves: a group waits for every group it takes an input from. Those serve a strict superset of
        // its runs, so the group graph has no cycle and the passes below settle.
        var groupIndex: [String: Int] = [:]
        for (g, keys) in groups.enumerated() { for k in keys { groupIndex[k] = g } }
        var wave = [Int](repeating: 0, count: groups.count)
        var changed = true
        while changed {
            changed = false
            for (g, keys) in groups.enumerated() {
                for k in keys {
                    for i in plan.stage(k)?.inputs ?? [] {
                        if let h = groupIndex[i], h != g, wave[h] + 1 > wave[g] {
                            wave[g] = wave[h] + 1
                            changed = true
                        }
                    }
                }
            }
        }
        let depth = (wave.max() ?? -1) + 1
        var out = [[Task]](repeating: [], count: depth + (reports.isEmpty ? 0 : 1))
        for (g, keys) in groups.enumerated() {
            out[wave[g]].append(Task(wave: wave[g], index: out[wave[g]].count, stages: keys))
        }
        if !reports.isEmpty { out[depth].append(Task(wave: depth, index: 0, stages: reports)) }
        waves = out
        digest = SHA256.hash(data: Array(plan.stages.map(\.key).joined(separator: "\n").utf8)).map { format2($0) }
            .joined()
    }

    /// The task `wave.index`, if the plan has it.
    public func task(wave: Int, index: Int) -> Task? {
        guard waves.indices.contains(wave), waves[wave].indices.contains(index) else { return nil }
        return waves[wave][index]
    }

    public var taskCount: Int { waves.reduce(0) { $0 + $1.count } }
}
