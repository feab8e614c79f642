import Testing

@testable import CrisyncApp

@Suite("RefreshWakeup")
struct RefreshWakeupTests {
    @Test func withoutAWakeUpItWaitsForTheDeadline() async {
        let wakeup = RefreshWakeup()
        let start = ContinuousClock.now
        let early = await wakeup.wait(until: start.advanced(by: .milliseconds(200)))
        #expect(!early)
        #expect(ContinuousClock.now - start >= .milliseconds(200))
    }

    @Test func aWakeUpBeforeTheWaitEndsTheNextWaitAtOnceAndOnlyThatOne() async {
        let wakeup = RefreshWakeup()
        wakeup.fire()
        wakeup.fire()
        let start = ContinuousClock.now
        #expect(await wakeup.wait(until: start.advanced(by: .seconds(30))))
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(await !wakeup.wait(until: ContinuousClock.now.advanced(by: .milliseconds(100))), "two fires count as one")
    }

    @Test func aWakeUpDuringTheWaitEndsItEarly() async {
        let wakeup = RefreshWakeup()
        let firing = Task {
            try await Task.sleep(for: .milliseconds(100))
            wakeup.fire()
        }
        let start = ContinuousClock.now
        #expect(await wakeup.wait(until: start.advanced(by: .seconds(30))))
        #expect(ContinuousClock.now - start < .seconds(5))
        _ = await firing.result
    }

    @Test func cancellingTheWaiterEndsTheWait() async {
        let wakeup = RefreshWakeup()
        let waiting = Task { await wakeup.wait(until: ContinuousClock.now.advanced(by: .seconds(60))) }
        try? await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
