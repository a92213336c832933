import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Finished work that travels without its bulk: an exported entry keeps a stage's records (metrics, curves,
/// poison indices, example images) and leaves out files over a size limit (trained weights, image arrays).
/// Small enough to commit beside a report, it lets another machine re-render the report and skip the runs
/// that finished, where a whole cache (hundreds of MB) cannot go; a stage that must read an exported input's
/// artifacts recomputes that input first (`Executor.selection`).
extension Cache {
    /// Files over this size are left out of an export: a ResNet-8's weights (about 310 KiB) and image arrays
    /// are; records, loss curves, poison indices, a filter's 60 000 scores and example images are not.
    public static let exportFileLimit = 256 * 1024

    /// Whether the entry's stage took at least `secondsPerMiB` for each MiB of its files: worth its bytes in an
    /// export (an adversarially trained reference, an hour for 0.3 MiB) or not (a PGD perturbation of a class,
    /// two minutes for 4.6 MiB). False for an entry without a recorded time.
    public func isCostly(_ key: String, secondsPerMiB: Double) -> Bool {
        guard let t = timing(key) else { return false }
        return t.seconds >= secondsPerMiB * Double(Cache.size(directory(key))) / 1_048_576
    }

    /// Whether an export with this file limit would leave some of the entry's files out (or has: an exported entry).
    public func losesFiles(_ key: String, over limit: Int) -> Bool {
        guard let m = manifest(key) else { return false }
        return !(m.omitted?.isEmpty ?? true) || m.files.keys.contains { Cache.size(directory(key) + "/" + $0) > limit }
    }

    /// Whether the entry holds every file its stage wrote: false for an exported entry, or none.
    public func isComplete(_ key: String) -> Bool {
        guard let m = manifest(key) else { return false }
        return m.omitted?.isEmpty ?? true
    }

    /// What an export or import copied.
    public struct Transfer: Sendable {
        /// Entries written, and entries left as they were (already there, as whole or more whole).
        public var copied: [String] = [], kept: [String] = []
        /// Bytes written, and bytes of files left out.
        public var bytes = 0, omittedBytes = 0
    }

    /// Copies the entries `keys` that this cache holds into `destination`, files over `limit` bytes left out
    /// except in the entries of `whole`. Each source entry is checked against its checksums first; a damaged one
    /// stops the export.
    public func export(
        _ keys: [String], to destination: Cache, limit: Int = Cache.exportFileLimit, whole: Set<String> = []
    ) throws -> Transfer {
        var t = Transfer()
        for k in keys where contains(k) {
            if destination.contains(k) && (destination.isComplete(k) || !isComplete(k)) {
                t.kept.append(k)
                continue
            }
            let (written, left) = try copy(k, into: destination, limit: whole.contains(k) ? .max : limit)
            t.copied.append(k)
            t.bytes += written
            t.omittedBytes += left
        }
        // The staging folder, unless another process is writing in it (rmdir leaves a non-empty folder).
        rmdir(destination.root + "/tmp")
        return t
    }

    /// Copies into this cache the entries of `source` it lacks, and whole entries where it holds only exported
    /// ones. Each source entry is checked against its checksums first.
    public func importEntries(from source: Cache) throws -> Transfer {
        try source.export(source.keys(), to: self, limit: .max)
    }

    /// One entry into `destination`: checked, copied into a temporary folder, renamed into place.
    func copy(_ key: String, into destination: Cache, limit: Int) throws -> (written: Int, omitted: Int) {
        let fm = FileManager.default
        guard let (dir, manifest) = try verified(key) else { return (0, 0) }
        var m = manifest
        var omitted = m.omitted ?? [:]
        var written = 0
        let tmp = "\(destination.root)/tmp/\(key)-export-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        } catch {
            throw AccessError(path: destination.root + "/tmp", action: "write in", reason: Cache.reason(error))
        }
        defer { try? fm.removeItem(atPath: tmp) }
        for name in m.files.keys.sorted() {
            let size = Cache.size(dir + "/" + name)
            if size > limit {
                omitted[name] = size
                m.files[name] = nil
                continue
            }
            try fm.copyItem(atPath: dir + "/" + name, toPath: tmp + "/" + name)
            written += size
        }
        m.omitted = omitted.isEmpty ? nil : omitted
        try Cache.write(m, into: tmp)
        // An exported entry in the way of a whole one (or a damaged leftover) is replaced.
        if destination.contains(key) || fm.fileExists(atPath: destination.directory(key)) {
            try fm.removeItem(atPath: destination.directory(key))
        }
        guard rename(tmp, destination.directory(key)) == 0 else {
            throw AccessError(
                path: destination.directory(key), action: "write", reason: String(cString: strerror(errno)))
        }
        return (written, omitted.values.reduce(0, +))
    }
}
