import Foundation

/// Human and machine renderings of a plan.
public enum PlanOutput {
    public static func flops(_ f: Double) -> String { scaled(f, ["", "k", "M", "G", "T", "P", "E"], 1000) + "FLOP" }
    public static func bytes(_ b: Double) -> String { scaled(b, ["B", "kB", "MB", "GB", "TB"], 1000, space: true) }
    public static func duration(_ s: Double) -> String {
        if s < 1 { return s == 0 ? "0 s" : "<1 s" }
        if s < 90 { return "\(Int(s.rounded())) s" }
        if s < 5400 { return String(format: "%.1f min", s / 60) }
        if s < 172_800 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f d", s / 86400)
    }

    static func scaled(_ v: Double, _ units: [String], _ base: Double, space: Bool = false) -> String {
        var v = v
        var i = 0
        while v >= base && i < units.count - 1 {
            v /= base
            i += 1
        }
        let n = v >= 100 || i == 0 ? String(format: "%.0f", v) : String(format: "%.2g", v)
        return n + (space ? " " : " ") + units[i]
    }

    /// The stage table with totals; `cached` tells which keys already have a finished cache entry.
    public static func table(_ plan: Plan, cached: (String) -> Bool) -> String {
        var rows: [[String]] = [["stage", "key", "inputs", "FLOPs", "time", "memory", "disk", "cached"]]
        for s in plan.stages {
            var inputs = s.inputs.compactMap { k in plan.stage(k).map { "\($0.kind.rawValue):\($0.key.prefix(6))" } }
            if inputs.count > 3 { inputs = ["\(inputs.count) stages"] }
            rows.append([
                s.kind.rawValue, s.shortKey, inputs.isEmpty ? "-" : inputs.joined(separator: " "), flops(s.cost.flops),
                duration(s.cost.seconds), bytes(s.cost.memoryBytes), bytes(s.cost.diskBytes),
                cached(s.key) ? "yes" : "no",
            ])
        }
        var out = columns(rows)
        let specs = plan.specCosts
        if specs.count > 1 {
            // Shared stages make a folder cost less than its specs alone; "added" sums to the total.
            var perSpec: [[String]] = [
                ["spec", "runs", "stages", "FLOPs alone", "time alone", "FLOPs added", "time added"]
            ]
            for c in specs {
                perSpec.append([
                    c.file, "\(c.runs)", "\(c.stages)", flops(c.alone.flops), duration(c.alone.seconds),
                    flops(c.added.flops), duration(c.added.seconds),
                ])
            }
            out += "\n" + columns(perSpec)
        }
        let t = plan.total
        let todo = plan.stages.filter { !cached($0.key) }
        let left = todo.reduce(0.0) { $0 + $1.cost.seconds }
        out += "\n\(plan.stages.count) stages for \(plan.runs.count) runs ("
        out +=
            Stage.Kind.allCases.compactMap { k in
                let n = plan.count(k)
                return n == 0 ? nil : "\(n) \(k.rawValue)"
            }.joined(separator: ", ") + ")\n"
        out +=
            "total: \(flops(t.flops)), \(duration(t.seconds)) on this machine, peak memory \(bytes(t.memoryBytes)), disk \(bytes(t.diskBytes))\n"
        out += "not yet cached: \(todo.count) stages, \(duration(left))\n"
        out += "rates: \(plan.rates.summary)\n"
        if let c = plan.calibration.summary { out += c + "\n" }
        return out
    }

    /// Left-aligned columns two spaces apart, one line per row.
    static func columns(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        return rows.map { r in
            r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        .joined(separator: "\n") + "\n"
    }

    public static func json(_ plan: Plan, cached: (String) -> Bool) -> String {
        let stages = plan.stages.map { s -> String in
            "{\"kind\":\(jsonString(s.kind.rawValue)),\"key\":\(jsonString(s.key)),\"inputs\":["
                + s.inputs.map(jsonString).joined(separator: ",")
                + "],\"parameters\":\(s.parameters.canonicalJSON),\"flops\":\(s.cost.flops),\"seconds\":\(s.cost.seconds),"
                + "\"memory_bytes\":\(s.cost.memoryBytes),\"disk_bytes\":\(s.cost.diskBytes),\"cached\":\(cached(s.key)),"
                + "\"origin\":\(jsonString(s.origin.description)),\"users\":["
                + s.users.map(jsonString).joined(separator: ",") + "]}"
        }
        let runs = plan.runs.map { r in
            "{\"file\":\(jsonString(r.file)),\"point\":\(jsonString(r.label)),\"train\":\(jsonString(r.train)),\"evaluate\":\(jsonString(r.evaluate))}"
        }
        let specs = plan.specCosts.map { c in
            "{\"file\":\(jsonString(c.file)),\"runs\":\(c.runs),\"stages\":\(c.stages),\"alone\":{\"flops\":\(c.alone.flops),\"seconds\":\(c.alone.seconds)},"
                + "\"added\":{\"flops\":\(c.added.flops),\"seconds\":\(c.added.seconds)}}"
        }
        let t = plan.total
        let factors = Stage.Kind.allCases.compactMap { k in
            plan.calibration.factors[k].map {
                "\(jsonString(k.rawValue)):{\"ratio\":\($0.ratio),\"stages\":\($0.stages)}"
            }
        }
        return "{\"stages\":[\n" + stages.joined(separator: ",\n") + "\n],\"runs\":[\n" + runs.joined(separator: ",\n")
            + "\n],\"specs\":[\n" + specs.joined(separator: ",\n")
            + "\n],\"total\":{\"flops\":\(t.flops),\"seconds\":\(t.seconds),\"memory_bytes\":\(t.memoryBytes),\"disk_bytes\":\(t.diskBytes)},"
            + "\"calibration\":{\(factors.joined(separator: ","))}}\n"
    }

    /// Graphviz: one node per stage, edges from inputs.
    public static func dot(_ plan: Plan) -> String {
        var s = "digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        for st in plan.stages {
            s +=
                "  \"\(st.shortKey)\" [label=\"\(st.kind.rawValue)\\n\(st.shortKey)\\n\(duration(st.cost.seconds))\"];\n"
        }
        for st in plan.stages { for i in st.inputs { s += "  \"\(i.prefix(12))\" -> \"\(st.shortKey)\";\n" } }
        return s + "}\n"
    }
}
