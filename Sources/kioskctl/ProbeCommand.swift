import ArgumentParser
import Drivers
import Foundation
import KioskCore
import KioskDaemon
import SystemIO

/// `kioskctl devices --probe`: which port each station device is on, found by
/// what it answers (``DeviceProbe``), and with `--write-config` written into
/// the configuration.
struct DeviceProbeRun {
    var extraPorts: [String]
    var timeoutMilliseconds: Int
    var writeConfig: String?
    var udevRules: String?
    var json: Bool

    struct Entry: Encodable {
        var port: String
        var answer: String
        var device: String?
    }

    func run() async throws {
        let given = try extraPorts.map(parsePort)
        let timeout = Duration.milliseconds(timeoutMilliseconds)
        let (answers, found) = await DeviceProbe.survey(given: given, timeout: timeout)
        let entries = answers.map { Entry(port: $0.port.description, answer: $0.answer.description, device: $0.answer.device?.rawValue) }

        if json {
            try printJSON(entries)
        } else {
            printTable(header: ["PORT", "ANSWER", "DEVICE"], rows: entries.map { [$0.port, $0.answer, $0.device ?? "—"] })
            if entries.isEmpty { print("no serial port or USB printer interface found; name others with --port") }
        }
        var named = found
        if let rules = udevRules { named = try writeRules(found, into: rules) }
        guard let file = writeConfig else { return }
        try await write(named, into: file)
    }

    /// Writes a udev rule for each serial device exactly one port answered for, naming it
    /// /dev/kioskd/…; returns the ports with those names in place of the kernel's.
    private func writeRules(_ found: [DeviceKind: [DevicePort]], into file: String) throws -> [DeviceKind: [DevicePort]] {
        var named = found
        var rules: [String] = []
        for kind in [DeviceKind.idCardReader, .receiptPrinter] {
            guard let ports = found[kind], ports.count == 1, case .serial(let path, let settings) = ports[0] else { continue }
            guard let parent = StableNames.usbParent(ofTTY: path), let rule = StableNames.rule(for: kind, parent: parent) else {
                complain("kioskctl: \(path) is not a USB serial port with usable ids: the \(kind.displayName) keeps its port name")
                continue
            }
            rules.append("# \(kind.displayName), found at \(path)\n" + rule)
            named[kind] = [.serial(path: StableNames.link(for: kind), settings: settings)]
        }
        guard !rules.isEmpty else {
            complain("kioskctl: no serial device to name: \(file) is not written")
            return named
        }
        let text = "# This station's devices by what they are (kioskctl devices --probe --write-udev).\n"
            + "# Each keeps its /dev/kioskd name whichever ttyUSBn the kernel gives it.\n" + rules.joined(separator: "\n") + "\n"
        do {
            try DurableFiles.write(Array(text.utf8), to: file, mode: 0o644)
        } catch {
            complain("kioskctl: cannot write \(file): \(error.description)")
            throw ExitCode.failure
        }
        print("\(file): \(rules.count) device(s) named under \(StableNames.folder)")
        if FileManager.default.fileExists(atPath: "/run/udev/control") {
            print("udev reloads its rules: udevadm control --reload && udevadm trigger --subsystem-match=tty --action=add")
            _ = try? runTool("/usr/bin/udevadm", ["control", "--reload"])
            _ = try? runTool("/usr/bin/udevadm", ["trigger", "--subsystem-match=tty", "--action=add"])
        } else {
            print("udev is not running here: the names appear at the next boot")
        }
        return named
    }

    private func runTool(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Writes each device's port that exactly one port answered for; refuses a
    /// device that several answered for, and leaves one nobody answered for.
    private func write(_ found: [DeviceKind: [DevicePort]], into file: String) async throws {
        var ports: [String: String] = [:]
        var problems: [String] = []
        for kind in [DeviceKind.idCardReader, .receiptPrinter] {
            let answered = found[kind] ?? []
            switch answered.count {
            case 0: problems.append("no \(kind.displayName) answered: devices.\(kind.rawValue).port is left as it is")
            case 1: ports[kind.rawValue] = answered[0].description
            default:
                problems.append("\(answered.count) ports answered as a \(kind.displayName) (\(answered.map(\.description).joined(separator: ", "))): "
                    + "devices.\(kind.rawValue).port is left as it is; write the one this kiosk uses by hand")
            }
        }
        for problem in problems { complain("kioskctl: \(problem)") }
        guard !ports.isEmpty else { throw ExitCode.failure }
        do {
            try await ConfigFileEdit.setDevicePorts(ports, in: file)
        } catch let error as ConfigFileEdit.Failure {
            complain("kioskctl: \(error.message)")
            throw ExitCode(78)
        }
        for (device, port) in ports.sorted(by: { $0.key < $1.key }) { print("\(file): devices.\(device).port = \(port)") }
        print("restart kioskd to use them: systemctl restart kioskd")
    }
}

/// Changes a configuration file's device ports in place, keeping its comments,
/// its other keys, its owner and its mode; the result must load as kioskd
/// would load it, or the file is left untouched.
enum ConfigFileEdit {
    struct Failure: Error {
        var message: String
    }

    static func setDevicePorts(_ ports: [String: String], in file: String) async throws {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw Failure(message: "cannot read \(file): check the path (the package's is /etc/kioskd/kioskd.yaml) and run as root")
        }
        var lines = text.components(separatedBy: "\n")
        for (device, port) in ports { try setPort(port, of: device, in: &lines, file: file) }
        let edited = lines.joined(separator: "\n")

        // Checked as kioskd would load it, from a file beside the real one.
        let check = file + ".probe-check"
        defer { unlink(check) }
        do {
            try DurableFiles.write(Array(edited.utf8), to: check, mode: 0o600)
            _ = try await ConfigLoader.load(file: check, environment: [:])
        } catch let error as ConfigError {
            throw Failure(message: "the edited configuration would not load, so \(file) is unchanged:\n\(error.description)")
        } catch let error as DurableFiles.Failure {
            throw Failure(message: "cannot write beside \(file): \(error.description)")
        }

        var status = stat()
        guard stat(file, &status) == 0 else { throw Failure(message: "cannot stat \(file): \(String(cString: strerror(errno)))") }
        do {
            try DurableFiles.write(Array(edited.utf8), to: file, mode: status.st_mode & 0o7777)
        } catch {
            throw Failure(message: "cannot write \(file): \(error.description)")
        }
        // The new file is the writer's; give it back its owner and group (root:kioskd 0640 in the package).
        if chown(file, status.st_uid, status.st_gid) == 0 {
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        }
    }

    /// Replaces `port:` under `devices:` → `DEVICE:`, or adds it there.
    private static func setPort(_ port: String, of device: String, in lines: inout [String], file: String) throws {
        func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        func key(_ line: String) -> String? {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let colon = trimmed.firstIndex(of: ":") else { return nil }
            return String(trimmed[..<colon])
        }
        let quoted = "\"" + port.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        guard let devices = lines.firstIndex(where: { indent($0) == 0 && key($0) == "devices" }) else {
            throw Failure(message: "\(file) has no devices: section; add `devices:` with `\(device):` and `port: \(quoted)` under it by hand")
        }
        var index = devices + 1
        var deviceLine: Int?
        var deviceIndent = 0
        while index < lines.count {
            let line = lines[index]
            if let name = key(line) {
                if indent(line) == 0 { break }
                if deviceLine == nil, name == device { deviceLine = index; deviceIndent = indent(line) }
                else if let start = deviceLine, index > start {
                    if indent(line) <= deviceIndent { break }
                    if name == "port" {
                        lines[index] = String(repeating: " ", count: indent(line)) + "port: " + quoted
                        return
                    }
                }
            }
            index += 1
        }
        if let start = deviceLine {
            lines.insert(String(repeating: " ", count: deviceIndent + 2) + "port: " + quoted, at: start + 1)
        } else {
            lines.insert(contentsOf: ["  \(device):", "    port: \(quoted)"], at: devices + 1)
        }
    }
}
