import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The content-addressed stage cache: one directory per stage key holding the stage's files and
/// a `manifest.json` with their SHA-256 checksums. Entries are written to a temporary directory
/// and renamed into place, so a reader never sees half an entry; checksums are verified on every
/// read, and a corrupt entry is reported and removed so the stage is recomputed.
public struct Cache: Sendable {
    public let root: String
    public static let toolVersion = "backdoorlab 0.1.0"

    public init(root: String) { self.root = root }

    /// `--cache`, else `$BACKDOORLAB_CACHE`, else `./.backdoorlab`.
    public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Cache
    {
        Cache(root: option ?? environment["BACKDOORLAB_CACHE"] ?? ".backdoorlab")
    }

    public struct Manifest: Codable, Sendable {
        public var kind: String
        public var key: String
        public var parameters: String
        public var inputs: [String]
        /// File name → SHA-256 (hex).
        public var files: [String: String]
        public var created: String
        public var tool: String
        /// The spec files (and sweep points) whose plan asked for the stage when it was computed; nil
        /// for entries written before it was recorded.
        public var users: [String]?
        /// Files an export left out (name → bytes): such an entry serves reports and finished runs, but a stage
        /// that reads its artifacts recomputes it. Nil for an entry as its stage wrote it.
        public var omitted: [String: Int]?
    }

    public enum Problem: Error, CustomStringConvertible {
        case corrupt(key: String, reason: String)
        public var description: String {
            switch self {
            case .corrupt(let k, let r): return "cache entry \(k.prefix(12)) is corrupt (\(r))"
            }
        }
    }

    public func directory(_ key: String) -> String { "\(root)/\(key)" }
    public func contains(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: directory(key) + "/manifest.json")
    }

    /// The entry's directory after checking every file against its manifest.
    public func verified(_ key: String) throws -> (dir: String, manifest: Manifest)? {
        let dir = directory(key)
        guard let data = FileManager.default.contents(atPath: dir + "/manifest.json") else {
            if FileManager.default.fileExists(atPath: dir) { throw Problem.corrupt(key: key, reason: "no manifest") }
            return nil
        }
        guard let m = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw Problem.corrupt(key: key, reason: "unreadable manifest")
        }
        for (name, sum) in m.files {
            guard let bytes = FileManager.default.contents(atPath: dir + "/" + name) else {
                throw Problem.corrupt(key: key, reason: "\(name) is missing")
            }
            guard Cache.sha256(bytes) == sum else {
                throw Problem.corrupt(key: key, reason: "\(name) does not match its checksum")
            }
        }
        return (dir, m)
    }

    /// Moves a corrupt entry out of the way (kept under `corrupt/` for inspection).
    public func quarantine(_ key: String) {
        let fm = FileManager.default
        try? fm.createDirectory(atPath: root + "/corrupt", withIntermediateDirectories: true)
        let dest = root + "/corrupt/\(key)-\(UUID().uuidString.prefix(8))"
        if (try? fm.moveItem(atPath: directory(key), toPath: dest)) == nil {
            try? fm.removeItem(atPath: directory(key))
        }
    }

    /// Writes an entry: `body` fills a fresh temporary directory, then checksums and the manifest are
    /// written and the directory renamed into place. Returns the entry's directory.
    public func store(stage: Stage, _ body: (String) throws -> Void) throws -> String {
        let fm = FileManager.default
        let tmp = "\(root)/tmp/\(stage.key)-\(getpid())-\(UUID().uuidString.prefix(8))"
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        } catch {
            throw AccessError(path: root + "/tmp", action: "write in", reason: Cache.reason(error))
        }
        do {
            try body(tmp)
            var files: [String: String] = [:]
            for name in try fm.contentsOfDirectory(atPath: tmp).sorted() {
                files[name] = Cache.sha256(fm.contents(atPath: tmp + "/" + name) ?? Data())
            }
            let m = Manifest(
                kind: stage.kind.rawValue, key: stage.key, parameters: stage.parameters.canonicalJSON,
                inputs: stage.inputs,
                files: files, created: ISO8601DateFormatter().string(from: Date()),
                tool: Cache.toolVersion,
                users: stage.users)
            try Cache.write(m, into: tmp)
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
            Interrupt.beforeRename()
            if rename(tmp, directory(stage.key)) != 0 {
                // Someone else finished it first (or a stale directory is there): keep theirs if valid.
                if (try? verified(stage.key)) != nil {
                    try? fm.removeItem(atPath: tmp)
                    return directory(stage.key)
                }
                quarantine(stage.key)
                guard rename(tmp, directory(stage.key)) == 0 else { throw CocoaError(.fileWriteUnknown) }
            }
            return directory(stage.key)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
    }

    /// Writes `manifest.json` into an entry's folder.
    static func write(_ m: Manifest, into dir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(m).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
    }

    /// Holds an exclusive lock on `key` while `body` runs; another process waits until it is released
    /// (the kernel releases it if the holder dies, so a killed run never leaves a stale lock). While it
    /// waits, `waiting` is told once who holds the lock, and SIGINT/SIGTERM end the wait.
    public func withLock<T>(_ key: String, waiting: (String) -> Void = { _ in }, _ body: () throws -> T) throws -> T {
        let dir = root + "/locks"
        let path = "\(dir)/\(key).lock"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw AccessError(path: dir, action: "create", reason: Cache.reason(error))
        }
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else {
            throw AccessError(path: path, action: "open the lock file", reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw AccessError(path: path, action: "lock", reason: String(cString: strerror(errno)))
            }
            if Interrupt.isRequested { throw Interrupted() }
            if !told {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                    in: .whitespacesAndNewlines)
                waiting("held by PID \(holder.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown") (\(path))")
                told = true
            }
            usleep(100_000)
        }
        defer { flock(fd, LOCK_UN) }
        // Who holds it, for the message of a process that waits.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return try body()
    }

    /// A cache path that cannot be read or written, named.
    public struct AccessError: Error, CustomStringConvertible {
        public var path: String
        public var action: String
        public var reason: String
        public var description: String { "cannot \(action) \(path): \(reason)" }
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }

    /// Whether another process holds `key`'s lock now.
    public func isLocked(_ key: String) -> Bool {
        let fd = open(root + "/locks/\(key).lock", O_RDWR)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    public static func sha256(_ d: Data) -> String { SHA256.hash(data: d).map { format2($0) }.joined() }

    /// Keys of the entries present (finished or not).
    public func keys() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
            $0.count == 64 && $0.allSatisfy(\.isHexDigit)
        }.sorted()
    }
}
