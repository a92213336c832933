import Foundation

/// Every stage of a plan with its state in the cache, for `status` and `submit --wait`.
public struct StatusReport {
    public var rows: [(stage: Stage, state: StageState)]
    public var runsFinished: Int, runsTotal: Int

    public init(plan: Plan, cache: Cache) {
        rows = plan.stages.map { ($0, cache.state($0.key)) }
        runsTotal = plan.runs.count
        runsFinished = plan.runs.filter { cache.contains($0.evaluate) }.count
    }

    public var allDone: Bool { rows.allSatisfy { $0.state == .done } }

    public var summary: String {
        let order = ["done", "running", "interrupted", "failed", "waiting"]
        let counts = order.map { l in (l, rows.filter { $0.state.label == l }.count) }.filter { $0.1 > 0 }
        var line =
            "\(rows.count) stages: " + counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
            + "; \(runsFinished)/\(runsTotal) runs finished"
        if !allDone { line += "; about \(PlanOutput.duration(secondsLeft)) of planned work left" }
        return line
    }

    /// The plan's time for the stages not done, less the part a checkpoint has already covered.
    public var secondsLeft: Double {
        rows.reduce(0) { total, row in
            let (s, state) = row
            switch state {
            case .done: return total
            case .running(let step?), .interrupted(let step):
                guard let steps = s.totalSteps, steps > 0 else { return total + s.cost.seconds }
                return total + s.cost.seconds * max(0, 1 - Double(step) / Double(steps))
            default: return total + s.cost.seconds
            }
        }
    }

    /// One line per stage that is not done (every stage with `all`).
    public func table(all: Bool = false) -> String {
        rows.filter { all || $0.state != .done }.map { s, state in
            var detail: String
            switch state {
            case .done, .waiting: detail = ""
            case .running(let step): detail = step.map { "checkpoint at step \($0)" } ?? ""
            case .interrupted(let step): detail = "resumes at step \(step)"
            case .failed(let message, let log): detail = message + (log.map { " — log: \($0)" } ?? "")
            }
            let who = s.users.first.map { $0 + (s.users.count > 1 ? " (+\(s.users.count - 1))" : "") } ?? ""
            return [
                s.kind.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0), s.shortKey,
                state.label.padding(toLength: 11, withPad: " ", startingAt: 0), who, detail,
            ].joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.map { $0 + "\n" }.joined()
    }

    /// The failed stages with their messages and logs.
    public var problems: String {
        rows.compactMap { s, state -> String? in
            guard case .failed(let m, let log) = state else { return nil }
            return "failed: \(s.kind.rawValue) \(s.shortKey): \(m)" + (log.map { "\n  log: \($0)" } ?? "") + "\n"
        }.joined()
    }
}
