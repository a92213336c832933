/// What each spec of a plan costs: alone, and on top of the specs listed before it.
///
/// Stages are shared across specs (one reference model for a whole folder), so a folder's total is
/// not the sum of what each spec would cost alone. `added` counts each stage for the first spec in
/// plan order that needs it; the `added` column sums to the plan's total.
public struct SpecCost: Sendable, Equatable {
    public var file: String
    public var runs: Int
    public var stages: Int
    /// Every stage this spec needs, shared or not.
    public var alone: Cost
    /// Only the stages no earlier spec needed.
    public var added: Cost
}

extension Plan {
    /// One row per spec file, in the order the specs were planned.
    public var specCosts: [SpecCost] {
        var files: [String] = []
        for r in runs where !files.contains(r.file) { files.append(r.file) }
        for s in stages where s.kind == .report { for u in s.users where !files.contains(u) { files.append(u) } }
        var counted = Set<String>()
        return files.map { file in
            let mine = stages(of: file)
            var row = SpecCost(
                file: file, runs: runs.filter { $0.file == file }.count, stages: mine.count, alone: Cost(),
                added: Cost())
            for s in mine {
                row.alone.add(s.cost)
                if counted.insert(s.key).inserted { row.added.add(s.cost) }
            }
            return row
        }
    }

    /// Every stage the spec file needs, shared with other specs or not.
    public func stages(of file: String) -> [Stage] {
        stages.filter { s in s.users.contains { Plan.user($0, isOf: file) } }
    }

    /// Stage users are "file" or "file [sweep point]".
    static func user(_ user: String, isOf file: String) -> Bool {
        user == file || user.hasPrefix(file + " [")
    }
}

extension Cost {
    /// Sums FLOPs, time and disk; memory is the peak of the two.
    mutating func add(_ other: Cost) {
        flops += other.flops
        seconds += other.seconds
        diskBytes += other.diskBytes
        memoryBytes = max(memoryBytes, other.memoryBytes)
    }
}
