import Foundation

/// One line per stage: a bar with ETA redrawn in place on a terminal, plain lines otherwise.
public final class Progress: @unchecked Sendable {
    let terminal: Bool, color: Bool
    let quiet: Bool
    private var lastPlain = -1
    private var start = Date()
    /// Where the rate behind the ETA is measured from: the stage's start, or the step a checkpoint resumed at.
    private var rateStart = Date(), rateBase = 0

    public init(quiet: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) {
        terminal = isatty(1) == 1
        color = terminal && environment["NO_COLOR"] == nil
        self.quiet = quiet
    }

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func begin(_ title: String) {
        start = Date()
        rateStart = start
        rateBase = 0
        lastPlain = -1
        if !quiet && !terminal {
            print("  \(title) …")
            fflush(nil)
        }
    }

    /// A stage picked up from a checkpoint at `done`: steps done in earlier sittings say nothing of this one's rate.
    public func resumed(at done: Int) {
        rateStart = Date()
        rateBase = done
    }

    /// Seconds left at the rate of this sitting; 0 until a step has been done in it.
    func remaining(done: Int, total: Int, now: Date = Date()) -> TimeInterval {
        let doneHere = done - rateBase
        return doneHere > 0 ? now.timeIntervalSince(rateStart) * Double(total - done) / Double(doneHere) : 0
    }

    public func update(_ title: String, done: Int, total: Int, note: String = "") {
        guard !quiet, total > 0 else { return }
        let f = Double(done) / Double(total)
        let eta = remaining(done: done, total: total)
        if terminal {
            let width = 24
            let filled = Int(f * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            print(
                "\r  \(title) \(bar) \(Int(f * 100))% \(done)/\(total) ETA \(PlanOutput.duration(eta)) \(note)   ",
                terminator: "")
            fflush(nil)
        } else {
            let decile = Int(f * 10)
            if decile > lastPlain {
                lastPlain = decile
                print("  \(title) \(Int(f * 100))% (\(done)/\(total), ETA \(PlanOutput.duration(eta))) \(note)")
                fflush(nil)
            }
        }
    }

    public func finish(_ title: String, status: String, ok: Bool = true) {
        guard !quiet else { return }
        let s = paint(status, ok ? "32" : "31")
        print("\(terminal ? "\r\u{1B}[K" : "")\(s) \(title) (\(PlanOutput.duration(Date().timeIntervalSince(start))))")
        fflush(nil)
    }
}
