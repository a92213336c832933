import Experiment
import XCTest

final class WavesTests: XCTestCase {
    /// 10 classes × 5 fractions of PGD poisons: dataset and reference model (wave 0), one perturbation
    /// per class (wave 1), one task per run (wave 2), the report (wave 3).
    func testCleanLabelSweepIsFourWavesWithSharedStagesEarly() throws {
        let f = SpecFolder()
        f.write("pgd.yaml", cleanLabel)
        let plan = try f.plan()
        let waves = Waves(plan)
        XCTAssertEqual(waves.waves.map(\.count), [1, 10, 50, 1])
        let kinds = { (t: Waves.Task) in t.stages.compactMap { plan.stage($0)?.kind.rawValue } }
        XCTAssertEqual(kinds(waves.waves[0][0]), ["dataset", "train_reference"])
        XCTAssertEqual(Set(waves.waves[1].map(kinds)), [["perturb"]])
        XCTAssertEqual(Set(waves.waves[2].map(kinds)), [["poison", "train", "evaluate"]])
        XCTAssertEqual(kinds(waves.waves[3][0]), ["report"])
        // Every stage is in exactly one task, and a task's inputs come from its own or earlier waves.
        let all = waves.waves.flatMap { $0.flatMap(\.stages) }
        XCTAssertEqual(all.count, plan.stages.count)
        XCTAssertEqual(Set(all).count, plan.stages.count)
        var waveOf: [String: Int] = [:]
        for (w, tasks) in waves.waves.enumerated() { for t in tasks { for k in t.stages { waveOf[k] = w } } }
        for s in plan.stages { for i in s.inputs { XCTAssertLessThanOrEqual(waveOf[i]!, waveOf[s.key]!) } }
        XCTAssertEqual(waves.task(wave: 2, index: 49)?.stages.count, 3)
        XCTAssertNil(waves.task(wave: 2, index: 50))
        XCTAssertNil(waves.task(wave: 4, index: 0))
    }

    func testJobArraysLeaveOutCachedTasksAndRequestTheEstimateWithAMargin() throws {
        let f = SpecFolder()
        f.write("pgd.yaml", cleanLabel)
        let plan = try f.plan()
        let waves = Waves(plan)
        var o = SlurmJobs.Options(
            binary: "/opt/bin/backdoorlab", specPath: "/home/me/my specs/pgd.yaml", cache: "/shared/cache",
            results: "/shared/results", logs: "/shared/cache/slurm/x/logs", cpusPerTask: 4)
        o.partition = "cpu"
        o.extra = ["--qos=long"]
        // Wave 0 finished, and in wave 1 the perturbations of classes 0 and 1.
        let done = Set(waves.waves[0][0].stages + waves.waves[1][0].stages + waves.waves[1][1].stages)
        let jobs = SlurmJobs(plan: plan, waves: waves, cached: done.contains, options: o)
        XCTAssertEqual(jobs.arrays.map(\.wave), [1, 2, 3])
        XCTAssertEqual(jobs.arrays[0].tasks, Array(2..<10))
        let perturb = plan.stage(waves.waves[1][2].stages[0])!.cost.seconds
        // Times are for the 2 cores the default rates assume; 4 cores per task halve them.
        XCTAssertEqual(jobs.arrays[0].seconds, (perturb * 2 / 4 * 1.5 + 300).rounded(.up), accuracy: 1)
        XCTAssertEqual(jobs.arrays[0].cpuHours, jobs.arrays[0].seconds * 8 * 4 / 3600, accuracy: 1e-9)
        let script = jobs.arrays[0].script
        XCTAssert(script.contains("#SBATCH --array=2-9\n"), script)
        XCTAssert(script.contains("#SBATCH --time=\(Int((jobs.arrays[0].seconds / 60).rounded(.up)))\n"), script)
        XCTAssert(script.contains("#SBATCH --partition=cpu\n#SBATCH --qos=long\n"), script)
        XCTAssert(
            script.contains(
                "exec /opt/bin/backdoorlab run '/home/me/my specs/pgd.yaml' --cache /shared/cache --results /shared/results --threads 4 --task 1.${SLURM_ARRAY_TASK_ID} --plan-digest \(waves.digest)\n"
            ), script)
        XCTAssertEqual(SlurmJobs.arraySpec([0, 1, 2, 5, 7, 8]), "0-2,5,7-8")
        XCTAssertEqual(shellQuote("it's"), "'it'\\''s'")
    }
}
