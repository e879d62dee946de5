import Foundation
import KioskCore
@testable import KioskDaemon
import Testing

/// Writes `yaml` to a fresh file and returns its path.
func configFile(_ yaml: String, name: String = #function) -> String {
    let folder = FileManager.default.temporaryDirectory.path + "/kioskd-tests/config-" + UUID().uuidString.prefix(8)
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/kioskd.yaml"
    _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
    return path
}

/// The problems a configuration is refused with, or [] when it loads.
func problems(file: String?, environment: [String: String] = [:]) async -> [String] {
    do {
        _ = try await ConfigLoader.load(file: file, environment: environment)
        return []
    } catch let error as ConfigError {
        return error.problems
    } catch {
        return ["unexpected \(error)"]
    }
}

@Suite("Configuration")
struct ConfigTests {
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test("with no file kioskd runs the embedded default: devices simulated, state in ./var, UI on 127.0.0.1:8080")
    func embeddedDefault() async throws {
        let config = try await ConfigLoader.load(file: nil, environment: [:])
        #expect(config == KioskConfig())
        #expect(config.listen.description == "127.0.0.1:8080")
        #expect(config.stateDirectory == "./var")
        #expect(config.devices.map(\.kind) == [.idCardReader, .receiptPrinter, .documentPrinter, .scanner])
        #expect(config.devices.map { $0.port?.description } == ["serial:./var/sim/idcard", "tcp:127.0.0.1:9100", "cups:KioskPDF", "sane:airscan:e0:Kiosk Scanner"])
    }

    @Test("config/kioskd.example.yaml loads and says exactly what the embedded default is")
    func exampleMatchesDefault() async throws {
        let config = try await ConfigLoader.load(file: Self.repositoryRoot + "/config/kioskd.example.yaml", environment: [:])
        #expect(config == KioskConfig())
    }

    @Test("every setting appears in the example file, so none is undocumented")
    func exampleDocumentsEveryKey() throws {
        let example = try String(contentsOfFile: Self.repositoryRoot + "/config/kioskd.example.yaml", encoding: .utf8)
        for (key, _) in ConfigLoader.settings {
            #expect(example.contains(String(key.split(separator: ".").last!) + ":"), "\(key) is not in the example")
        }
    }

    @Test("a misspelled key is refused with its line and the key it probably meant")
    func misspelledKey() async {
        let file = configFile("""
            http:
              listen: 127.0.0.1:8080
            devices:
              idcard_reader:
                prot: serial:/dev/ttyUSB0
            """)
        let found = await problems(file: file)
        #expect(found == [
            "\(file) line 5: unknown key \"devices.idcard_reader.prot\"; did you mean \"devices.idcard_reader.port\"? Known keys here: port, model, poll_ms"
        ])
    }

    @Test("a misspelled section is refused too")
    func misspelledSection() async {
        let found = await problems(file: configFile("htp:\n  listen: 127.0.0.1:8080\n"))
        #expect(found.count == 1)
        #expect(found.first?.contains("line 1: unknown key \"htp\"; did you mean \"http\"?") == true)
    }

    @Test("a bad value is refused with the key, the value, where it came from and what is expected")
    func badValues() async {
        let file = configFile("""
            log:
              level: loud
            shutdown:
              grace_seconds: forever
            devices:
              receipt_printer:
                port: tcp:printer
            """)
        let found = await problems(file: file)
        #expect(found == [
            "log.level \"loud\" (\(file) line 2) is not valid: expected one of trace, debug, info, notice, warning, error, critical",
            "shutdown.grace_seconds \"forever\" (\(file) line 4) is not valid: expected a number of seconds from 0 to 300",
            "devices.receipt_printer.port (\(file) line 7): port \"tcp:printer\": expected tcp:HOST:PORT, e.g. tcp:192.168.1.50:9100",
        ])
    }

    @Test("a section given a value, and a value given a list, are refused")
    func wrongShapes() async {
        let file = configFile("""
            devices: 3
            http:
              listen: [127.0.0.1:8080]
            """)
        let found = await problems(file: file)
        #expect(found.contains("\(file) line 1: devices is a section; it takes the keys idcard_reader, receipt_printer, a4_printer, scanner, probe_ports, reconnect"))
        #expect(found.contains("\(file) line 3: http.listen must be a single value (HOST:PORT, e.g. 127.0.0.1:8080), not a list or a section"))
    }

    @Test("port: auto is taken for the reader and the printer only; a bad devices.probe_ports entry is refused with its key and line")
    func autoPorts() async throws {
        let config = try await ConfigLoader.load(file: configFile("devices:\n  idcard_reader:\n    port: auto\n  receipt_printer:\n    port: auto\n"), environment: [:])
        #expect(config.devices.filter(\.findsPort).map(\.kind) == [.idCardReader, .receiptPrinter])
        #expect(config.devices.filter(\.findsPort).allSatisfy { $0.port == nil })
        let file = configFile("devices:\n  scanner:\n    port: auto\n  probe_ports: \"tcp:127.0.0.1:9100, serial:\"\n")
        let found = await problems(file: file)
        #expect(found.contains { $0.hasPrefix("devices.scanner.port \"auto\" (\(file) line 3) is not valid: only the ID-card reader's and the receipt printer's port") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("devices.probe_ports \"tcp:127.0.0.1:9100, serial:\" (\(file) line 4) is not valid: expected port strings separated by commas") }, "\(found)")
    }

    @Test("a file that is not YAML is refused with the line and column")
    func notYAML() async {
        let file = configFile("http:\n  listen: \"127.0.0.1:8080\n")
        let found = await problems(file: file)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("\(file) is not valid YAML: line") == true)
    }

    @Test("a missing file is refused with a hint about --config")
    func missingFile() async {
        let found = await problems(file: "/nonexistent/kioskd.yaml")
        #expect(found == ["cannot read the configuration file /nonexistent/kioskd.yaml: no such file; check the path given to --config"])
    }

    @Test("a non-loopback listen address is refused unless allow_remote says so")
    func loopbackOnly() async throws {
        let refused = await problems(file: configFile("http:\n  listen: 0.0.0.0:8080\n"))
        #expect(refused.count == 1)
        #expect(refused.first?.contains("http.listen \"0.0.0.0:8080\"") == true)
        #expect(refused.first?.contains("set http.allow_remote: true") == true)
        let allowed = try await ConfigLoader.load(file: configFile("http:\n  listen: 0.0.0.0:8080\n  allow_remote: true\n"), environment: [:])
        #expect(allowed.listen.host == "0.0.0.0")
    }

    @Test("environment variables override the file, and a bad one is named")
    func environmentOverrides() async throws {
        let file = configFile("http:\n  listen: 127.0.0.1:8080\nlog:\n  level: debug\n")
        let config = try await ConfigLoader.load(file: file, environment: ["KIOSKD_HTTP_LISTEN": "127.0.0.1:9090", "KIOSKD_DEVICES_IDCARD_READER_PORT": "none"])
        #expect(config.listen.port == 9090)
        #expect(config.logLevel == .debug)
        #expect(config.devices.first { $0.kind == .idCardReader }?.port == nil)

        let bad = await problems(file: file, environment: ["KIOSKD_LOG_LEVEL": "chatty"])
        #expect(bad == ["log.level \"chatty\" (from KIOSKD_LOG_LEVEL) is not valid: expected one of trace, debug, info, notice, warning, error, critical"])
    }

    @Test("an unknown KIOSKD_ environment variable is refused as a likely typo")
    func unknownEnvironment() async {
        let found = await problems(file: nil, environment: ["KIOSKD_HTTP_LISTN": "127.0.0.1:1"])
        #expect(found == ["environment variable KIOSKD_HTTP_LISTN is not a kioskd setting; did you mean KIOSKD_HTTP_LISTEN?"])
    }

    @Test("command-line flags win over the environment and the file")
    func flagsWin() async throws {
        let config = try await ConfigLoader.load(
            file: configFile("state_dir: /srv/a\n"), environment: ["KIOSKD_STATE_DIR": "/srv/b"],
            stateDirectory: "/srv/c", listen: "127.0.0.1:7000")
        #expect(config.stateDirectory == "/srv/c")
        #expect(config.listen.port == 7000)
        #expect(config.devices.first?.port?.description == "serial:/srv/c/sim/idcard")
    }

    @Test("a tracking or guide address too long for a receipt's QR code is refused at the check, not met at the first receipt")
    func longQRAddresses() async {
        let long = "https://zwfw.example.gov.cn/" + String(repeating: "a", count: 7_100)
        let file = configFile("services:\n  tracking_url: \(long)\n  guide_url: \(long)\n")
        let found = await problems(file: file)
        #expect(found.count == 2 && found.allSatisfy { $0.contains("at most 200 characters") }, "\(found)")
    }

    @Test("a receipt printer model that is not a known profile is refused with the known ones")
    func unknownPrinterModel() async {
        let file = configFile("devices:\n  receipt_printer:\n    model: epson-tm-t88\n")
        let found = await problems(file: file)
        #expect(found == ["devices.receipt_printer.model \"epson-tm-t88\" (\(file) line 3) is not valid: expected a receipt printer model: generic-58, generic-80, kiosk-80-gb18030"])
    }

    @Test("the platform link: plain http only to this machine; https needs the station's certificate, key and the pinned CA")
    func platformLink() async throws {
        let remote = await problems(file: configFile("platform:\n  url: http://zwfw.example.gov.cn\n"))
        #expect(remote.count == 1)
        #expect(remote.first?.contains("platform.url \"http://zwfw.example.gov.cn\"") == true)
        #expect(remote.first?.contains("is plain http to another machine") == true)

        let file = configFile("platform:\n  url: https://zwfw.example.gov.cn\n  ca: /etc/kioskd/platform-ca.pem\n")
        let noCertificate = await problems(file: file)
        #expect(noCertificate == ["platform.url is https but platform.client_certificate, platform.client_key are not set: the platform knows the station by its TLS certificate, and only its CA is trusted. Set them to the PEM files the platform operator issued"])

        let complete = try await ConfigLoader.load(
            file: configFile("platform:\n  url: https://zwfw.example.gov.cn\n  ca: /c.pem\n  client_certificate: /s.pem\n  client_key: /k.pem\n"), environment: [:])
        #expect(complete.platform.caCertificate == "/c.pem")
        #expect(complete.platform.clientKey == "/k.pem")
    }

    @Test("station code, backoff, purge times and the elderly timeout are checked; the platform key follows state_dir")
    func stationAndOutbox() async throws {
        let file = configFile("station:\n  code: \"34-01\"\nplatform:\n  retry_base_seconds: 30\n  retry_cap_seconds: 10\noutbox:\n  purge_after_hours: 1\n")
        let found = await problems(file: file)
        #expect(found == ["station.code \"34-01\" (\(file) line 2) is not valid: expected the station's code in the province: 6 to 12 digits"])
        let inverted = await problems(file: configFile("platform:\n  retry_base_seconds: 30\n  retry_cap_seconds: 10\n"))
        #expect(inverted.count == 1)
        #expect(inverted.first?.contains("is below platform.retry_base_seconds") == true)
        let hurried = await problems(file: configFile("session:\n  idle_timeout_seconds: 400\n  elderly_idle_timeout_seconds: 200\n"))
        #expect(hurried.count == 1 && hurried.first?.contains("session.elderly_idle_timeout_seconds") == true && hurried.first?.contains("is less than session.idle_timeout_seconds") == true)

        let config = try await ConfigLoader.load(file: configFile("outbox:\n  purge_after_hours: 0.5\n"), environment: [:], stateDirectory: "/srv/k")
        #expect(config.outbox.purgeAfter == .seconds(1800))
        #expect(config.outbox.retention == .seconds(90 * 86_400))
        #expect(config.platform.publicKey == "/srv/k/sim/platform-public.pem")
    }

    @Test("all problems are reported at once")
    func allAtOnce() async {
        let found = await problems(file: configFile("log:\n  levle: info\nshutdown:\n  grace_seconds: -1\n"))
        #expect(found.count == 2)
    }
}
