import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `kioskctl devices --probe` against the simulators, as a maintainer runs it
/// on a new station: each port is asked what it is, and nothing is taken for
/// what it is not.
@Suite("kioskctl devices --probe finds devices by what they answer", .serialized, .timeLimit(.minutes(2)))
struct DeviceProbeTests {
    struct Entry: Decodable {
        var port: String
        var answer: String
        var device: String?
    }

    let simulator = binDirectory + "/hardware-sim"
    let kioskctl = binDirectory + "/kioskctl"

    /// A pseudo-terminal nobody answers on: both ends are held open and its controller is never read.
    final class SilentTerminal {
        var controller: Int32 = -1
        var terminal: Int32 = -1
        let path: String

        init?() {
            var name = [CChar](repeating: 0, count: 64)
            guard openpty(&controller, &terminal, &name, nil, nil) == 0 else { return nil }
            path = String(cString: name)
        }

        deinit {
            close(controller)
            close(terminal)
        }
    }

    /// Whether a socket listens on the loopback port, read from /proc/net/tcp: a network
    /// printer takes one connection at a time, so the test does not connect to find out.
    func listening(_ port: Int) -> Bool {
        let local = String(format: "0100007F:%04X", port)
        let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1] == local && fields[3] == "0A"
        }
    }

    @Test("a reader and a printer on ptys, a printer on TCP, an echo plug, a silent pty and a missing port: each named right, none misidentified")
    func probeNamesEachPort() async throws {
        let folder = temporaryDirectory()
        let tcpPort = freePort()
        let children = try [
            Child(simulator, ["idcard", "--port", "pty", "--link", folder + "/reader", "--cards", repositoryRoot + "/hardware-sim/cards"]),
            Child(simulator, ["printer", "--port", "pty", "--link", folder + "/printer", "--out", folder + "/receipts"]),
            Child(simulator, ["printer", "--port", "tcp:127.0.0.1:\(tcpPort)", "--out", folder + "/receipts-tcp"]),
            Child(simulator, ["echo", "--port", "pty", "--link", folder + "/echo"]),
        ]
        let silent = try #require(SilentTerminal())
        for link in ["reader", "printer", "echo"] {
            #expect(await eventually(within: .seconds(5)) { FileManager.default.fileExists(atPath: folder + "/\(link).control") })
        }
        #expect(await eventually(within: .seconds(5)) { listening(tcpPort) })

        let ports = [
            "serial:\(folder)/reader", "serial:\(folder)/printer", "tcp:127.0.0.1:\(tcpPort)",
            "serial:\(folder)/echo", "serial:\(silent.path)", "serial:\(folder)/unplugged",
        ]
        let probe = try await run(kioskctl, ["devices", "--probe", "--json", "--probe-timeout-ms", "300"] + ports.flatMap { ["--port", $0] })
        #expect(probe.status == 0, "\(probe.stderr)")
        let entries = try JSONDecoder().decode([Entry].self, from: Data(probe.stdout.utf8))
        func entry(_ port: String) -> Entry? { entries.first { $0.port.hasPrefix(port) } }

        #expect(entry("serial:\(folder)/reader")?.device == "idcard_reader")
        #expect(entry("serial:\(folder)/reader")?.answer.contains("GA 467") == true)
        #expect(entry("serial:\(folder)/printer")?.device == "receipt_printer")
        #expect(entry("tcp:127.0.0.1:\(tcpPort)")?.device == "receipt_printer")
        #expect(entry("serial:\(folder)/echo")?.device == nil)
        #expect(entry("serial:\(folder)/echo")?.answer.contains("in no protocol kioskd speaks") == true, "\(String(describing: entry("serial:\(folder)/echo")))")
        #expect(entry("serial:\(silent.path)")?.device == nil)
        #expect(entry("serial:\(silent.path)")?.answer == "no answer")
        #expect(entry("serial:\(folder)/unplugged")?.answer.hasPrefix("cannot open") == true)

        // What a maintainer reads: one line per port.
        let table = try await run(kioskctl, ["devices", "--probe", "--probe-timeout-ms", "300", "--port", "serial:\(folder)/reader"])
        #expect(table.stdout.contains("GA 467 ID-card reader") && table.stdout.contains("idcard_reader"), "\(table.stdout)")
        withExtendedLifetime(children) {}
    }

    @Test("--write-config writes the reader's and the printer's ports into the configuration, keeping its comments, owner and mode; two printers answering are refused")
    func writeConfig() async throws {
        let folder = temporaryDirectory()
        let tcpPort = freePort(), secondPort = freePort()
        let children = try [
            Child(simulator, ["idcard", "--port", "pty", "--link", folder + "/reader", "--cards", repositoryRoot + "/hardware-sim/cards"]),
            Child(simulator, ["printer", "--port", "tcp:127.0.0.1:\(tcpPort)", "--out", folder + "/receipts"]),
            Child(simulator, ["printer", "--port", "tcp:127.0.0.1:\(secondPort)", "--out", folder + "/receipts-2"]),
        ]
        #expect(await eventually(within: .seconds(5)) { FileManager.default.fileExists(atPath: folder + "/reader.control") })
        for port in [tcpPort, secondPort] {
            #expect(await eventually(within: .seconds(5)) { listening(port) })
        }

        let config = folder + "/kioskd.yaml"
        let example = try String(contentsOfFile: repositoryRoot + "/config/kioskd.example.yaml", encoding: .utf8)
        try example.write(toFile: config, atomically: false, encoding: .utf8)
        chmod(config, 0o640)

        let written = try await run(kioskctl, ["devices", "--probe", "--write-config", "--config", config, "--probe-timeout-ms", "300",
                                               "--port", "serial:\(folder)/reader", "--port", "tcp:127.0.0.1:\(tcpPort)"])
        #expect(written.status == 0, "\(written.stderr)")
        let check = try await run(kioskctl, ["config", "check", "--json", config])
        #expect(check.status == 0, "\(check.stderr)")
        let devices = try #require((try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?["devices"] as? [[String: Any]])
        func port(_ name: String) -> String? { devices.first { $0["name"] as? String == name }?["port"] as? String }
        // The reader's port at the default speed is written without ?baud=115200.
        #expect(port("idcard_reader") == "serial:\(folder)/reader", "\(written.stdout)\(written.stderr)")
        #expect(port("receipt_printer") == "tcp:127.0.0.1:\(tcpPort)", "\(written.stdout)\(written.stderr)")
        let edited = try String(contentsOfFile: config, encoding: .utf8)
        let comments = { (text: String) in text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#") } }
        #expect(comments(edited) == comments(example))
        var status = stat()
        #expect(stat(config, &status) == 0 && status.st_mode & 0o777 == 0o640)

        // Two printers answer: which one this kiosk prints on is the maintainer's to say.
        let ambiguous = try await run(kioskctl, ["devices", "--probe", "--write-config", "--config", config, "--probe-timeout-ms", "300",
                                                 "--port", "tcp:127.0.0.1:\(secondPort)", "--port", "tcp:127.0.0.1:\(tcpPort)"])
        #expect(ambiguous.stderr.contains("2 ports answered as a receipt printer"), "\(ambiguous.stderr)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == edited)
        withExtendedLifetime(children) {}
    }

    @Test("port: auto: kioskd finds the reader and the printer at start among an echo plug and a silent pty; with none answering, /healthz says so")
    func kioskdFindsItsPorts() async throws {
        let folder = temporaryDirectory()
        let state = folder + "/state"
        let printerPort = freePort()
        let station = try Child(simulator, ["station", "--dir", state + "/sim", "--printer-port", String(printerPort),
                                            "--scanner-listen", "127.0.0.1:\(freePort())", "--platform-listen", "127.0.0.1:\(freePort())"])
        let echo = try Child(simulator, ["echo", "--port", "pty", "--link", folder + "/echo"])
        let silent = try #require(SilentTerminal())
        #expect(await eventually(within: .seconds(10)) {
            FileManager.default.fileExists(atPath: state + "/sim/platform-public.pem") && FileManager.default.fileExists(atPath: folder + "/echo.control")
        })
        #expect(await eventually(within: .seconds(5)) { listening(printerPort) })

        func start(_ probePorts: [String]) throws -> (Child, String) {
            let listen = "127.0.0.1:\(freePort())"
            let kioskd = try Child(binDirectory + "/kioskd", ["run", "--state-dir", state, "--listen", listen], environment: [
                "KIOSKD_DEVICES_IDCARD_READER_PORT": "auto", "KIOSKD_DEVICES_RECEIPT_PRINTER_PORT": "auto",
                "KIOSKD_DEVICES_PROBE_PORTS": probePorts.joined(separator: ","),
                "KIOSKD_DEVICES_A4_PRINTER_PORT": "none", "KIOSKD_DEVICES_SCANNER_PORT": "none",
            ])
            return (kioskd, "http://" + listen)
        }
        func component(_ base: String, _ name: String) async -> [String: Any]? {
            guard let (status, body) = await get(base + "/healthz"), status == 200,
                  let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
            return (object["components"] as? [[String: Any]])?.first { $0["name"] as? String == name }
        }

        let (kioskd, base) = try start(["serial:\(folder)/echo", "serial:\(silent.path)", "serial:\(state)/sim/idcard", "tcp:127.0.0.1:\(printerPort)"])
        #expect(await eventually(within: .seconds(20)) { await component(base, "idcard_reader")?["status"] as? String == "online" }, "\(kioskd.stderr)")
        #expect(await component(base, "idcard_reader")?["port"] as? String == "serial:\(state)/sim/idcard")
        #expect(await eventually(within: .seconds(10)) { await component(base, "receipt_printer")?["status"] as? String == "online" })
        #expect(await component(base, "receipt_printer")?["port"] as? String == "tcp:127.0.0.1:\(printerPort)")
        kioskd.signal(SIGTERM)
        #expect(await kioskd.exitStatus(within: .seconds(20)) == 0)

        // Nothing answers: kioskd runs, and says which device it did not find and what to do.
        let (alone, aloneBase) = try start(["serial:\(folder)/echo", "serial:\(silent.path)"])
        #expect(await eventually(within: .seconds(20)) { await component(aloneBase, "idcard_reader") != nil }, "\(alone.stderr)")
        let reader = await component(aloneBase, "idcard_reader")
        #expect(reader?["status"] as? String == "noDevice")
        #expect((reader?["detail"] as? String)?.contains("port: auto") == true)
        #expect(alone.stderr.contains("ID-card reader: no port answered as one (port: auto)") || alone.stdout.contains("ID-card reader: no port answered as one (port: auto)"))
        alone.signal(SIGTERM)
        _ = await alone.exitStatus(within: .seconds(20))
        withExtendedLifetime((station, echo, silent)) {}
    }
}
