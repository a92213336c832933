import Foundation
import Learning
import Tensor

/// A training that advances step by step and whose whole state fits a checkpoint folder: the
/// victim's, a reference's, the pre-training's, the filter's, and the GAN's.
protocol Resumable: AnyObject {
    var step: Int { get }
    /// One step; the loss it reports (a non-finite one stops the training).
    func advance() -> Float
    func resume(at step: Int)
    /// The networks and optimizer states whose values must stay finite.
    var holders: [any StateHolder] { get }
    func save(into dir: String) throws
    func load(from dir: String) throws
}

/// What a checkpoint records besides the tensors (`state.json`): the step, the compute spent so
/// far, and whatever the training accumulates that must resume exactly (loss curves).
protocol CheckpointState: Codable {
    var step: Int { get set }
    var seconds: Double { get set }
}

extension StageContext {
    /// Runs `training` to `total` steps for stage `s`: resumes from its newest intact checkpoint,
    /// checks every loss and, at each checkpoint and the end, every weight for divergence, saves a
    /// checkpoint every `s.checkpointEvery` steps and on Ctrl-C. `state` carries what the caller
    /// accumulates; `afterStep` updates it after each step and returns a progress note.
    func runCheckpointed<S: CheckpointState>(
        _ s: Stage, _ training: Resumable, total: Int, state: inout S, defaultEvery: Int = 1000,
        afterStep: (Int, Float, inout S) -> String?
    ) throws {
        if let c = resumableCheckpoint(s) {
            try resuming(s, from: c) { dir in
                state = try Artifacts.readJSON(S.self, dir + "/state.json")
                try training.load(from: dir)
                training.resume(at: c.step)
                resumeTiming(state.seconds)
            }
            print("  resuming \(s.kind) \(s.shortKey) at step \(c.step) of \(total)")
            progress.resumed(at: c.step)
        }
        let every = s.checkpointEvery ?? defaultEvery
        let title = "\(s.kind) \(s.shortKey)"
        while training.step < total {
            let loss = training.advance()
            // A diverged training must not become a result: stop before anything of it is saved.
            try Divergence.check(loss: loss, step: training.step)
            if let note = afterStep(training.step, loss, &state) {
                progress.update(title, done: training.step, total: total, note: note)
            }
            if Interrupt.killAtStep == training.step { kill(getpid(), SIGKILL) }
            if training.step % every == 0 && training.step < total || Interrupt.isRequested {
                try Divergence.check(training.holders, step: training.step)
                state.step = training.step
                state.seconds = elapsedSeconds
                try cache.saveCheckpoint(s.key, step: training.step) { tmp in
                    try training.save(into: tmp)
                    try Artifacts.writeJSON(state, tmp + "/state.json")
                }
                if Interrupt.isRequested { throw Interrupted() }
            }
        }
        try Divergence.check(training.holders, step: total)
    }

    /// The newest intact checkpoint of `s`; damaged ones are set aside with a warning.
    func resumableCheckpoint(_ s: Stage) -> Cache.Checkpoint? {
        cache.resumableCheckpoint(s.key) { message in
            FileHandle.standardError.write(
                Data("warning: \(message); training resumes from an earlier checkpoint or step 0\n".utf8))
        }
    }

    /// Loads a checkpoint with `load`; one that passed its checksums yet cannot be loaded is set aside, so
    /// the next run starts over instead of failing the same way every time.
    func resuming(_ s: Stage, from c: Cache.Checkpoint, _ load: (String) throws -> Void) throws {
        do {
            try load(c.directory)
        } catch {
            let dest = cache.quarantineCheckpoint(c.directory, key: s.key)
            throw StageFailure(
                "its checkpoint at step \(c.step) cannot be loaded (\(error)); moved to \(dest), the next run starts over"
            )
        }
    }
}
