import ArgumentParser
import Dispatch
import Foundation
import HardwareSim
import SystemIO

@main
enum HardwareSimMain {
    static func main() async {
        ExitWithoutDestructors.install()
        await HardwareSimCommand.main()
    }
}

/// The simulators, each at the far end of a real wire.
struct HardwareSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardware-sim",
        abstract: "Simulated station devices that speak their real wire protocols over a pty or TCP.",
        discussion: "Each simulator sits behind a pseudo-terminal (a driver opens it as serial:LINK) or a TCP listener (tcp:HOST:PORT), and takes commands on a control socket to unplug, replug and inject faults. See docs/hardware-sim.md.",
        subcommands: [Station.self, IDCard.self, Printer.self, Scanner.self, Platform.self, Echo.self, Control.self, ResidentsCommand.self])
}

/// Simulated residents playing whole visits through a kiosk's local API.
struct ResidentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "residents",
        abstract: "Play whole visits at a running kiosk, as residents would: card, item, form, scans, submit, receipt, rating.",
        discussion: """
            Through the local API the touchscreen uses (docs/local-api.md), with the ID-card reader and the scanner \
            driven through their simulators' control sockets (--simulators, `hardware-sim station --dir`). Some residents \
            walk away part-way, some let the kiosk time out, some come with an agent (--agent-card and --agent-pin, the \
            agent registered in kioskd's agents file). Prints each receipt's tracking number and a summary; exits 1 when a \
            visit could not go on. One kiosk serves one resident at a time: --concurrency N needs N kiosks (--kiosk and \
            --simulators once each).
            """)

    @Option(help: "A kiosk's local API (default http://127.0.0.1:8080; repeat for several kiosks).") var kiosk: [String] = []
    @Option(help: "Its simulators' folder (default var/sim), in the same order as --kiosk.") var simulators: [String] = []
    @Option(name: .customLong("screen-key"), help: "The file kioskd writes its screen key to (default: beside the simulators' folder, STATE_DIR/screen-key), in the same order as --kiosk.")
    var screenKey: [String] = []
    @Option(help: "Visits in all.") var count = 10
    @Option(help: "Residents at once (at most one per kiosk).") var concurrency = 1
    @Option(help: "Seed: the same seed plays the same residents.") var seed: UInt64 = 1
    @Option(name: .customLong("agent-card"), help: "An agent's card profile (registered in kioskd's agents file).") var agentCard: String?
    @Option(name: .customLong("agent-pin"), help: "That agent's PIN.") var agentPIN: String?
    @Option(name: .customLong("abandon-percent"), help: "Visits that walk away part-way.") var abandonPercent = 15
    @Option(name: .customLong("timeout-percent"), help: "Visits that stop touching and let the kiosk time out.") var timeoutPercent = 5
    @Option(name: .customLong("agent-percent"), help: "Visits that come with the agent.") var agentPercent = 15
    @Option(name: .customLong("incomplete-percent"), help: "Visits that forget a paper (the kiosk books a day to bring it).") var incompletePercent = 5
    @Option(name: .customLong("idle-timeout"), help: "Seconds a timing-out visit waits for the kiosk to wipe it (above kioskd's session.idle_timeout_seconds).") var idleTimeout: Double = 150

    func validate() throws {
        let kiosks = kiosk.isEmpty ? 1 : kiosk.count
        guard simulators.isEmpty || simulators.count == kiosks else { throw ValidationError("give --simulators once per --kiosk, in the same order") }
        guard screenKey.isEmpty || screenKey.count == kiosks else { throw ValidationError("give --screen-key once per --kiosk, in the same order") }
        guard concurrency >= 1, concurrency <= kiosks else {
            throw ValidationError("one kiosk serves one resident at a time: --concurrency \(concurrency) needs \(concurrency) kiosks (--kiosk and --simulators once each)")
        }
        guard (agentCard == nil) == (agentPIN == nil) else { throw ValidationError("--agent-card and --agent-pin go together") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let kiosks = kiosk.isEmpty ? ["http://127.0.0.1:8080"] : kiosk
        let folders = simulators.isEmpty ? ["var/sim"] : simulators
        let started = Date()
        let visits = await withTaskGroup(of: [Residents.Visit].self) { group in
            for lane in 0..<concurrency {
                var options = Residents.Options(kiosk: kiosks[lane], simulators: folders[lane])
                options.screenKeyFile = screenKey.isEmpty ? URL(fileURLWithPath: folders[lane]).deletingLastPathComponent().appendingPathComponent("screen-key").path : screenKey[lane]
                options.count = count / concurrency + (lane < count % concurrency ? 1 : 0)
                options.seed = seed &+ UInt64(lane)
                options.agent = agentCard.map { ($0, agentPIN ?? "") }
                options.abandonPercent = abandonPercent
                options.timeoutPercent = timeoutPercent
                options.agentPercent = agentPercent
                options.incompletePercent = incompletePercent
                options.idleTimeout = idleTimeout
                let prefix = concurrency > 1 ? "[\(lane + 1)] " : ""
                options.report = { visit in print(prefix + Self.line(visit)) }
                guard options.count > 0 else { continue }
                group.addTask { await Residents(options).run() }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let submitted = visits.compactMap { if case .submitted(let number) = $0.outcome { number } else { nil } }
        func tally(_ test: (Residents.Visit.Outcome) -> Bool) -> Int { visits.filter { test($0.outcome) }.count }
        let failed = tally { if case .failed = $0 { true } else { false } }
        print(String(format: "residents: %d visits in %.0f s: %d submitted, %d booked a day, %d walked away, %d timed out, %d failed; %d with an agent",
                     visits.count, Date().timeIntervalSince(started), submitted.count, tally { $0 == .booked },
                     tally { if case .abandoned = $0 { true } else { false } }, tally { if case .timedOut = $0 { true } else { false } },
                     failed, visits.filter(\.byAgent).count))
        if failed > 0 { throw ExitCode.failure }
    }

    static func line(_ visit: Residents.Visit) -> String {
        let who = visit.byAgent ? "agent for resident" : "resident"
        let what = visit.service ?? "—"
        let seconds = String(format: "%.1f s", visit.seconds)
        switch visit.outcome {
        case .submitted(let number): return "visit \(visit.number): \(who), \(what): submitted, receipt \(number) (\(seconds))"
        case .booked: return "visit \(visit.number): \(who), \(what): materials missing, booked a day to bring them (\(seconds))"
        case .abandoned(let screen): return "visit \(visit.number): \(who), \(what): walked away at \(screen) (\(seconds))"
        case .timedOut(let screen): return "visit \(visit.number): \(who), \(what): left at \(screen), the kiosk timed out (\(seconds))"
        case .failed(let reason): return "visit \(visit.number): \(who), \(what): FAILED: \(reason) (\(seconds))"
        }
    }
}

/// Where a simulator sits: `pty` (with --link) or `tcp:HOST:PORT`.
struct WireOptions: ParsableArguments {
    @Option(help: "pty, or tcp:HOST:PORT.") var port: String = "pty"
    @Option(help: "For a pty: the path of the symlink drivers open.") var link: String?
    @Option(help: "Path of the control socket (default: LINK.control, or none for tcp).") var control: String?

    func makeWire(bitsPerSecond: Int? = nil) throws -> any DeviceWire {
        if port == "pty" {
            guard let link else { throw ValidationError("--port pty needs --link PATH: the path drivers open") }
            return try PtyWire(link: link, bitsPerSecond: bitsPerSecond)
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
func serveUntilSignaled(_ wires: [(any DeviceWire, any SimulatedDevice, ControlServer?)], servers: [@Sendable () async -> Void] = [], stop: @escaping @Sendable () -> Void = {}) async {
    var tasks = servers
    for (wire, device, control) in wires {
        tasks.append { await wire.serve(device) }
        if let control { tasks.append { await control.serve() } }
    }
    await serveUntilSignaled(servers: tasks) {
        for (wire, _, control) in wires {
            wire.stop()
            control?.stop()
        }
        stop()
    }
}

/// Runs `servers` until SIGINT or SIGTERM, then calls `stop`.
func serveUntilSignaled(servers: [@Sendable () async -> Void], stop: @escaping @Sendable () -> Void) async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let (signals, signalled) = AsyncStream.makeStream(of: Int32.self)
    let sources = [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())  // not .main: an async main need not drain it
        source.setEventHandler { signalled.yield(number) }
        source.resume()
        return source
    }
    // The sources must outlive the wait: released early (an optimised build may, after their last
    // use), they stop listening, and with the signals ignored nothing would end the simulator.
    defer { withExtendedLifetime(sources) {} }
    await withTaskGroup(of: Void.self) { group in
        for server in servers { group.addTask { await server() } }
        for await _ in signals { break }
        stop()
        group.cancelAll()
        // A connection a client keeps open can hold its server's task; a simulator
        // that outlives Ctrl-C by more than a moment is worse than one that is cut short.
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 3)
            exit(0)
        }
    }
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
    @Option(help: "Folder of ID-card profiles.") var cards = defaultCardsDirectory()
    @Option(name: .customLong("scanner-listen"), help: "HOST:PORT of the simulated eSCL scanner.") var scannerListen = "127.0.0.1:8090"
    @Option(name: .customLong("platform-listen"), help: "HOST:PORT of the simulated provincial platform.") var platformListen = "127.0.0.1:8091"

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard let colon = scannerListen.lastIndex(of: ":"), let scannerPort = UInt16(scannerListen[scannerListen.index(after: colon)...]) else {
            throw ValidationError("--scanner-listen must be HOST:PORT")
        }
        let (platformHost, platformPort) = try hostAndPort(platformListen, option: "--platform-listen")
        let platform = try PlatformSimulator(
            privateKey: try PlatformSimulator.keyPair(privateKeyPath: dir + "/platform-key.pem", publicKeyPath: dir + "/platform-public.pem"),
            outputDirectory: dir + "/platform", host: platformHost, port: platformPort)
        try platform.start()
        let platformControl = try ControlServer(path: "\(dir)/platform.control", wire: NoWire(), deviceCommands: platform.control)
        let scanner = try ESCLScannerSimulator(pages: try PageDescription.loadAll(from: defaultPagesDirectory()))
        let scannerServer = try HTTPServer(host: String(scannerListen[..<colon]), port: scannerPort) { await scanner.handle($0) }
        let scannerControl = try ControlServer(path: "\(dir)/scanner.control", wire: NoWire(), deviceCommands: scanner.control)
        let readerWire = try PtyWire(link: dir + "/idcard", bitsPerSecond: 115_200)
        let reader = IDCardSimulator(cardsDirectory: cards)
        let readerControl = try ControlServer(path: "\(dir)/idcard_reader.control", wire: readerWire, deviceCommands: reader.control)
        let printerWire = try TCPWire(host: "127.0.0.1", port: printerPort)
        let printer = try ReceiptPrinterSimulator(dotsPerLine: 576, outputDirectory: dir + "/receipts")
        printer.onVanish { printerWire.unplug() }
        let printerControl = try ControlServer(path: "\(dir)/receipt_printer.control", wire: printerWire, deviceCommands: printer.control)
        print("idcard_reader: \(readerWire.portString) (GA 467 at 115200 baud)  control: \(readerControl.path)")
        print("  place a card: hardware-sim control --socket \(readerControl.path) card put wang-jianguo   (cards in \(cards))")
        print("receipt_printer: \(printerWire.portString) (ESC/POS, 80 mm)  control: \(printerControl.path)  receipts: \(dir)/receipts")
        print("scanner: eSCL at http://\(scannerListen)/eSCL (3 pages in the feeder)  control: \(scannerControl.path)")
        print("platform: \(platform.url) (public key \(dir)/platform-public.pem)  control: \(platformControl.path)  received: \(dir)/platform")
        let running: [(any DeviceWire, any SimulatedDevice, ControlServer?)] = [
            (readerWire, reader, readerControl), (printerWire, printer, printerControl),
        ]
        print("hardware-sim station running; Ctrl-C stops it")
        await serveUntilSignaled(running, servers: [{ await scannerServer.serve() }, { await scannerControl.serve() }, { await platformControl.serve() }]) {
            scannerServer.stop()
            scannerControl.stop()
            platform.stop()
            platformControl.stop()
        }
    }
}

/// `hardware-sim/cards` under the working directory, or next to the binary's checkout.
func defaultCardsDirectory() -> String {
    let local = FileManager.default.currentDirectoryPath + "/hardware-sim/cards"
    if FileManager.default.fileExists(atPath: local) { return local }
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = executable.deletingLastPathComponent()
    for _ in 0..<5 {
        let candidate = folder.appendingPathComponent("hardware-sim/cards").path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return local
}

struct IDCard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idcard",
        abstract: "A GA 467 (SAM-V) second-generation ID-card reader.",
        discussion: "Control commands: card put NAME|FILE, card remove, card swap NAME|FILE [mid-read], card, sam fault CODE, sam ok, plus the wire's (unplug, replug, fault SPEC, clear).")

    @OptionGroup var wire: WireOptions
    @Option(help: "A card to place at start: a profile name in --cards or a JSON file.") var card: String?
    @Option(help: "Folder of card profiles.") var cards = defaultCardsDirectory()
    @Option(help: "Pace replies like a UART at this baud rate (0: as fast as the pty goes).") var baud = 115_200

    func run() async throws {
        let endpoint = try wire.makeWire(bitsPerSecond: baud > 0 ? baud : nil)
        let simulator = IDCardSimulator(cardsDirectory: cards, card: try card.map { try CardProfile.load($0, cardsDirectory: cards) })
        let control = try wire.controlPath.map { try ControlServer(path: $0, wire: endpoint, deviceCommands: simulator.control) }
        print("idcard: \(endpoint.portString)" + (control.map { "  control: \($0.path)" } ?? "") + (card.map { "  card: \($0)" } ?? "  no card on the reader"))
        await serveUntilSignaled([(endpoint, simulator, control)])
    }
}

struct Printer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An ESC/POS thermal receipt printer that saves each receipt as PNG and text.",
        discussion: "Control commands: paper out [after N], paper low, paper ok, cover open, cover close, cutter jam, cutter ok, status silent, status ok, vanish after N, receipts; plus the wire's.")

    @OptionGroup var wire: WireOptions
    @Option(help: "Folder for the printed receipts (receipt-NNNN.png and .txt).") var out = "var/sim/receipts"
    @Option(help: "Printable dots per line: 384 (58 mm) or 576 (80 mm).") var dots = 576

    func run() async throws {
        let endpoint = try wire.makeWire()
        let printer = try ReceiptPrinterSimulator(dotsPerLine: dots, outputDirectory: out)
        printer.onVanish { endpoint.unplug() }
        let control = try wire.controlPath.map { try ControlServer(path: $0, wire: endpoint, deviceCommands: printer.control) }
        print("printer: \(endpoint.portString), \(dots) dots  receipts: \(out)" + (control.map { "  control: \($0.path)" } ?? ""))
        await serveUntilSignaled([(endpoint, printer, control)])
    }
}

/// `hardware-sim/pages` under the working directory, or next to the binary's checkout.
func defaultPagesDirectory() -> String {
    (defaultCardsDirectory() as NSString).deletingLastPathComponent + "/pages"
}

struct Scanner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A network document scanner speaking eSCL (AirScan); sane-airscan drives it through libsane.",
        discussion: "Control commands: feeder load N, feeder empty, jam at N, cover open, cover close, slow MS, abort next, drop next, clear, status.")

    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:8090"
    @Option(help: "Folder of page descriptions.") var pages = defaultPagesDirectory()
    @Option(help: "Path of the control socket.") var control: String?
    @Option(help: "Pages in the feeder at start.") var feeder = 3

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8090")
        }
        let scanner = try ESCLScannerSimulator(pages: try PageDescription.loadAll(from: pages))
        scanner.loadFeeder(feeder)
        let server = try HTTPServer(host: String(listen[..<colon]), port: port) { await scanner.handle($0) }
        let controlServer = try control.map { path in try ControlServer(path: path, wire: NoWire(), deviceCommands: scanner.control) }
        print("scanner: eSCL at http://\(listen)/eSCL, \(feeder) pages in the feeder" + (controlServer.map { "  control: \($0.path)" } ?? ""))
        await serveUntilSignaled(servers: [{ await server.serve() }, { await controlServer?.serve() }], stop: {
            server.stop()
            controlServer?.stop()
        })
    }
}

/// Splits `HOST:PORT`.
func hostAndPort(_ text: String, option: String) throws -> (String, UInt16) {
    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
        throw ValidationError("\(option) must be HOST:PORT, e.g. 127.0.0.1:8091")
    }
    return (String(text[..<colon]), port)
}

struct Platform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The provincial platform's API (docs/platform-api.yaml): opens sealed applications with its private key and keeps them.",
        discussion: """
            Accepted applications land in DIR/<tracking number>/ (payload.json, attachment-N).
            Control commands: refuse, accept, fail P 500|503 [RETRY-AFTER], throttle P [RETRY-AFTER],
            reset P, drop-after-commit P, garbage P, slow MS, clear, status TRACKING STATUS [DETAIL], stats
            (P is a percentage of requests); with --tls also tls impostor, tls genuine.
            """)

    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:8091"
    @Option(help: "Folder for the applications it accepts.") var dir = "var/sim/platform"
    @Option(help: "The platform's private key (PEM); created when missing.") var key = "var/sim/platform-key.pem"
    @Option(name: .customLong("public-key-out"), help: "Where to write the public key kioskd seals to (platform.public_key).") var publicKeyOut = "var/sim/platform-public.pem"
    @Option(help: "Path of the control socket.") var control: String?
    @Option(help: "Seed for the fault dice, so a run can be repeated.") var seed: UInt64 = 1
    @Option(help: "Serve HTTPS with mTLS from this folder (server.pem, server-key.pem, ca.pem for client certificates, impostor.pem): scripts/make-test-pki.sh makes one.")
    var tls: String?

    func run() async throws {
        let (host, port) = try hostAndPort(listen, option: "--listen")
        let platform = try PlatformSimulator(
            privateKey: try PlatformSimulator.keyPair(privateKeyPath: key, publicKeyPath: publicKeyOut),
            outputDirectory: dir, host: host, port: port, seed: seed, tls: tls.map(HTTPServer.TLSFiles.init(directory:)))
        try platform.start()
        let controlServer = try control.map { path in try ControlServer(path: path, wire: NoWire(), deviceCommands: platform.control) }
        print("platform: \(platform.url)  public key: \(publicKeyOut)  received: \(dir)" + (controlServer.map { "  control: \($0.path)" } ?? ""))
        await serveUntilSignaled(servers: [{ await controlServer?.serve() }], stop: {
            platform.stop()
            controlServer?.stop()
        })
    }
}

struct Control: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one command to a running simulator's control socket and print the reply.",
        discussion: "Wires take: unplug, replug, fault SPEC (fragment N [GAP], delay 200ms, garbage HEX, corrupt, silent, vanish), clear, faults.")

    @Option(help: "The control socket.") var socket: String
    @Argument(parsing: .remaining, help: "The command words.") var command: [String]

    func run() async throws {
        let text: String
        do {
            text = try await ControlClient.send(command.joined(separator: " "), to: socket)
        } catch let error as IOFailure {
            let reason = if case .system(_, let text) = error { text } else { "\(error)" }
            FileHandle.standardError.write(Data("hardware-sim: \(reason): is the simulator running, and is this its control socket?\n".utf8))
            throw ExitCode.failure
        }
        print(text)
        if text.hasPrefix("error") { throw ExitCode.failure }
    }
}
