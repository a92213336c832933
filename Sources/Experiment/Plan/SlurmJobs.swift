import Foundation

/// `sbatch` scripts for a plan's waves: one job array per wave, each task running
/// `backdoorlab run --task W.I` against a shared cache, with time and memory from the cost model.
public struct SlurmJobs: Sendable {
    public struct Options: Sendable {
        /// The `backdoorlab` binary as the compute nodes see it.
        public var binary: String
        public var specPath: String
        public var profile: String?
        public var overrides: [String] = []
        public var cache: String
        public var results: String
        public var logs: String
        public var cpusPerTask: Int
        /// Requests are the cost model's estimate times this, plus `overheadSeconds` per task.
        public var margin = 1.5
        public var overheadSeconds = 300.0
        public var partition: String?
        public var account: String?
        /// Further `#SBATCH` lines, passed through as given (e.g. `--qos=long`).
        public var extra: [String] = []

        public init(binary: String, specPath: String, cache: String, results: String, logs: String, cpusPerTask: Int) {
            self.binary = binary
            self.specPath = specPath
            self.cache = cache
            self.results = results
            self.logs = logs
            self.cpusPerTask = cpusPerTask
        }
    }

    /// One wave's job array.
    public struct JobArray: Sendable {
        public var wave: Int
        /// Arrays of one wave, by length of their tasks (0 = shortest).
        public var part: Int
        /// Task indices still to run (tasks whose stages are all cached are left out).
        public var tasks: [Int]
        /// Requested wall time and memory per task (the largest of the wave's tasks).
        public var seconds: Double
        public var memoryBytes: Double
        /// The cost model's estimate, summed over the tasks, before the margin, on the cores `bench` measured with.
        public var estimatedSeconds: Double
        public var script: String
        /// CPU-hours requested: tasks × cores × requested time.
        public var cpuHours: Double { requestedCPUSeconds / 3600 }
        var requestedCPUSeconds: Double
    }

    public var arrays: [JobArray]

    public init(plan: Plan, waves: Waves, cached: (String) -> Bool, options o: Options) {
        var out: [JobArray] = []
        // The cost model's times are for the cores `bench` measured with; other core counts scale them
        // linearly (optimistic for many cores, which the margin absorbs).
        let scale = Double(plan.rates.threads) / Double(o.cpusPerTask)
        for tasks in waves.waves {
            let todo = tasks.filter { !$0.stages.allSatisfy(cached) }
            guard let wave = todo.first?.wave else { continue }
            // An array asks the same time for every task, so tasks of very different lengths (a reference
            // model and a detection, say) go in separate arrays of the wave: within one, the longest
            // estimate is at most twice the shortest (or both are under the per-task overhead).
            let costs = todo.map { t in t.stages.compactMap(plan.stage).filter { !cached($0.key) }.map(\.cost) }
            let planned = costs.map { $0.reduce(0) { $0 + $1.seconds } }
            let estimates = planned.map { $0 * scale }
            var groups: [[Int]] = []
            for i in todo.indices.sorted(by: { estimates[$0] < estimates[$1] }) {
                if let first = groups.last?.first, estimates[i] <= max(2 * estimates[first], o.overheadSeconds) {
                    groups[groups.count - 1].append(i)
                } else {
                    groups.append([i])
                }
            }
            for (part, group) in groups.enumerated() {
                let members = group.sorted { todo[$0].index < todo[$1].index }
                let seconds = ((members.map { estimates[$0] }.max() ?? 0) * o.margin + o.overheadSeconds).rounded(.up)
                let memory = (members.flatMap { costs[$0].map(\.memoryBytes) }.max() ?? 0) * o.margin + 256e6
                let indices = members.map { todo[$0].index }
                let script = SlurmJobs.script(
                    wave: wave, waveCount: waves.waves.count, tasks: indices, seconds: seconds,
                    memoryBytes: memory, digest: waves.digest, options: o)
                out.append(
                    JobArray(
                        wave: wave, part: part, tasks: indices, seconds: seconds, memoryBytes: memory,
                        estimatedSeconds: members.reduce(0) { $0 + planned[$1] }, script: script,
                        requestedCPUSeconds: seconds * Double(indices.count * o.cpusPerTask)))
            }
        }
        arrays = out
    }

    /// Slurm's `--array` syntax: runs of consecutive indices as ranges.
    public static func arraySpec(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < indices.count {
            var j = i
            while j + 1 < indices.count && indices[j + 1] == indices[j] + 1 { j += 1 }
            parts.append(j == i ? "\(indices[i])" : "\(indices[i])-\(indices[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Minutes, rounded up, as `--time` takes them.
    static func minutes(_ seconds: Double) -> Int { max(1, Int((seconds / 60).rounded(.up))) }

    static func script(
        wave: Int, waveCount: Int, tasks: [Int], seconds: Double, memoryBytes: Double, digest: String,
        options o: Options
    ) -> String {
        var lines = [
            "#!/bin/bash",
            "# backdoorlab: wave \(wave + 1) of \(waveCount), \(tasks.count) task\(tasks.count == 1 ? "" : "s"), plan \(digest.prefix(12))",
            "#SBATCH --job-name=backdoorlab-w\(wave)",
            "#SBATCH --array=\(arraySpec(tasks))",
            "#SBATCH --time=\(minutes(seconds))",
            "#SBATCH --mem=\(Int((memoryBytes / 1e6).rounded(.up)))M",
            "#SBATCH --cpus-per-task=\(o.cpusPerTask)",
            "#SBATCH --output=\(o.logs)/w\(wave)-%A_%a.out",
        ]
        if let p = o.partition { lines.append("#SBATCH --partition=\(p)") }
        if let a = o.account { lines.append("#SBATCH --account=\(a)") }
        lines += o.extra.map { "#SBATCH \($0)" }
        var command = [shellQuote(o.binary), "run", shellQuote(o.specPath)]
        if let p = o.profile { command += ["--profile", shellQuote(p)] }
        for s in o.overrides { command += ["--set", shellQuote(s)] }
        command += [
            "--cache", shellQuote(o.cache), "--results", shellQuote(o.results), "--threads", "\(o.cpusPerTask)",
            "--task", "\(wave).${SLURM_ARRAY_TASK_ID}", "--plan-digest", digest,
        ]
        lines += [
            "export BACKDOORLAB_LOG=\(shellQuote(o.logs))/w\(wave)-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out",
            "exec " + command.joined(separator: " "),
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Quotes a word for bash unless it is plainly safe.
public func shellQuote(_ s: String) -> String {
    let safe = s.allSatisfy { $0.isASCII && $0.isLetter || $0.isNumber || "/._-+=:,@%".contains($0) }
    return !s.isEmpty && safe ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
