import CBLAS
import Synchronization

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The threads behind `Parallel.forEach`: the caller and `size` persistent workers share a call's
/// iterations; between calls a worker spins for a while (then sleeps) watching for the next one.
///
/// Why: a training step makes a few hundred parallel calls of 20 µs to a few ms. Through
/// `DispatchQueue.concurrentPerform` each paid about 20 µs to wake the other thread (on this VM a
/// 20 µs-per-worker call took 42 µs, against 21 µs here), and the kernel's scheduling showed as 4 % of
/// a ResNet-8 step's samples. Which thread runs an iteration never changes what it computes, so
/// results stay bit-identical.
final class WorkerPool: @unchecked Sendable {
    /// Workers besides the caller.
    let size: Int
    /// The call in progress in one word, so that a worker never pairs one call's iteration with
    /// another's body: its number (bits 40–62), its iteration count (20–39) and the next unclaimed
    /// iteration (0–19).
    private let claim = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let retired = Atomic<Bool>(false)
    // Written by the caller before it publishes a call in `claim` (release), read by workers after
    // they claim one of its iterations (acquire); unchanged until every iteration has finished.
    private var body: ((Int) -> Void)?
    private var call = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var sleepers = 0  // guarded by `mutex`

    /// How long a worker keeps watching for the next call before it sleeps.
    static let spinNanoseconds = 200_000

    init(workers: Int) {
        size = max(0, workers)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for _ in 0..<size {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let made = pthread_create(
                &thread, nil,
                { raw in
                    let pool = Unmanaged<WorkerPool>.fromOpaque(raw!).takeRetainedValue()
                    pool.work()
                    return nil
                }, context)
            precondition(made == 0, "WorkerPool: pthread_create failed (\(made))")
            pthread_detach(thread)
        }
    }

    /// Runs `body(i)` for i in 0..<count on the caller and the workers; returns when all have run.
    /// A call made while another is in progress (from a worker, or from a second thread) runs its
    /// iterations on its own thread, in order.
    func run(_ count: Int, _ body: (Int) -> Void) {
        guard size > 0, count > 1, count < 1 << 20,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            call = (call &+ 1) & 0x7F_FFFF
            finished.store(0, ordering: .relaxed)
            claim.store(call << 40 | count << 20, ordering: .releasing)
            pthread_mutex_lock(mutex)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
            runIterations(of: call)
            var spins = 0
            while finished.load(ordering: .acquiring) < count {
                spins &+= 1
                // A worker descheduled by another process: let it have the core.
                if spins & 1023 == 0 { sched_yield() } else { backdoorlab_pause() }
            }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Stops the workers once they are idle (after `Parallel.configure` changes the thread count).
    func retire() {
        retired.store(true, ordering: .releasing)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    /// Claims and runs iterations of call `number` until none is left.
    private func runIterations(of number: Int) {
        var word = claim.load(ordering: .acquiring)
        while word >> 40 == number {
            let i = word & 0xF_FFFF
            if i >= (word >> 20) & 0xF_FFFF { return }
            let (exchanged, original) = claim.compareExchange(
                expected: word, desired: word &+ 1, ordering: .acquiring)
            if exchanged {
                body?(i)
                finished.add(1, ordering: .releasing)
                word = claim.load(ordering: .acquiring)
            } else {
                word = original
            }
        }
    }

    private func work() {
        var seen = 0
        while !retired.load(ordering: .acquiring) {
            let number = waitForCall(after: seen)
            if number == seen { continue }
            seen = number
            runIterations(of: number)
        }
    }

    /// The number of the next call after `seen`: spins `spinNanoseconds`, then sleeps until one is published.
    private func waitForCall(after seen: Int) -> Int {
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        var spins = 0
        while true {
            let number = claim.load(ordering: .acquiring) >> 40
            if number != seen || retired.load(ordering: .relaxed) { return number }
            spins &+= 1
            backdoorlab_pause()
            if spins & 255 == 0 {
                // With more threads than cores a spinning worker would hold a core a computing one needs.
                sched_yield()
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed = (now.tv_sec - started.tv_sec) * 1_000_000_000 + (now.tv_nsec - started.tv_nsec)
                if elapsed > Self.spinNanoseconds { break }
            }
        }
        pthread_mutex_lock(mutex)
        sleepers += 1
        var number = claim.load(ordering: .acquiring) >> 40
        while number == seen && !retired.load(ordering: .relaxed) {
            pthread_cond_wait(wake, mutex)
            number = claim.load(ordering: .acquiring) >> 40
        }
        sleepers -= 1
        pthread_mutex_unlock(mutex)
        return number
    }
}
