import Backdoor
import Datasets
import Foundation
import Reports

/// One spec's part of a report: its runs' table, compute, figures, tables, stage images and the
/// verdict on each of its expectations.
struct SpecReport {
    let spec: LoadedSpec
    let plan: Plan
    let cache: Cache
    let metrics: RunMetrics
    let name: String
    let runs: [PlannedRun]
    /// Every stage the spec needs, shared ones included, and those in the cache.
    let stages: [Stage]
    let done: [Stage]
    var body = ""
    var files: [String: Data] = [:]
    var verdicts: [(Expectation, Expectation.Verdict)] = []
    var counts: [String: Int] = [:]

    init(spec: LoadedSpec, plan: Plan, cache: Cache, metrics: RunMetrics) {
        self.spec = spec
        self.plan = plan
        self.cache = cache
        self.metrics = metrics
        name = Executor.resultsName(spec.file)
        runs = plan.runs.filter { $0.file == spec.file }
        stages = plan.stages(of: spec.file)
        done = stages.filter { cache.contains($0.key) }
    }

    // Measured time covers only the cached stages: set it against their own estimate, not the whole spec's.
    var measured: Double { metrics.seconds(done.map(\.key)) }
    var plannedDone: Double { done.reduce(0) { $0 + $1.cost.seconds } }
    var planned: Double { stages.reduce(0) { $0 + $1.cost.seconds } }

    mutating func build() {
        let first = spec.runs.first?.spec
        body += "\n## \(first?.title ?? name)\n\n`\(spec.file)`"
        if let t = first?.thesis { body += " — thesis: \(t)" }
        runTable()
        if let table = SeedTable(runs: runs, metrics: metrics).markdown { body += table }
        if let table = DefenceTable(runs: runs, metrics: metrics).markdown { body += table }
        compute()
        figures()
        // Each cached stage's directory is listed once, for its tables and for its figures.
        let cached = done.map { s in
            let dir = cache.directory(s.key)
            return (s, dir, ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted())
        }
        tables(cached)
        stageFigures(cached)
        stripHistograms()
        detectorFigures()
        encodings()
        expectations()
    }

    func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", 100 * $0) } ?? "not run" }

    /// One row per run: accuracy, ASR, the clean → target floor and, with DP-SGD, ε.
    mutating func runTable() {
        // The privacy column only where some run trains with DP-SGD (its ε is not a perturbation's radius).
        let dp = spec.runs.contains { if case .dpSGD = $0.spec.defence { return true } else { return false } }
        body +=
            "\n\n| run | natural accuracy | attack success rate | clean → target |"
            + (dp ? " DP-SGD ε |\n|---|---|---|---|---|\n" : "\n|---|---|---|---|\n")
        var flagged: [String] = []
        for r in runs {
            let label = r.label.isEmpty ? "—" : r.label
            let flags = metrics.flags(r)
            body +=
                "| \(label)\(flags.isEmpty ? "" : " ⚠") | \(pct(metrics.value(r, .naturalAccuracy))) | \(pct(metrics.value(r, .attackSuccessRate))) | "
            body += (metrics.attack(r)?.cleanTargetRate.map { String(format: "%.1f %%", 100 * $0) } ?? "—") + " |"
            if dp {
                body +=
                    " "
                    + (metrics.value(r, .epsilon).map { $0.isInfinite ? "∞ (no DP)" : String(format: "%.2f", $0) }
                        ?? "—") + " |"
            }
            body += "\n"
            if !flags.isEmpty {
                flagged.append(
                    "⚠ \(label): \(flags.joined(separator: "; ")); its numbers are not used by any verdict")
            }
        }
        if !flagged.isEmpty { body += "\n" + flagged.joined(separator: "\n\n") + "\n" }
        body +=
            "\n(clean → target: clean non-target test images already classified as the target, the floor under the ASR.)\n"
    }

    /// Compute measured against planned.
    mutating func compute() {
        // Cost: every stage this spec needs, shared ones included.
        // Measured time covers only the cached stages: set it against their own estimate, not the whole spec's.
        body +=
            "\nCompute: \(PlanOutput.duration(measured)) measured for the stages in the cache (\(done.count) of \(stages.count)), planned \(PlanOutput.duration(plannedDone)) for them; the plan estimated \(PlanOutput.duration(planned)) for all.\n"
    }

    /// The spec's figure and its victims' training loss.
    mutating func figures() {
        if let plot = Report.figure(spec, runs: runs, metrics: metrics) {
            files["\(name).svg"] = Data(plot.svg.utf8)
            body += "\n![\(name)](\(name).svg)\n" + (plot.caption.map { "\n\($0)\n" } ?? "")
        }
        // The victims' training loss, one line per run, from the curves their training stages recorded.
        let curves = runs.compactMap { r -> (name: String, steps: [Double], losses: [Double])? in
            guard let rows = metrics.record(r.train, of: TrainStage.self)?.lossCurve, !rows.isEmpty,
                rows.allSatisfy({ $0.count == 2 })
            else { return nil }
            return (r.label.isEmpty ? name : r.label, rows.map { $0[0] }, rows.map { $0[1] })
        }
        if let plot = TrainingLossFigure.svg(curves) {
            files["\(name)-training-loss.svg"] = Data(plot.utf8)
            body += "\n![training loss](\(name)-training-loss.svg)\n"
        }
    }

    /// The tables behind the figures: the spec's own results (one row per run) and any per-stage CSV (loss tracking).
    mutating func tables(_ cached: [(Stage, String, [String])]) {
        var tables: [String] = []
        for (s, dir, listing) in cached {
            // A shared stage list can hold another spec's report; its table belongs to that spec.
            if let owner = s.work.publishes, owner != spec.file { continue }
            for f in listing where f.hasSuffix(".csv") {
                let out =
                    s.work.publishes != nil && f == "results.csv"
                    ? "\(name).csv" : "\(name)-\(s.kind.rawValue)-\(s.shortKey.prefix(6))-\(f)"
                guard files[out] == nil, let d = FileManager.default.contents(atPath: dir + "/" + f) else {
                    continue
                }
                files[out] = d
                tables.append("[\(out)](\(out))")
            }
        }
        if !tables.isEmpty { body += "\nTables: " + tables.joined(separator: ", ") + "\n" }
    }

    /// Every image a cached stage left, with its caption.
    mutating func stageFigures(_ cached: [(Stage, String, [String])]) {
        for (s, dir, listing) in cached {
            for f in listing where f.hasSuffix(".png") || f.hasSuffix(".svg") {
                let out = "\(name)-\(s.kind.rawValue)-\(s.shortKey.prefix(6))-\(f)"
                // The loss figure is redrawn from its CSV: a run cached before a change to the drawing gets the current one.
                let redrawn =
                    f == "loss_tracking.svg"
                    ? (try? String(contentsOfFile: dir + "/loss_tracking.csv", encoding: .utf8)).map {
                        Data(LossFigure.svg(LossTracking.records(csv: $0)).utf8)
                    } : nil
                guard files[out] == nil, let d = redrawn ?? FileManager.default.contents(atPath: dir + "/" + f)
                else { continue }
                files[out] = d
                body += "\n\(s.kind.rawValue) \(s.shortKey.prefix(6)) (\(s.users.first ?? "")): ![\(f)](\(out))\n"
                if let caption = s.work.caption(f, inputs: s.inputs.count) { body += "\n" + caption + "\n" }
            }
        }
    }

    /// STRIP: the entropies of clean and triggered inputs, binned — how far the two apart the threshold sits.
    mutating func stripHistograms() {
        for s in done where s.kind == .strip {
            guard let o = try? Artifacts.readJSON(STRIPStage.Outputs.self, cache.directory(s.key) + "/strip.json"),
                let plot = Histogram.svg(
                    title: String(format: "STRIP entropies (threshold %.3f)", o.threshold), xLabel: "entropy (bits)",
                    samples: [("clean", o.cleanEntropies ?? []), ("triggered", o.triggeredEntropies ?? [])])
            else { continue }
            let file = "\(name)-strip-\(s.shortKey.prefix(6))-entropies.svg"
            files[file] = Data(plot.utf8)
            body += "\nstrip \(s.shortKey.prefix(6)) (\(s.users.first ?? "")): ![STRIP entropies](\(file))\n"
            // The detector's ROC: triggered inputs are the positives, a lower entropy the more suspicious.
            let (clean, triggered) = (o.cleanEntropies ?? [], o.triggeredEntropies ?? [])
            let scores = (clean + triggered).map { -$0 }
            let positive = clean.map { _ in false } + triggered.map { _ in true }
            guard !clean.isEmpty, !triggered.isEmpty, let auc = ROC.auroc(scores: scores, positive: positive) else {
                continue
            }
            let curve = ROC.curve(scores: scores, positive: positive)
            let roc = LinePlot(
                title: String(format: "ROC of STRIP's entropies, triggered against clean (AUROC %.3f)", auc),
                xLabel: "false-positive rate", yLabel: "true-positive rate",
                series: [LinePlot.Series(name: "STRIP", x: curve.map(\.fpr), y: curve.map(\.tpr))]
            ).svg
            files["\(name)-strip-\(s.shortKey.prefix(6))-roc.svg"] = Data(roc.utf8)
            body += "\n![STRIP ROC](\(name)-strip-\(s.shortKey.prefix(6))-roc.svg)\n"
        }
    }

    /// A scoring filter's ROC curve and score histogram against the known poisons (drawn from its entry, so a
    /// cached run gets the current drawing).
    mutating func detectorFigures() {
        for s in done where s.kind == .filter {
            let dir = cache.directory(s.key)
            guard s.inputs.count > 1, case .float32(let f)? = try? NPY.read(dir + "/scores.npy").values,
                let poisons = try? Artifacts.readIndices(cache.directory(s.inputs[1]) + "/indices.npy")
            else { continue }
            let scores = f.map(Double.init)
            let isPoison = Set(poisons)
            let positive = scores.indices.map(isPoison.contains)
            let curve = ROC.curve(scores: scores, positive: positive)
            let auc = ROC.auroc(scores: scores, positive: positive) ?? 0
            let roc = LinePlot(
                title: String(format: "ROC of the filter's scores (AUROC %.3f)", auc), xLabel: "false-positive rate",
                yLabel: "true-positive rate",
                series: [LinePlot.Series(name: "detector", x: curve.map(\.fpr), y: curve.map(\.tpr))]
            ).svg
            let tag = "\(name)-filter-\(s.shortKey.prefix(6))"
            files["\(tag)-roc.svg"] = Data(roc.utf8)
            body += "\nfilter \(s.shortKey.prefix(6)) (\(s.users.first ?? "")): ![ROC](\(tag)-roc.svg)\n"
            let clean = scores.indices.filter { !isPoison.contains($0) }.map { scores[$0] }
            if let hist = Histogram.svg(
                title: "Scores of poisons and clean training images", xLabel: "score",
                samples: [("poisons", poisons.map { scores[$0] }), ("clean", clean)])
            {
                files["\(tag)-scores.svg"] = Data(hist.utf8)
                body += "\n![scores](\(tag)-scores.svg)\n"
            }
        }
    }

    /// How well the GAN reconstructs the images it interpolates from: the encoding's own summary.
    mutating func encodings() {
        for s in stages where s.kind == .encode && cache.contains(s.key) {
            guard
                let o = try? Artifacts.readJSON(EncodeStage.Outputs.self, cache.directory(s.key) + "/encoding.json")
            else { continue }
            body += String(
                format:
                    "\nencode %@ (%@): reconstruction error ‖x − G(z)‖₂ on the [0, 1] scale over %d images, median %.3g, mean %.3g\n",
                String(s.shortKey.prefix(6)), s.users.first ?? "", o.images, o.medianError, o.meanError)
        }
    }

    /// The verdict on each expectation, with grouped bars for a per-pair comparison.
    mutating func expectations() {
        // Seeded when a run any verdict reads has seeds: an unseeded spec's comparison with a seeded one is over
        // the other side's seeds.
        let seeded = plan.runs.contains { r in
            r.point.contains { $0.key == "seed" } && spec.expectations.contains { $0.involves(r) }
        }
        // Seed 0's runs alone are what a one-seed report rested on: each seeded verdict says what they gave.
        var changed = 0
        if !spec.expectations.isEmpty {
            body +=
                seeded
                ? "\nExpectations (over seeds: holds or fails only when the 95 % interval of the comparison is on one side of it, inconclusive otherwise):\n\n"
                : "\nExpectations (one seed: no spread is known, so no verdict can say inconclusive; `seeds: 3` repeats the runs):\n\n"
        }
        for (k, e) in spec.expectations.enumerated() {
            // A per-pair comparison between two specs is drawn as grouped bars (e.g. per target class).
            if let bars = Report.pairBars(e, runs: plan.runs, metrics: metrics) {
                let file = "\(name)-expect\(k).svg"
                files[file] = Data(bars.utf8)
                body += "\n![\(e.finding)](\(file))\n"
            }
            let v = e.evaluate(plan.runs, flags: metrics.flags) { metrics.value($0, $1) }
            verdicts.append((e, v))
            counts[v.label, default: 0] += 1
            body += "- **\(v.label)** — \(e.finding)" + (v.detail.isEmpty ? "" : " (\(v.detail))")
            if seeded {
                let first = e.evaluateSeedZero(plan.runs, flags: metrics.flags) { metrics.value($0, $1) }
                body += " — seed 0 alone: **\(first.label)**"
                if first.label != v.label { changed += 1 }
            }
            body += "\n"
        }
        if seeded && !spec.expectations.isEmpty {
            body += "\n\(changed) of \(spec.expectations.count) verdicts differ from what seed 0's runs alone give.\n"
        }
    }

    /// The spec's row of the summary table.
    var summaryRow: String {
        let finished = runs.filter { cache.contains($0.evaluate) }.count
        let verdictText = Expectation.Verdict.labels.compactMap { l in counts[l].map { "\($0) \(l)" } }.joined(
            separator: ", ")
        return
            "| \(name) | \(finished)/\(runs.count) | \(verdictText.isEmpty ? "—" : verdictText) | \(done.count)/\(stages.count) | \(PlanOutput.duration(measured)) | \(PlanOutput.duration(plannedDone)) | \(PlanOutput.duration(planned)) |\n"
    }
}
