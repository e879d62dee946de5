import ArgumentParser
import Dispatch
import Foundation
import HardwareSim
import SystemIO

/// The simulators, each at the far end of a real wire.
@main
struct HardwareSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardware-sim",
        abstract: "Simulated station devices that speak their real wire protocols over a pty or TCP.",
        discussion: """
            Each simulator sits behind a pseudo-terminal (a driver opens it as serial:LINK) or a
            TCP listener (tcp:HOST:PORT), and takes commands on a control socket to unplug,
            replug and inject faults. Device simulators (ID-card reader, receipt printer,
            scanner, platform) join this list as their drivers land.
            """,
        subcommands: [Station.self, Echo.self, Control.self])
}

/// Where a simulator sits: `pty` (with --link) or `tcp:HOST:PORT`.
struct WireOptions: ParsableArguments {
    @Option(help: "pty, or tcp:HOST:PORT.") var port: String = "pty"
    @Option(help: "For a pty: the path of the symlink drivers open.") var link: String?
    @Option(help: "Path of the control socket (default: LINK.control, or none for tcp).") var control: String?

    func makeWire() throws -> any DeviceWire {
        if port == "pty" {
            guard let link else { throw ValidationError("--port pty needs --link PATH: the path drivers open") }
            return try PtyWire(link: link)
        }
        guard port.hasPrefix("tcp:"), let colon = port.lastIndex(of: ":"), let number = UInt16(port[port.index(after: colon)...]) else {
            throw ValidationError("--port must be pty or tcp:HOST:PORT, e.g. tcp:127.0.0.1:9100")
        }
        let host = String(port.dropFirst(4)[..<colon])
        return try TCPWire(host: host, port: number)
    }

    var controlPath: String? { control ?? link.map { $0 + ".control" } }
}

/// Runs wires until SIGINT or SIGTERM, then unplugs them so no stale link is left.
func serveUntilSignaled(_ wires: [(any DeviceWire, any SimulatedDevice, ControlServer?)]) async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let (signals, signalled) = AsyncStream.makeStream(of: Int32.self)
    let sources = [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
        source.setEventHandler { signalled.yield(number) }
        source.resume()
        return source
    }
    await withTaskGroup(of: Void.self) { group in
        for (wire, device, control) in wires {
            group.addTask { await wire.serve(device) }
            if let control { group.addTask { await control.serve() } }
        }
        for await _ in signals { break }
        for (wire, _, control) in wires {
            wire.stop()
            control?.stop()
        }
        group.cancelAll()
    }
    _ = sources
}

struct Echo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A loopback plug: sends back every byte. Tests a cable, a port string or a transport.")

    @OptionGroup var wire: WireOptions

    func run() async throws {
        let endpoint = try wire.makeWire()
        let control = try wire.controlPath.map { try ControlServer(path: $0, wire: endpoint) }
        print("echo: \(endpoint.portString)" + (control.map { "  control: \($0.path)" } ?? ""))
        await serveUntilSignaled([(endpoint, EchoDevice(), control)])
    }
}

struct Station: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every simulated device of a station, at the ports kioskd's default configuration uses.",
        discussion: """
            `make demo` runs this next to kioskd. Each device gets a control socket under --dir.
            A device whose protocol simulator has not landed yet holds its port without answering,
            so kioskd still sees it come and go.
            """)

    @Option(help: "Folder for pty links and control sockets (kioskd's STATE_DIR/sim).") var dir = "var/sim"
    @Option(name: .customLong("printer-port"), help: "TCP port of the simulated receipt printer.") var printerPort: UInt16 = 9100

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let reader = try PtyWire(link: dir + "/idcard")
        let printer = try TCPWire(host: "127.0.0.1", port: printerPort)
        let devices: [(String, any DeviceWire, any SimulatedDevice, String)] = [
            ("idcard_reader", reader, SilentDevice(), "port only: the GA 467 simulator arrives with the ID-card issue"),
            ("receipt_printer", printer, SilentDevice(), "port only: the ESC/POS simulator arrives with the printing issue"),
        ]
        var running: [(any DeviceWire, any SimulatedDevice, ControlServer?)] = []
        for (name, wire, device, note) in devices {
            let control = try ControlServer(path: "\(dir)/\(name).control", wire: wire)
            print("\(name): \(wire.portString)  control: \(control.path)  (\(note))")
            running.append((wire, device, control))
        }
        print("hardware-sim station running; Ctrl-C stops it")
        await serveUntilSignaled(running)
    }
}

struct Control: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one command to a running simulator's control socket and print the reply.",
        discussion: "Wires take: unplug, replug, fault SPEC (fragment N [GAP], delay 200ms, garbage HEX, corrupt, silent, vanish), clear, faults.")

    @Option(help: "The control socket.") var socket: String
    @Argument(parsing: .remaining, help: "The command words.") var command: [String]

    func run() async throws {
        let fd: Int32
        do {
            fd = try connectUnix(path: socket)
        } catch {
            throw ValidationError("cannot reach \(socket): is the simulator running? (\(error))")
        }
        let channel = try PollingDescriptor(fd: fd, isSocket: true, label: "control client")
        defer { channel.close() }
        try await channel.write(Array((command.joined(separator: " ") + "\n").utf8), deadline: .now + .seconds(5))
        var reply: [UInt8] = []
        while !reply.contains(0x0A) {
            reply += try await channel.read(maxCount: 1024, deadline: .now + .seconds(10))
        }
        let text = String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        print(text)
        if text.hasPrefix("error") { throw ExitCode.failure }
    }
}
