import Drivers
import HardwareSim
import KioskCore
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

enum FileManagerShim {
    static func write(_ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data("not a tty".utf8))
    }
}
