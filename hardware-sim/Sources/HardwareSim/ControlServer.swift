import SystemIO
import Synchronization

/// A line-oriented control socket for a running simulator: a maintainer or a
/// test writes one command per line and reads one reply line back.
///
/// Every wire understands `unplug`, `replug`, `fault SPEC` (see
/// ``WireFault/init(parsing:)``), `clear` and `faults`; a device simulator adds
/// its own commands (`card put FILE`, `paper out`) through `deviceCommands`,
/// which also sees `clear` and `faults`, for the device's own faults.
///
/// ```
/// $ echo unplug | socat - UNIX-CONNECT:var/sim/idcard.control
/// ok: unplugged
/// ```
public final class ControlServer: Sendable {
    /// Handles a command the wire does not know; returns the reply line, or nil for "unknown".
    public typealias DeviceCommands = @Sendable ([Substring]) async -> String?

    private let socket: UnixListeningSocket
    private let wire: any DeviceWire
    private let deviceCommands: DeviceCommands
    private let stopped = Mutex(false)

    /// Listens at `path` for commands to `wire` and its device.
    public init(path: String, wire: any DeviceWire, deviceCommands: @escaping DeviceCommands = { _ in nil }) throws(IOFailure) {
        socket = try UnixListeningSocket(path: path)
        self.wire = wire
        self.deviceCommands = deviceCommands
    }

    /// The socket's path.
    public var path: String { socket.path }

    /// Accepts clients until ``stop()``.
    public func serve() async {
        while !stopped.withLock({ $0 }), !Task.isCancelled {
            let accepted = try? await onIOThread { [socket] in try socket.accept(deadline: .now + .milliseconds(200)) }
            guard let fd = accepted ?? nil, let client = try? PollingDescriptor(fd: fd, isSocket: true, label: "hardware-sim control") else { continue }
            Task { await self.converse(client) }
        }
        socket.close()
    }

    /// The reply to `faults`: what is armed, or `none`; device simulators answer it the same way.
    public static func faultsReply(_ armed: [String]) -> String {
        "ok: " + (armed.isEmpty ? "none" : armed.joined(separator: ", "))
    }

    /// Stops accepting clients and removes the socket.
    public func stop() { stopped.withLock { $0 = true } }

    private func converse(_ client: PollingDescriptor) async {
        defer { client.close() }
        var pending: [UInt8] = []
        while !stopped.withLock({ $0 }) {
            guard let bytes = try? await client.read(maxCount: 1024, deadline: .now + .seconds(60)) else { return }
            pending += bytes
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                let reply = await execute(line)
                guard (try? await client.write(Array((reply + "\n").utf8), deadline: .now + .seconds(5))) != nil else { return }
            }
        }
    }

    /// Runs one command line and returns the reply line (`ok: …` or `error: …`).
    public func execute(_ line: String) async -> String {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let verb = words.first else { return "error: empty command" }
        switch verb {
        case "unplug":
            wire.unplug()
            return "ok: unplugged"
        case "replug":
            do {
                try wire.replug()
                return "ok: plugged in at \(wire.portString)"
            } catch {
                return "error: cannot replug: \(error)"
            }
        case "fault":
            guard let fault = WireFault(parsing: Array(words.dropFirst())) else {
                return "error: unknown fault; use fragment N [GAP], delay DURATION, garbage HEX, corrupt, silent or vanish"
            }
            wire.faults.arm(fault)
            return "ok: armed \(fault)"
        case "clear":
            wire.faults.clear()
            // And the device's own: a scanner's jam, the platform's failing answers.
            _ = await deviceCommands(words)
            return "ok: faults cleared"
        case "faults":
            // The wire's, and the device's own if it keeps any.
            var armed = wire.faults.current.map(\.description)
            if let reply = await deviceCommands(words), reply.hasPrefix("ok: "), reply != Self.faultsReply([]) { armed.append(String(reply.dropFirst(4))) }
            return Self.faultsReply(armed)
        default:
            if let reply = await deviceCommands(words) { return reply }
            return "error: unknown command \"\(verb)\"; wires take unplug, replug, fault, clear, faults"
        }
    }
}

/// A stand-in wire for simulators that are not on a byte wire (the eSCL
/// scanner is an HTTP server): the wire commands say so.
public struct NoWire: DeviceWire {
    public let faults = FaultInjector()
    public init() {}
    public var portString: String { "none" }
    public func serve(_ device: any SimulatedDevice) async {}
    public func unplug() {}
    public func replug() throws { throw SimulatorError("this simulator is not on a wire: use its own commands") }
    public func stop() {}
}

/// The other end of a ``ControlServer``: one command line, one reply line.
public enum ControlClient {
    /// Sends `line` to the control socket at `path` and returns the reply
    /// (`ok: …` or `error: …`), trimmed.
    public static func send(_ line: String, to path: String) async throws -> String {
        let channel = try PollingDescriptor(fd: try connectUnix(path: path), isSocket: true, label: "control client")
        defer { channel.close() }
        try await channel.write(Array((line + "\n").utf8), deadline: .now + .seconds(5))
        var reply: [UInt8] = []
        while !reply.contains(0x0A) { reply += try await channel.read(maxCount: 1024, deadline: .now + .seconds(10)) }
        return String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
