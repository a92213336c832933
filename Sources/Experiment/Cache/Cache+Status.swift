import Foundation

/// Where a stage stands, read from the cache alone (so it works while other processes run).
public enum StageState: Sendable, Equatable {
    case done
    /// A process holds the stage's lock; `step` is its last checkpoint, if it has one.
    case running(step: Int?)
    /// Not running, but a checkpoint survived an interruption: the next run resumes there.
    case interrupted(step: Int)
    /// The last attempt failed; `log` is where its output went, when known.
    case failed(message: String, log: String?)
    case waiting

    public var label: String {
        switch self {
        case .done: return "done"
        case .running: return "running"
        case .interrupted: return "interrupted"
        case .failed: return "failed"
        case .waiting: return "waiting"
        }
    }
}

extension Cache {
    func failureFile(_ key: String) -> String { "\(root)/failed/\(key).json" }

    /// Notes that `key` failed, with the log that holds its output (`$BACKDOORLAB_LOG`, set by job scripts).
    public func recordFailure(_ key: String, message: String, log: String?) {
        try? FileManager.default.createDirectory(atPath: root + "/failed", withIntermediateDirectories: true)
        let failure = StageFailureRecord(
            message: message, time: ISO8601DateFormatter().string(from: Date()), host: ProcessInfo.processInfo.hostName,
            log: log)
        try? Artifacts.writeJSON(failure, failureFile(key))
    }

    public func clearFailure(_ key: String) { try? FileManager.default.removeItem(atPath: failureFile(key)) }

    /// The step of the newest intact checkpoint a training stage left, if any (wherever an interrupted
    /// swap left it: the next run resumes from it).
    public func checkpointStep(_ key: String) -> Int? { latestCheckpoint(key)?.step }

    public func state(_ key: String) -> StageState {
        if contains(key) { return .done }
        if isLocked(key) { return .running(step: checkpointStep(key)) }
        if let f = try? Artifacts.readJSON(StageFailureRecord.self, failureFile(key)) {
            return .failed(message: f.message, log: f.log)
        }
        if let step = checkpointStep(key) { return .interrupted(step: step) }
        return .waiting
    }
}

/// Why a stage last failed (`failed/<key>.json` in the cache), until it succeeds.
struct StageFailureRecord: Codable {
    var message: String
    var time: String
    var host: String
    /// The log holding its output, when a job script set `$BACKDOORLAB_LOG`.
    var log: String?
}
