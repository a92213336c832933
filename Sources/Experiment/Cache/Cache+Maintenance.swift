import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cache verify` and `cache gc`: checks and cleaning that never touch work in progress.
extension Cache {
    /// What `verify` found: problems by path, and how much it looked at.
    public struct Verification: Sendable {
        public var entries = 0
        public var checkpoints = 0
        /// One line per corrupt entry or damaged checkpoint.
        public var problems: [String] = []
    }

    /// Checks every entry and every training checkpoint against its checksums. Checkpoints being
    /// written by a running process (their stage is locked) are left alone.
    public func verify() -> Verification {
        var v = Verification()
        for k in keys() {
            v.entries += 1
            do { _ = try verified(k) } catch { v.problems.append("corrupt: \(error)") }
        }
        for (key, dir) in checkpointFolderList() where !isLocked(key) {
            let name = (dir as NSString).lastPathComponent
            // Unfinished writes and folders set aside for removal are leftovers, not checkpoints.
            let folder = CheckpointFolder(name)
            if folder == .dropped || folder == .writing && !hasCheckpointManifest(dir) { continue }
            v.checkpoints += 1
            if case .failure(let damage) = checkCheckpoint(dir, key: key) {
                v.problems.append("damaged checkpoint: partial/\(name): \(damage)")
            }
        }
        return v
    }

    func hasCheckpointManifest(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: dir + "/" + Cache.checkpointManifestName)
    }

    /// Every folder under `partial/` with the stage key it belongs to.
    func checkpointFolderList() -> [(key: String, dir: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: partialRoot)) ?? []
        return names.sorted().compactMap { n in
            let key = String(n.prefix(64))
            guard key.count == 64, key.allSatisfy(\.isHexDigit) else { return nil }
            return (key, partialRoot + "/" + n)
        }
    }

    /// What `gc` removes (or, in a dry run, would remove), what it keeps, and what it leaves because a
    /// process may still need it.
    public struct Collection: Sendable {
        public struct Item: Sendable {
            /// Relative to the cache: `tmp/…`, `corrupt/…`, `partial/…` or an entry's key.
            public var path: String
            public var bytes: Int
            /// What it is: a stage kind, "temporary", "quarantined", "checkpoint".
            public var kind: String
            /// The specs it served, as recorded in its manifest (empty when unknown).
            public var served: [String]
        }
        public var removed: [Item] = []
        public var kept: [Item] = []
        public var skipped: [String] = []
        public var bytesRemoved: Int { removed.reduce(0) { $0 + $1.bytes } }
        public var bytesKept: Int { kept.reduce(0) { $0 + $1.bytes } }
    }

    /// Temporary leftovers, quarantined entries, and — when `keep` is given — entries and checkpoints of
    /// stages not in it. Anything whose stage is locked, or that a live process on this machine is
    /// writing, is skipped and listed. Nothing is removed unless `remove` is true.
    public func collect(keep: Set<String>?, remove: Bool) -> Collection {
        let fm = FileManager.default
        var c = Collection()
        func take(_ relative: String, kind: String, served: [String] = []) {
            let path = root + "/" + relative
            let item = Collection.Item(path: relative, bytes: Cache.size(path), kind: kind, served: served)
            if !remove || (try? fm.removeItem(atPath: path)) != nil { c.removed.append(item) }
        }
        // tmp/<key>-<pid>-<id>: an entry being written (under its stage's lock) or one a kill abandoned.
        for name in ((try? fm.contentsOfDirectory(atPath: root + "/tmp")) ?? []).sorted() {
            let parts = name.split(separator: "-")
            let key = String(name.prefix(64))
            let pid = parts.count >= 2 ? Int32(parts[1]) : nil
            if isLocked(key) || pid.map(Cache.isAlive) == true {
                c.skipped.append("tmp/\(name) (being written by a running process)")
                continue
            }
            take("tmp/" + name, kind: "temporary")
        }
        for name in ((try? fm.contentsOfDirectory(atPath: root + "/corrupt")) ?? []).sorted() {
            take("corrupt/" + name, kind: "quarantined")
        }
        for (key, dir) in checkpointFolderList() {
            let name = (dir as NSString).lastPathComponent
            let leftover = CheckpointFolder(name).isLeftover
            let unneeded = keep.map { !$0.contains(key) } ?? false
            guard leftover || unneeded else { continue }
            if isLocked(key) {
                c.skipped.append("partial/\(name) (its training is running)")
                continue
            }
            // A leftover that is the newest intact checkpoint is resumable work: keep it for the next run.
            if leftover && !unneeded && latestCheckpoint(key)?.directory == dir { continue }
            take("partial/" + name, kind: "checkpoint")
        }
        for k in keys() {
            let m = manifest(k)
            let item = Collection.Item(
                path: k, bytes: Cache.size(directory(k)), kind: m?.kind ?? "unfinished", served: m?.users ?? [])
            guard let keep, !keep.contains(k) else {
                c.kept.append(item)
                continue
            }
            if isLocked(k) {
                c.skipped.append("\(k.prefix(12)) (locked by a running process)")
                c.kept.append(item)
                continue
            }
            take(k, kind: item.kind, served: item.served)
        }
        return c
    }

    /// An entry's manifest, if it has a readable one.
    public func manifest(_ key: String) -> Manifest? {
        FileManager.default.contents(atPath: directory(key) + "/manifest.json").flatMap {
            try? JSONDecoder().decode(Manifest.self, from: $0)
        }
    }

    static func isAlive(_ pid: Int32) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }

    /// Bytes under `path` (a file or a folder, recursively).
    public static func size(_ path: String) -> Int {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return 0 }
        guard isDir.boolValue else { return (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        return ((try? fm.subpathsOfDirectory(atPath: path)) ?? []).reduce(0) { total, sub in
            total + ((try? fm.attributesOfItem(atPath: path + "/" + sub)[.size] as? Int) ?? 0)
        }
    }
}
