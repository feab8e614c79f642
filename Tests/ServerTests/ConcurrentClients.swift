import Foundation
import Glibc
import Synchronization

/// Runs `body(index)` on `count` OS threads at once (the cooperative pool has as many threads as
/// cores, so tasks would not give 64 truly concurrent blocking clients) and waits for all.
func onThreads(_ count: Int, timeout: Double = 60, _ body: @escaping @Sendable (Int) -> Void) throws {
    let finished = Counter()
    let released = Counter()
    for index in 0..<count {
        let thread = Thread {
            // Start together, so the server really sees `count` clients at once.
            while released.value == 0 { usleep(200) }
            body(index)
            finished.add()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    released.add()
    try waitUntil(timeout: timeout) { finished.value == count }
}

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }

    func add(_ amount: Int = 1) {
        count.add(amount, ordering: .acquiringAndReleasing)
    }

    /// Keeps the largest value seen.
    func raise(to candidate: Int) {
        var current = count.load(ordering: .relaxed)
        while candidate > current {
            let (exchanged, original) = count.compareExchange(expected: current, desired: candidate, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

/// Thread-safe collection of what clients observed.
final class Observations<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    var all: [Value] { values.withLock { $0 } }

    func append(_ value: Value) {
        values.withLock { $0.append(value) }
    }
}

/// Seconds since an arbitrary start, from the monotonic clock.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The `p`-th percentile (0...1) of `values`.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}
