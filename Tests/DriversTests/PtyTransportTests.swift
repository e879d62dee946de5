import Drivers
import HardwareSim
import KioskCore
import Synchronization
import Testing

@Suite("Transports over a real pty", .serialized, .timeLimit(.minutes(2)))
struct PtyTransportTests {
    /// Every byte value, including those a cooked tty would eat or translate:
    /// CR, LF, XON/XOFF, ^C, DEL and 0xFF.
    static let everyByte: [UInt8] = Array(0...255) + [0x0D, 0x0A, 0x11, 0x13, 0x03, 0x7F, 0xFF, 0x00]

    @Test("bytes go both ways exactly, in raw mode")
    func bytesBothWays() async throws {
        let folder = temporaryDirectory()
        let wire = try PtyWire(link: folder + "/device")
        let device = RecordingDevice(reply: Self.everyByte.reversed())
        try await serving(device, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            try await transport.write(Self.everyByte, timeout: .seconds(2))
            let back = try await transport.read(exactly: Self.everyByte.count, deadline: .now + .seconds(3))
            #expect(back == Array(Self.everyByte.reversed()))
            #expect(await eventually { device.bytes.count >= Self.everyByte.count })
            #expect(device.bytes == Self.everyByte)
        }
    }

    @Test("a read with nothing to read times out at its deadline")
    func readTimesOut() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        try await serving(SilentDevice(), on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let clock = ContinuousClock()
            let start = clock.now
            await #expect {
                _ = try await transport.read(maxCount: 16, deadline: .now + .milliseconds(150))
            } throws: { error in
                (error as? DeviceError)?.code == .timedOut
            }
            let waited = clock.now - start
            #expect(waited >= .milliseconds(150))
            #expect(waited < .seconds(1))
        }
    }

    @Test("a canceled read returns at once, long before its deadline")
    func cancelInterruptsRead() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        try await serving(SilentDevice(), on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let clock = ContinuousClock()
            let start = clock.now
            let read = Task { try await transport.read(maxCount: 16, deadline: .now + .seconds(30)) }
            try await Task.sleep(for: .milliseconds(50))
            read.cancel()
            let result = await read.result
            #expect(clock.now - start < .seconds(1))
            guard case .failure(let error as DeviceError) = result else {
                Issue.record("the read was not canceled: \(result)")
                return
            }
            #expect(error.code == .canceled)
        }
    }

    @Test("stale input is flushed on request")
    func flushInput() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        let device = RecordingDevice(reply: [0xAA, 0xBB, 0xCC])
        try await serving(device, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            try await transport.write([0x01], timeout: .seconds(1))
            try await Task.sleep(for: .milliseconds(100))  // the reply arrives and goes stale
            try await transport.flushInput()
            await #expect(throws: DeviceError.self) {
                _ = try await transport.read(maxCount: 8, deadline: .now + .milliseconds(100))
            }
        }
    }

    static let idle: [UInt8] = [0x10, 0x20, 0x30, 0x40]

    @Test("polling repeats the request at its interval while the answer is the idle one, and returns the first other answer")
    func pollUntilAnswerChanges() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        let device = ScriptedDevice { count in count < 5 ? Self.idle : [0x10, 0x20, 0x99, 0x98, 0x97] }
        try await serving(device, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await transport.poll(
                sending: [0x01], every: .milliseconds(30), whileAnswer: Self.idle, until: .now + .seconds(10), giveWay: { false }, replyTimeout: .seconds(1))
            let took = clock.now - start
            // The codec reads the rest: what came back is where the answers part.
            #expect(answer.map { Array($0.prefix(3)) } == [0x10, 0x20, 0x99])
            #expect(device.requests == 6)
            #expect(took >= .milliseconds(150))  // five idle answers, 30 ms apart
            #expect(took < .seconds(2))
        }
    }

    @Test("polling with only idle answers ends with nil before the next request would fall after its limit")
    func pollEndsAtItsLimit() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        let device = ScriptedDevice { _ in Self.idle }
        try await serving(device, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await transport.poll(
                sending: [0x01], every: .milliseconds(40), whileAnswer: Self.idle, until: .now + .milliseconds(300), giveWay: { false }, replyTimeout: .seconds(1))
            #expect(answer == nil)
            #expect(clock.now - start < .milliseconds(300))
            #expect((5...8).contains(device.requests))
        }
    }

    @Test("polling with only idle answers gives way with nil at the next poll once another command waits")
    func pollGivesWay() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        let device = ScriptedDevice { _ in Self.idle }
        try await serving(device, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let waiting = Atomic<Bool>(false)
            let clock = ContinuousClock()
            let start = clock.now
            let polling = Task {
                try await transport.poll(
                    sending: [0x01], every: .milliseconds(30), whileAnswer: Self.idle, until: .now + .seconds(30),
                    giveWay: { waiting.load(ordering: .relaxed) }, replyTimeout: .seconds(1))
            }
            try await Task.sleep(for: .milliseconds(200))
            let before = device.requests
            waiting.store(true, ordering: .relaxed)
            let answer = try await polling.value
            #expect(answer == nil)
            #expect(before >= 3)  // it was polling
            #expect(device.requests <= before + 1)
            #expect(clock.now - start < .seconds(5))
        }
    }

    @Test("a device unplugged between polls ends the polling at once with disconnected")
    func pollSeesHangUp() async throws {
        try await interruptedPoll(expecting: .disconnected) { wire, _ in wire.unplug() }
    }

    @Test("a canceled poll returns at once, between polls")
    func pollCanceled() async throws {
        try await interruptedPoll(expecting: .canceled) { _, polling in polling.cancel() }
    }

    /// Polls every 5 s, does `interrupt` while the polling sleeps, and expects it
    /// to end within 2 s with `code`.
    func interruptedPoll(expecting code: DeviceError.Code, _ interrupt: (PtyWire, Task<[UInt8]?, any Error>) -> Void) async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        try await serving(ScriptedDevice { _ in Self.idle }, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let clock = ContinuousClock()
            let start = clock.now
            let polling = Task {
                try await transport.poll(sending: [0x01], every: .seconds(5), whileAnswer: Self.idle, until: .now + .seconds(30), giveWay: { false }, replyTimeout: .seconds(1))
            }
            try await Task.sleep(for: .milliseconds(200))  // asleep between polls
            interrupt(wire, polling)
            let result = await polling.result
            #expect(clock.now - start < .seconds(2))
            guard case .failure(let error as DeviceError) = result else {
                Issue.record("the polling did not end with \(code): \(result)")
                return
            }
            #expect(error.code == code)
        }
    }

    @Test("a second owner of the same port is refused with a clear message")
    func oneOwner() async throws {
        let wire = try PtyWire(link: temporaryDirectory() + "/device")
        try await serving(SilentDevice(), on: wire) {
            let port = try DevicePort(parsing: wire.portString)
            let first = try await Transports.open(port)
            defer { first.close() }
            do {
                _ = try await Transports.open(port)
                Issue.record("a second open succeeded")
            } catch let error as DeviceError {
                #expect(error.code == .busy)
                #expect(error.message.contains("in use by another program"))
            }
        }
    }

    @Test("a port with nothing behind it says so")
    func missingPort() async throws {
        let path = temporaryDirectory() + "/nothing-here"
        do {
            _ = try await Transports.open(DevicePort(parsing: "serial:\(path)"))
            Issue.record("opening a missing port succeeded")
        } catch let error as DeviceError {
            #expect(error.code == .noDevice)
            #expect(error.message == "nothing is attached at \(path): check that the device is plugged in and switched on")
        }
    }

    @Test("a file that is not a tty is refused as not a serial device")
    func notATTY() async throws {
        let path = temporaryDirectory() + "/plain-file"
        FileManagerShim.write(path)
        do {
            _ = try await Transports.open(DevicePort(parsing: "serial:\(path)"))
            Issue.record("a plain file opened as a serial port")
        } catch let error as DeviceError {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("is not a serial device"))
        }
    }
}

import Foundation
import Synchronization

/// Answers the n-th request (counting from 0) with `answer(n)`.
final class ScriptedDevice: SimulatedDevice {
    private let count = Mutex(0)
    private let answer: @Sendable (Int) -> [UInt8]

    init(answer: @escaping @Sendable (Int) -> [UInt8]) { self.answer = answer }

    var requests: Int { count.withLock { $0 } }

    func received(_ bytes: [UInt8], from host: HostLink) async {
        for _ in bytes {
            let reply = answer(count.withLock { count in
                defer { count += 1 }
                return count
            })
            await host.send(reply)
        }
    }
}

enum FileManagerShim {
    static func write(_ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data("not a tty".utf8))
    }
}
