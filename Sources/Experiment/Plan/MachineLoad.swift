import Foundation

/// How busy other processes keep the machine while something is measured: the CPU time every process
/// spent (`/proc/stat`) less this process's own (`/proc/self/stat`), as a share of all cores' time. A bench
/// taken beside another training measures half a machine and would make `plan` promise too little.
public struct MachineLoad: Sendable, Equatable {
    /// Jiffies of all CPUs together: busy and total (busy + idle + iowait).
    public var busy: Double, total: Double
    /// This process's user + system jiffies (all its threads).
    public var own: Double

    public init(busy: Double, total: Double, own: Double) {
        self.busy = busy
        self.total = total
        self.own = own
    }

    /// The counters now; nil where /proc cannot be read (not Linux).
    public static func now() -> MachineLoad? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let mine = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let cpu = cpuTimes(procStat: stat), let own = processTime(selfStat: mine)
        else { return nil }
        return MachineLoad(busy: cpu.busy, total: cpu.total, own: own)
    }

    /// The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal (guest time is
    /// already inside user and nice).
    public static func cpuTimes(procStat: String) -> (busy: Double, total: Double)? {
        guard let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 4 else { return nil }
        let idle = v[3] + (v.count > 4 ? v[4] : 0)
        let busy = v.prefix(8).reduce(0, +) - idle
        return (busy, busy + idle)
    }

    /// utime + stime (fields 14 and 15) of /proc/self/stat; the command name in parentheses may hold spaces.
    public static func processTime(selfStat: String) -> Double? {
        guard let close = selfStat.lastIndex(of: ")") else { return nil }
        let fields = selfStat[selfStat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
        guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
        return u + s
    }

    /// Share of the machine (0–1, all cores) that other processes used between `self` and `later`.
    public func othersShare(until later: MachineLoad) -> Double {
        let total = later.total - total
        guard total > 0 else { return 0 }
        let others = (later.busy - busy) - (later.own - own)
        return max(0, min(1, others / total))
    }

    /// Above this share of the machine used by others, a bench's figures are not stored.
    public static let storeLimit = 0.1
}
