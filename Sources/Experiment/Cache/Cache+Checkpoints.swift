import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Training checkpoints under `partial/`: `<key>` is the newest, `<key>.prev` the one before it. Each
/// holds a `checkpoint.json` manifest with the step and the SHA-256 of every file, written last, so a
/// checkpoint without one is unfinished. A new checkpoint is written to `<key>.tmp-<pid>` and swapped
/// in by renames; a kill between any two of them leaves at least one complete checkpoint, and the
/// next run resumes from the newest intact one (`resumableCheckpoint`).
extension Cache {
    public struct CheckpointManifest: Codable, Sendable {
        public var key: String
        public var step: Int
        /// File name → SHA-256 (hex).
        public var files: [String: String]
    }

    /// A checkpoint that passed its checks.
    public struct Checkpoint: Sendable {
        public var directory: String
        public var step: Int
    }

    static let checkpointManifestName = "checkpoint.json"

    var partialRoot: String { root + "/partial" }

    /// Every folder under `partial/` that belongs to `key`: the current one, the previous one and
    /// leftovers of interrupted swaps.
    func checkpointFolders(_ key: String) -> [String] {
        checkpointFolderList().filter { $0.key == key }.map(\.dir)
    }

    /// What a folder name under `partial/` is: the current or previous checkpoint, or what a swap leaves
    /// while it runs (`.tmp-PID` being written, `.hold-PID` set aside, `.drop-PID` to be removed).
    enum CheckpointFolder {
        case current, previous, writing, held, dropped
        init(_ name: String) {
            if name.contains(".tmp-") {
                self = .writing
            } else if name.contains(".hold-") {
                self = .held
            } else if name.contains(".drop-") {
                self = .dropped
            } else if name.hasSuffix(".prev") {
                self = .previous
            } else {
                self = .current
            }
        }
        /// Left by an interrupted swap (never the place a finished swap puts a checkpoint).
        var isLeftover: Bool { ![.current, .previous].contains(self) }
    }

    /// Checks a checkpoint folder against its manifest; the reason it fails, or its step.
    public func checkCheckpoint(_ dir: String, key: String) -> Result<Int, CheckpointDamage> {
        let fm = FileManager.default
        guard let data = fm.contents(atPath: dir + "/" + Cache.checkpointManifestName) else {
            return .failure(
                CheckpointDamage(
                    reason:
                        "no \(Cache.checkpointManifestName) (unfinished, or written before checkpoints were checksummed)"
                ))
        }
        guard let m = try? JSONDecoder().decode(CheckpointManifest.self, from: data) else {
            return .failure(CheckpointDamage(reason: "unreadable \(Cache.checkpointManifestName)"))
        }
        guard m.key == key else { return .failure(CheckpointDamage(reason: "it belongs to stage \(m.key.prefix(12))")) }
        for (name, sum) in m.files.sorted(by: { $0.key < $1.key }) {
            guard let bytes = fm.contents(atPath: dir + "/" + name) else {
                return .failure(CheckpointDamage(reason: "\(name) is missing"))
            }
            guard Cache.sha256(bytes) == sum else {
                return .failure(CheckpointDamage(reason: "\(name) does not match its checksum"))
            }
        }
        return .success(m.step)
    }

    public struct CheckpointDamage: Error, CustomStringConvertible, Sendable {
        public var reason: String
        public var description: String { reason }
    }

    /// The newest intact checkpoint of `key`, read-only (for `status`).
    public func latestCheckpoint(_ key: String) -> Checkpoint? {
        checkpointFolders(key).compactMap { dir -> Checkpoint? in
            guard CheckpointFolder((dir as NSString).lastPathComponent) != .dropped,
                case .success(let step) = checkCheckpoint(dir, key: key)
            else { return nil }
            return Checkpoint(directory: dir, step: step)
        }.max { $0.step < $1.step }
    }

    /// The newest intact checkpoint of `key`, moved to `partial/<key>` if an interrupted swap left it
    /// elsewhere. Damaged checkpoints are moved to `corrupt/` and named in `warn`; unfinished ones are
    /// removed. Call it only while holding the stage's lock.
    public func resumableCheckpoint(_ key: String, warn: (String) -> Void) -> Checkpoint? {
        let fm = FileManager.default
        var intact: [Checkpoint] = []
        for dir in checkpointFolders(key) {
            let name = (dir as NSString).lastPathComponent
            if CheckpointFolder(name) == .dropped {
                try? fm.removeItem(atPath: dir)
                continue
            }
            switch checkCheckpoint(dir, key: key) {
            case .success(let step): intact.append(Checkpoint(directory: dir, step: step))
            case .failure(let damage):
                if CheckpointFolder(name) == .writing && !hasCheckpointManifest(dir) {
                    // A write that a kill cut short: it never became a checkpoint.
                    try? fm.removeItem(atPath: dir)
                    continue
                }
                let dest = quarantineCheckpoint(dir, key: key)
                warn(
                    "checkpoint \(name.prefix(12))\(name.dropFirst(64)) of stage \(key.prefix(12)) is damaged (\(damage)); moved to \(dest)"
                )
            }
        }
        intact.sort { $0.step > $1.step }
        guard var best = intact.first else { return nil }
        var second = intact.dropFirst().first
        let main = partialRoot + "/" + key
        let prev = main + ".prev"
        // Finish an interrupted swap: the newest becomes current, the next newest previous, the rest go.
        if best.directory != main {
            if fm.fileExists(atPath: main) {
                let hold = main + ".hold-\(getpid())"
                _ = rename(main, hold)
                if second?.directory == main { second?.directory = hold }
            }
            if rename(best.directory, main) == 0 { best.directory = main }
        }
        if let s = second, s.directory != prev {
            try? fm.removeItem(atPath: prev)
            if rename(s.directory, prev) == 0 { second?.directory = prev }
        }
        let kept: Set<String> = [best.directory, second?.directory ?? ""]
        for c in intact where !kept.contains(c.directory) && fm.fileExists(atPath: c.directory) {
            try? fm.removeItem(atPath: c.directory)
        }
        return best
    }

    func quarantineCheckpoint(_ dir: String, key: String) -> String {
        let fm = FileManager.default
        try? fm.createDirectory(atPath: root + "/corrupt", withIntermediateDirectories: true)
        let dest = root + "/corrupt/partial-\((dir as NSString).lastPathComponent)-\(UUID().uuidString.prefix(8))"
        if rename(dir, dest) != 0 {
            try? fm.removeItem(atPath: dir)
            return "nowhere (removed)"
        }
        return dest
    }

    /// Writes a checkpoint of `key` at `step`: `write` fills a fresh folder, the manifest is written last,
    /// then the folder is swapped in (the current checkpoint becomes the previous one).
    public func saveCheckpoint(_ key: String, step: Int, write: (String) throws -> Void) throws {
        let fm = FileManager.default
        let main = partialRoot + "/" + key
        let tmp = main + ".tmp-\(getpid())"
        let prev = main + ".prev"
        let drop = main + ".drop-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try write(tmp)
        var files: [String: String] = [:]
        for name in try fm.contentsOfDirectory(atPath: tmp).sorted() {
            files[name] = Cache.sha256(fm.contents(atPath: tmp + "/" + name) ?? Data())
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(CheckpointManifest(key: key, step: step, files: files))
            .write(to: URL(fileURLWithPath: tmp + "/" + Cache.checkpointManifestName))
        // Three renames; a kill between any two leaves the new checkpoint or the old one whole.
        if fm.fileExists(atPath: prev) { try renameChecked(prev, drop) }
        if fm.fileExists(atPath: main) { try renameChecked(main, prev) }
        try renameChecked(tmp, main)
        try? fm.removeItem(atPath: drop)
    }

    /// Removes every checkpoint of `key` (its training finished).
    public func removeCheckpoints(_ key: String) {
        for dir in checkpointFolders(key) { try? FileManager.default.removeItem(atPath: dir) }
    }

    func renameChecked(_ from: String, _ to: String) throws {
        Interrupt.beforeRename()
        guard rename(from, to) == 0 else {
            throw StageFailure("cannot rename \(from) to \(to): \(String(cString: strerror(errno)))")
        }
    }
}
