import KioskCore
import Testing

@Suite("Status changes")
struct StatusBroadcasterTests {
    @Test("a subscriber gets the current status, then each change once, and no repeats")
    func changesOnly() async {
        let status = StatusBroadcaster(DeviceStatus(.noDevice))
        let stream = status.changes()
        #expect(status.update(.online))
        #expect(!status.update(.online))
        #expect(status.update(DeviceStatus(.userError, conditions: [.paperOut], message: "paper out")))
        status.finish()
        var seen: [DeviceState] = []
        for await change in stream { seen.append(change.state) }
        #expect(seen == [.noDevice, .online, .userError])
    }

    @Test("a health report reads as a maintainer expects")
    func healthReport() throws {
        let identity = DeviceIdentity(kind: .idCardReader, model: "SS628", port: try DevicePort(parsing: "serial:/dev/ttyUSB0"))
        let report = HealthReport(device: identity, level: .external, items: [
            .init("port open", .failed, "nothing is attached at /dev/ttyUSB0: check that the device is plugged in"),
        ])
        #expect(report.outcome == .failed)
        #expect(report.description == """
            ID-card reader SS628 at serial:/dev/ttyUSB0 — external check: FAILED
              ✗ port open: nothing is attached at /dev/ttyUSB0: check that the device is plugged in
            """)
    }
}

@Suite("Wake-ups")
struct WakeupTests {
    @Test("a wait ends at its duration, early on a signal, and a signal with no waiter is kept for the next wait")
    func wakeup() async {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        var start = clock.now
        await wakeup.wait(for: .milliseconds(50))
        #expect(clock.now - start >= .milliseconds(50))
        // Repeated timed-out waits still wait (the bug an AsyncStream race had).
        start = clock.now
        for _ in 0..<5 { await wakeup.wait(for: .milliseconds(20)) }
        #expect(clock.now - start >= .milliseconds(100))

        // Early means well before the 10 s; the bound is loose because the whole suite
        // runs in parallel on two cores, where a task can wait a second for a thread.
        wakeup.signal()
        start = clock.now
        await wakeup.wait(for: .seconds(10))
        #expect(clock.now - start < .seconds(5))

        start = clock.now
        let waiter = Task { await wakeup.wait(for: .seconds(10)) }
        try? await Task.sleep(for: .milliseconds(20))
        wakeup.signal()
        await waiter.value
        #expect(clock.now - start < .seconds(5))

        // The timer of a wait a signal ended does not end the next wait.
        let signaller = Task {
            try? await Task.sleep(for: .milliseconds(10))
            wakeup.signal()
        }
        start = clock.now
        await wakeup.wait(for: .milliseconds(60))
        await signaller.value
        if clock.now - start >= .milliseconds(60) {
            // The machine was slow enough that the 60 ms ran out before the signal came: the signal is
            // kept (as it should be) and would end the next wait at once. Taken here, so what follows
            // checks a plain wait; the stale timer's case is then not this run's.
            await wakeup.wait(for: .zero)
        }
        start = clock.now
        await wakeup.wait(for: .milliseconds(300))
        #expect(clock.now - start >= .milliseconds(300))

        // Canceling the waiting task ends its wait, however long it was to be.
        start = clock.now
        let canceled = Task { await wakeup.wait(for: .seconds(Int64.max)) }
        try? await Task.sleep(for: .milliseconds(20))
        canceled.cancel()
        await canceled.value
        #expect(clock.now - start < .seconds(5))
    }
}
