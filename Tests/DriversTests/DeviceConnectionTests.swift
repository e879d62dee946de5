import Drivers
import HardwareSim
import KioskCore
import Logging
import Testing

@Suite("A device that disappears and comes back", .serialized, .timeLimit(.minutes(2)))
struct DeviceConnectionTests {
    static let fast = ReconnectPolicy(probeInterval: .milliseconds(50), retryInitial: .milliseconds(20), retryMax: .milliseconds(100))

    func connection(_ wire: any DeviceWire, kind: DeviceKind = .idCardReader) throws -> DeviceConnection {
        DeviceConnection(
            identity: DeviceIdentity(kind: kind, model: "test", port: try DevicePort(parsing: wire.portString)),
            policy: Self.fast, logger: Logger(label: "test"))
    }

    /// One request/answer exchange, as a protocol driver would do it.
    func exchange(_ device: DeviceConnection, _ request: [UInt8], answer: Int) -> DeviceCommand<[UInt8]> {
        device.perform("exchange", timeout: .seconds(3)) { transport in
            try await transport.write(request, deadline: .now + .seconds(1))
            return try await transport.read(exactly: answer, deadline: .now + .seconds(2))
        }
    }

    @Test("pty: the far end closing mid-command ends that command with a typed error, status noDevice; it comes back on reopen")
    func unplugMidCommandOverPty() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/reader")
        try await unplugMidCommand(wire)
    }

    @Test("tcp: the far end closing mid-command ends that command with a typed error; it comes back when it listens again")
    func unplugMidCommandOverTCP() async throws {
        let wire = try TCPWire(port: 0)
        try await unplugMidCommand(wire, kind: .receiptPrinter)
    }

    func unplugMidCommand(_ wire: any DeviceWire, kind: DeviceKind = .idCardReader) async throws {
        let device = try connection(wire, kind: kind)
        try await serving(EchoDevice(), on: wire) {
            let supervisor = Task { await device.run() }
            defer { supervisor.cancel() }
            #expect(await eventually { device.status.state == .online })

            guard case .success(let echoed) = await exchange(device, [1, 2, 3], answer: 3).completion else {
                Issue.record("the first exchange failed")
                return
            }
            #expect(echoed == [1, 2, 3])

            var changes = device.statusChanges().makeAsyncIterator()
            #expect(await changes.next()?.state == .online)

            wire.faults.arm(.vanish)  // the device closes instead of answering
            let completion = await exchange(device, [4, 5, 6], answer: 3).completion
            guard case .failed(let error) = completion else {
                Issue.record("expected a typed failure, got \(completion.outcome)")
                return
            }
            #expect(error.code == .disconnected)
            #expect(error.message.contains("\(kind.displayName) went away during \"exchange\""))
            // The first change after the loss is noDevice; over TCP a refused
            // reopen may already have moved it on to offline.
            #expect(await changes.next()?.state == .noDevice)

            // While it is away, commands fail at once with a clear reason.
            let meanwhile = await exchange(device, [7], answer: 1).completion
            guard case .failed(let away) = meanwhile else {
                Issue.record("a command ran with the device away")
                return
            }
            #expect(away.code == .noDevice)
            #expect(away.message.contains("is not connected"))

            try wire.replug()
            // Reopen attempts while it was away publish what they found
            // (noDevice for a pty, offline for a refused TCP connection).
            var next = await changes.next()
            while let seen = next, seen.state == .noDevice || seen.state == .offline { next = await changes.next() }
            #expect(next?.state == .online)
            guard case .success(let again) = await exchange(device, [8, 9], answer: 2).completion else {
                Issue.record("the device did not come back")
                return
            }
            #expect(again == [8, 9])
            await device.shutdown(grace: .milliseconds(100))
        }
    }

    @Test("an idle device unplugged is noticed without any command, and reconnected when replugged")
    func idleUnplug() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/reader")
        let device = try connection(wire)
        try await serving(EchoDevice(), on: wire) {
            let supervisor = Task { await device.run() }
            defer { supervisor.cancel() }
            #expect(await eventually { device.status.state == .online })
            wire.unplug()
            // One reading of the status for both: a reopen may meanwhile find the pty number the
            // unplugged reader had, taken by another pty, and show that as online for a moment.
            #expect(await eventually {
                let status = device.status
                return status.state == .noDevice && (status.message?.contains("nothing is attached") == true || status.message?.contains("hung up") == true)
            })
            try wire.replug()
            #expect(await eventually { device.status.state == .online })
            #expect(await exchange(device, [42], answer: 1).completion.outcome == "success")
            await device.shutdown(grace: .milliseconds(100))
        }
    }

    @Test("a device that is absent at start is reported as noDevice and picked up when it appears")
    func absentAtStart() async throws {
        let link = temporaryDirectory() + "/reader"
        let device = DeviceConnection(
            identity: DeviceIdentity(kind: .idCardReader, model: "test", port: try DevicePort(parsing: "serial:\(link)")),
            policy: Self.fast, logger: Logger(label: "test"))
        let supervisor = Task { await device.run() }
        defer { supervisor.cancel() }
        #expect(await eventually { device.status.message?.contains("nothing is attached at \(link)") == true })
        #expect(device.status.state == .noDevice)
        let report = await device.healthCheck(.external)
        #expect(report.outcome == .failed)
        #expect(report.description.contains("check that the device is plugged in"))

        let wire = try PtyWire(link: link)
        await serving(EchoDevice(), on: wire) {
            #expect(await eventually { device.status.state == .online })
            #expect(await device.healthCheck(.external).outcome == .passed)
            #expect(await device.healthCheck(.internal).outcome == .passed)
            await device.shutdown(grace: .milliseconds(100))
        }
    }

    @Test("canceling a command blocked on a read releases the device within a poll, and the next command runs")
    func cancelReleasesTheDevice() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/reader")
        let device = try connection(wire)
        try await serving(EchoDevice(), on: wire) {
            let supervisor = Task { await device.run() }
            defer { supervisor.cancel() }
            #expect(await eventually { device.status.state == .online })
            let stuck = device.perform("wait for a card", timeout: .seconds(30)) { transport in
                try await transport.read(maxCount: 1, deadline: .now + .seconds(30))
            }
            try await Task.sleep(for: .milliseconds(50))
            let clock = ContinuousClock()
            let start = clock.now
            stuck.cancel()
            guard case .canceled = await stuck.completion else {
                Issue.record("not canceled")
                return
            }
            #expect(await exchange(device, [1], answer: 1).completion.outcome == "success")
            // Released long before the stuck read's 30 s deadline.
            #expect(clock.now - start < .seconds(5))
            await device.shutdown(grace: .milliseconds(100))
        }
    }
}

/// A transport that only counts how often it is asked whether it is connected.
final class CountingTransport: ByteTransport {
    let port = DevicePort.tcp(host: "counting.invalid", port: 1)
    let probes = Counter()
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {}
    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] { throw DeviceError(.timedOut, "nothing") }
    func flushInput() async throws {}
    func isConnected() async -> Bool {
        probes.increment()
        return true
    }
    func close() {}
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

import Synchronization

@Suite("The connection supervisor paces itself", .serialized)
struct SupervisorPacingTests {
    @Test("an idle open device is probed once per probe interval, not in a busy loop")
    func idleProbes() async throws {
        let transport = CountingTransport()
        let device = DeviceConnection(
            identity: DeviceIdentity(kind: .receiptPrinter, model: "test", port: transport.port),
            policy: ReconnectPolicy(probeInterval: .milliseconds(50), retryInitial: .milliseconds(20), retryMax: .milliseconds(100)),
            logger: Logger(label: "test"), opener: { _ in transport })
        let supervisor = Task { await device.run() }
        try await Task.sleep(for: .milliseconds(500))
        await device.shutdown(grace: .milliseconds(10))
        supervisor.cancel()
        // One probe per 50 ms is at most about 10 in 500 ms (fewer on a loaded
        // machine); the busy loop this guards against made tens of thousands.
        // (That probes happen at all is shown by the idle-unplug test.)
        #expect(transport.probes.count <= 14, "\(transport.probes.count) probes in 500 ms")
    }

    @Test("an absent device is retried with backoff, not in a busy loop")
    func retryBackoff() async throws {
        let attempts = Counter()
        let device = DeviceConnection(
            identity: DeviceIdentity(kind: .receiptPrinter, model: "test", port: .tcp(host: "absent.invalid", port: 1)),
            policy: ReconnectPolicy(probeInterval: .milliseconds(50), retryInitial: .milliseconds(20), retryMax: .milliseconds(100)),
            logger: Logger(label: "test"),
            opener: { _ in
                attempts.increment()
                throw DeviceError(.noDevice, "not there")
            })
        let supervisor = Task { await device.run() }
        try await Task.sleep(for: .milliseconds(500))
        await device.shutdown(grace: .milliseconds(10))
        supervisor.cancel()
        // 20, 40, 80, then every 100 ms: at most about 7 attempts in 500 ms.
        #expect((1...10).contains(attempts.count), "\(attempts.count) attempts in 500 ms")
    }
}
