import ArgumentParser
import Foundation
import KioskCore
import KioskDaemon
import SystemIO

/// Where the running kioskd listens for kioskctl.
struct AdminSocketOption: ParsableArguments {
    @Option(name: .long, help: "kioskd's admin socket (default: $KIOSKD_ADMIN_SOCKET, /run/kioskd/admin.sock if it exists, else var/admin.sock).")
    var socket: String?

    @Flag(help: "Print JSON.") var json = false

    var path: String {
        if let socket { return socket }
        if let set = ProcessInfo.processInfo.environment["KIOSKD_ADMIN_SOCKET"], !set.isEmpty { return set }
        return FileManager.default.fileExists(atPath: "/run/kioskd/admin.sock") ? "/run/kioskd/admin.sock" : "var/admin.sock"
    }

    /// Sends one request and hands each answer line to `line` until the last;
    /// returns the last line (`"end": true`, `"ok"`, maybe `"error"`).
    func exchange(_ request: [String: Any], line: ([String: Any]) throws -> Void) throws -> [String: Any] {
        let fd: Int32
        do {
            fd = try connectUnix(path: path)
        } catch {
            throw ExitCode.fail(Self.explain(error, path: path))
        }
        defer { close(fd) }
        var data = try JSONSerialization.data(withJSONObject: request)
        data.append(UInt8(ascii: "\n"))
        let sent = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard sent == data.count else { throw ExitCode.fail("kioskctl: the request could not be sent to kioskd on \(path): \(String(cString: strerror(errno)))") }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw ExitCode.fail("kioskctl: kioskd closed the admin socket before answering in full (did it stop? `systemctl status kioskd`)") }
            pending += buffer[0..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let object = (try? JSONSerialization.jsonObject(with: Data(pending[..<newline]))) as? [String: Any] ?? [:]
                pending.removeSubrange(...newline)
                if object["end"] as? Bool == true { return object }
                try line(object)
            }
        }
    }

    /// A failed connection in words a maintainer can act on.
    static func explain(_ error: IOFailure, path: String) -> String {
        guard case .system(let code, _) = error else { return "kioskctl: cannot reach kioskd on \(path): \(error)" }
        switch code {
        case EACCES, EPERM:
            return "kioskctl: permission denied on \(path): the admin socket is for its owner and the group named in admin.group. Run kioskctl with sudo, or as a member of that group"
        case ENOENT, ECONNREFUSED:
            return "kioskctl: kioskd is not running, or not with this admin socket (\(path)): start it (`systemctl start kioskd` or `make demo`), or pass --socket"
        default:
            return "kioskctl: cannot reach kioskd on \(path): \(String(cString: strerror(code)))"
        }
    }

    /// Sends a request whose answer is one object under `key`; prints JSON or hands it on.
    func single(_ command: String, key: String) throws -> Any {
        var answer: Any?
        let end = try exchange(["command": command]) { answer = $0[key] ?? answer }
        guard end["ok"] as? Bool == true, let answer else { throw ExitCode.fail("kioskctl: \(end["error"] as? String ?? "kioskd gave no \(key)")") }
        return answer
    }
}

extension ExitCode {
    /// Prints `message` to standard error and exits 1.
    static func fail(_ message: String) -> ExitCode {
        complain(message)
        return .failure
    }
}

func printJSONObject(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Whether standard output is a terminal (progress bars) or a pipe (plain lines).
let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "kioskd at a glance: version, uptime, catalogue, link, each device, the queue.")
    @OptionGroup var admin: AdminSocketOption

    func run() throws {
        let status = try admin.single("status", key: "status")
        if admin.json { return try printJSONObject(status) }
        guard let status = status as? [String: Any] else { return }
        let link = status["link"] as? [String: Any] ?? [:]
        print("kioskd \(status["version"] ?? "?")  up \(ageText(seconds: Double(status["uptime_seconds"] as? Int ?? 0)))  health: \(status["health"] ?? "?")")
        print("station:   \(status["station"] ?? "?")")
        print("catalogue: \(status["catalogue_version"] ?? "?")")
        print("screen:    \(status["screen"] ?? "?")")
        if let waited = status["staff_called_seconds"] as? Int {
            print("STAFF CALLED: someone at the kiosk has waited \(ageText(seconds: Double(waited))) for staff (呼叫工作人员)")
        }
        for locked in status["agents_locked"] as? [[String: Any]] ?? [] {
            print("AGENT LOCKED: \(locked["agent"] ?? "?") after wrong PINs, for \(ageText(seconds: Double(locked["seconds_left"] as? Int ?? 0))) more (each lock in a row lasts twice the last)")
        }
        print("platform:  \(link["url"] ?? "?") — " + ((link["up"] as? Bool) == true ? "online" : "offline: \(link["problem"] as? String ?? "not reached yet")"))
        if let beat = status["last_heartbeat"] as? [String: Any] {
            print("heartbeat: \(beat["at"] ?? "") " + ((beat["sent"] as? Bool) == true ? "sent" : "not sent: \(beat["problem"] as? String ?? "")"))
        }
        if let queue = status["queue"] as? [String: Any] {
            var text = "queue:     \(queue["queued"] ?? 0) queued, \(queue["acknowledged"] ?? 0) acknowledged, \(queue["dead_letters"] ?? 0) dead letters"
            if let oldest = queue["oldest_queued_seconds"] as? Double { text += ", oldest \(ageText(seconds: oldest))" }
            print(text)
            if let error = queue["last_error"] as? String { print("           last error: \(error)") }
        }
        print("")
        let rows = (status["components"] as? [[String: Any]] ?? []).map { [$0["name"] as? String ?? "", $0["status"] as? String ?? "", $0["detail"] as? String ?? ""] }
        printTable(header: ["COMPONENT", "STATUS", "DETAIL"], rows: rows)
    }
}

struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "kioskd's devices: model, port, status, last error, last health check.",
        discussion: """
            With --attached (or --usb, --serial, --cups, --sane), lists what this machine sees instead, without kioskd.
            With --probe, asks each serial port and USB printer or vendor interface (and each --port) a harmless question \
            in GA 467 and ESC/POS and lists what answered; --write-config writes the ID-card reader's and the receipt \
            printer's ports into the configuration. Stop kioskd first: it holds the ports.
            """)
    @OptionGroup var admin: AdminSocketOption
    @Flag(help: "List devices attached to this machine instead (USB, serial ports, CUPS queues, SANE scanners).") var attached = false
    @Flag(help: "With --attached: USB devices.") var usb = false
    @Flag(help: "With --attached: serial ports.") var serial = false
    @Flag(help: "With --attached: CUPS print queues.") var cups = false
    @Flag(help: "With --attached: SANE scanners.") var sane = false
    @Flag(help: "Find the station's devices by what they answer (GA 467 reader, ESC/POS printer).") var probe = false
    @Option(name: .customLong("port"), help: "With --probe: ask this port too (serial:…, usb:…, tcp:…); repeatable.") var probePorts: [String] = []
    @Option(name: .customLong("probe-timeout-ms"), help: "With --probe: how long each question waits for its answer.") var probeTimeout = 500
    @Flag(name: .customLong("write-config"), help: "With --probe: write the ports that answered into --config.") var writeConfig = false
    @Option(help: "The configuration --write-config changes.") var config = "/etc/kioskd/kioskd.yaml"
    @Flag(name: .customLong("write-udev"), help: "With --probe: name each serial device found (/dev/kioskd/idcard-reader, …) by a udev rule in --udev-rules.")
    var writeUdev = false
    @Option(name: .customLong("udev-rules"), help: "The rules file --write-udev writes.") var udevRules = "/etc/udev/rules.d/61-kioskd-station.rules"

    func run() async throws {
        if probe || writeConfig || writeUdev {
            guard (100...10_000).contains(probeTimeout) else {
                complain("kioskctl: --probe-timeout-ms must be between 100 and 10000")
                throw ExitCode(64)
            }
            return try await DeviceProbeRun(extraPorts: probePorts, timeoutMilliseconds: probeTimeout,
                                            writeConfig: writeConfig ? config : nil, udevRules: writeUdev ? udevRules : nil, json: admin.json).run()
        }
        if attached || usb || serial || cups || sane {
            return try await AttachedDevices(usb: usb, serial: serial, cups: cups, sane: sane, json: admin.json).run()
        }
        let devices = try admin.single("devices", key: "devices")
        if admin.json { return try printJSONObject(devices) }
        var rows: [[String]] = []
        for device in devices as? [[String: Any]] ?? [] {
            let conditions = (device["conditions"] as? [String] ?? []).joined(separator: ",")
            let error = (device["last_error"] as? [String: Any]).map { "\($0["at"] ?? "") \($0["message"] ?? "")" } ?? "—"
            let check = (device["last_health_check"] as? [String: Any]).map { "\($0["at"] ?? "") \($0["level"] ?? "") \($0["outcome"] ?? "")" } ?? "none yet"
            rows.append([device["name"] as? String ?? "", device["model"] as? String ?? "", device["port"] as? String ?? "",
                         (device["status"] as? String ?? "") + (conditions.isEmpty ? "" : " (\(conditions))"), error, check])
        }
        printTable(header: ["DEVICE", "MODEL", "PORT", "STATUS", "LAST ERROR", "LAST HEALTH CHECK"], rows: rows)
    }
}

struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Prove the kiosk works: every device's check, a test receipt, a test scan, the platform link and its clock.",
        discussion: "Prints pass or fail per item with the fix to try; exits 1 on any failure. Refused while someone uses the kiosk, unless --force.")
    @OptionGroup var admin: AdminSocketOption
    @Flag(name: .customLong("with-card"), help: "Also ask for a card on the reader (someone must place one within 30 s).") var withCard = false
    @Flag(help: "Run even while someone is using the kiosk.") var force = false

    func run() throws {
        var items: [[String: Any]] = []
        let bar = ProgressLine(enabled: stdoutIsTerminal && !admin.json)
        let end = try admin.exchange(["command": "selftest", "with_card": withCard, "force": force]) { line in
            if let progress = line["progress"] as? [String: Any] {
                let step = progress["step"] as? Int ?? 0, of = progress["of"] as? Int ?? 1
                if bar.enabled { bar.show(done: step - 1, of: of, doing: progress["doing"] as? String ?? "") }
                else if !admin.json { print("[\(step)/\(of)] \(progress["doing"] as? String ?? "")") }
            }
            if let item = line["item"] as? [String: Any] {
                items.append(item)
                if !admin.json {
                    bar.clear()
                    let mark = switch item["outcome"] as? String { case "passed": "PASS"; case "failed": "FAIL"; default: "SKIP" }
                    print("  \(mark)  \(item["component"] ?? ""): \(item["check"] ?? "") — \(item["detail"] ?? "")")
                    if let fix = item["fix"] as? String { print("        fix: \(fix)") }
                }
            }
        }
        bar.clear()
        let ok = end["ok"] as? Bool == true
        if admin.json {
            var report: [String: Any] = ["passed": ok, "items": items]
            if let error = end["error"] { report["error"] = error }
            try printJSONObject(report)
        } else if let error = end["error"] as? String {
            complain("kioskctl: \(error)")
        } else {
            let failed = items.filter { $0["outcome"] as? String == "failed" }.count
            print(ok ? "self-test passed: \(items.count) checks" : "self-test FAILED: \(failed) of \(items.count) checks failed (the fix to try is under each)")
        }
        if !ok { throw ExitCode.failure }
    }
}

/// `kioskctl queue drain`: through the running kioskd, which does the sending.
struct DrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Send every queued application now and wait until the platform has them all (a maintainer leaving after fixing the link).",
        discussion: "Through kioskd's admin socket. Exit 1 when some are still queued at the timeout (they go on their own later); dead letters stay: `queue retry` each once its cause is fixed.")
    @OptionGroup var admin: AdminSocketOption
    @Option(help: "Give up waiting after this many seconds.") var timeout: Double = 300

    func run() throws {
        let bar = ProgressLine(enabled: stdoutIsTerminal && !admin.json)
        var lastPrinted = -1
        let end = try admin.exchange(["command": "drain", "timeout": timeout]) { line in
            guard let progress = line["progress"] as? [String: Any], !admin.json else { return }
            let sent = progress["sent"] as? Int ?? 0, of = progress["of"] as? Int ?? 0
            let doing = (progress["link_up"] as? Bool) == false ? "waiting for the platform: \(progress["problem"] as? String ?? "")" : "sending"
            if bar.enabled {
                bar.show(done: sent, of: of, doing: doing)
            } else if sent != lastPrinted {
                print("\(sent) of \(of) sent")
                lastPrinted = sent
            }
        }
        bar.clear()
        if admin.json {
            try printJSONObject(end.filter { $0.key != "end" })
            if end["ok"] as? Bool != true { throw ExitCode.failure }
            return
        }
        if end["ok"] as? Bool == true {
            print("queue drained: \(end["sent"] ?? 0) sent" + ((end["dead_letters"] as? Int ?? 0) > 0 ? "; \(end["dead_letters"]!) dead letter(s) wait for `kioskctl queue retry`" : ""))
        } else {
            throw ExitCode.fail("kioskctl: \(end["error"] as? String ?? "the queue did not drain")")
        }
    }
}

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "kioskd's recent log lines (masked, as logged), and with --follow every new one.")
    @OptionGroup var admin: AdminSocketOption
    @Flag(name: [.short, .long], help: "Keep printing new lines until interrupted.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "How many past lines.") var lines = 50

    func run() throws {
        let end = try admin.exchange(["command": "logs", "lines": lines, "follow": follow]) { line in
            guard let log = line["log"] as? [String: Any] else { return }
            // Straight to the descriptor: a follower piped into grep sees each line as it comes.
            var text = "\(log["time"] ?? "") \(log["level"] ?? "") \(log["label"] ?? ""): \(log["message"] ?? "")"
            if admin.json { text = String(decoding: try JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) }
            FileHandle.standardOutput.write(Data((terminalSafe(text) + "\n").utf8))
        }
        if end["ok"] as? Bool != true { throw ExitCode.fail("kioskctl: \(end["error"] as? String ?? "logs failed")") }
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "kioskd's Prometheus metrics (the same as GET /metrics on the UI's loopback address).")
    @OptionGroup var admin: AdminSocketOption

    func run() throws {
        let text = try admin.single("metrics", key: "metrics") as? String ?? ""
        if admin.json { return try printJSONObject(["metrics": text]) }
        print(text, terminator: "")
    }
}

struct ScreenURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen-url",
        abstract: "The address the kiosk's screen opens, with this start's key (http://127.0.0.1:8080/?key=…).",
        discussion: "The local API answers only the screen: a browser opened at this address gets the key as a cookie. It changes at each start of kioskd.")
    @OptionGroup var admin: AdminSocketOption

    func run() throws {
        let url = try admin.single("screen-url", key: "url") as? String ?? ""
        if admin.json { return try printJSONObject(["url": url]) }
        print(url)
    }
}

/// One line redrawn in place on a terminal: `[=====     ] 3/7 printing a test receipt`.
struct ProgressLine {
    let enabled: Bool

    func show(done: Int, of total: Int, doing: String) {
        let width = 20, filled = total > 0 ? width * done / total : 0
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardOutput.write(Data("\r\u{1B}[K[\(bar)] \(done)/\(total) \(terminalSafe(doing))".utf8))
    }

    func clear() {
        if enabled { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Columns padded to the widest cell (by characters; CJK text may look a little off).
func printTable(header: [String], rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    for row in all {
        print(row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
            .joined(separator: "  "))
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "kioskd's configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a kioskd configuration file (and the KIOSKD_* variables set here) as kioskd would at start.",
            discussion: "Exit 0 when kioskd would start with it; 78 with each problem (key, value, line, what is expected) otherwise.")
        @Argument(help: "The YAML file.") var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let config = try await ConfigLoader.load(file: file)
                if json {
                    return try printJSONObject([
                        "file": file, "ok": true, "listen": config.listen.description, "state_dir": config.stateDirectory, "admin_socket": config.admin.socket,
                        "devices": config.devices.map { ["name": $0.kind.rawValue, "port": $0.findsPort ? "auto" : $0.port?.description ?? "none", "model": $0.model] },
                    ] as [String: Any])
                }
                print("\(file): ok")
                print("  http.listen: \(config.listen)")
                print("  state_dir: \(config.stateDirectory)")
                print("  admin.socket: \(config.admin.socket)" + (config.admin.group.map { " (group \($0))" } ?? " (owner only)"))
                for device in config.devices { print("  \(device.kind.rawValue): \(device.findsPort ? "auto" : device.port?.description ?? "none") (\(device.model))") }
            } catch let error as ConfigError {
                if json {
                    try printJSONObject(["file": file, "ok": false, "problems": error.problems] as [String: Any])
                } else {
                    complain(error.description)
                }
                throw ExitCode(78)
            }
        }
    }
}
