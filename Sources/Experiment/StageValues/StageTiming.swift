/// The compute a stage took (`timing.json` in its entry), over all of its sittings.
public struct StageTiming: Codable, Sendable {
    public var seconds: Double
    /// Of `seconds`, what sittings before the last spent (read from the checkpoint it resumed).
    public var earlierSittingsSeconds: Double
    /// The worker threads it ran with (absent in entries written before it was recorded).
    public var threads: Int?
    /// The share of the machine (0–1) other processes used during the last sitting (absent where /proc
    /// cannot be read, and in older entries).
    public var othersLoad: Double?

    public init(seconds: Double, earlierSittingsSeconds: Double, threads: Int?, othersLoad: Double?) {
        self.seconds = seconds
        self.earlierSittingsSeconds = earlierSittingsSeconds
        self.threads = threads
        self.othersLoad = othersLoad
    }

    enum CodingKeys: String, CodingKey {
        case seconds, threads
        case earlierSittingsSeconds = "earlier_sittings_seconds"
        case othersLoad = "others_load"
    }
}

extension Cache {
    /// The compute the entry's stage took, as the executor recorded it; nil for an entry without `timing.json`.
    public func timing(_ key: String) -> StageTiming? {
        try? Artifacts.readJSON(StageTiming.self, directory(key) + "/timing.json")
    }
}
