import Configuration
import Drivers
import Foundation
import KioskCore
import Logging
import SystemIO
import Yams

/// A configuration that cannot be used. Each problem names the key, the value
/// and what is expected, with the line of the file or the environment
/// variable it came from; all problems are reported at once.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// One sentence per problem.
    public var problems: [String]

    public var description: String {
        (["kioskd cannot start: the configuration has \(problems.count == 1 ? "a problem" : "\(problems.count) problems")"]
            + problems.map { "  - " + $0 }).joined(separator: "\n")
    }
}

/// Reads a ``KioskConfig`` from the defaults, an optional YAML file, `KIOSKD_*`
/// environment variables and command-line overrides.
///
/// ```swift
/// let config = try await ConfigLoader.load(file: "/etc/kioskd/kioskd.yaml")
/// ```
public enum ConfigLoader {
    /// Every key, with what a valid value looks like. A key the file or the
    /// environment sets that is not here is refused as a likely typo.
    static let settings: [(key: String, expected: String)] = [
        ("http.listen", "HOST:PORT, e.g. 127.0.0.1:8080"),
        ("http.allow_remote", "true or false"),
        ("http.max_connections", "a whole number from 16 to 4096"),
        ("http.ui_dir", "the folder holding the touchscreen page (index.html)"),
        ("http.screen_key_file", "where kioskd writes the screen's key at each start (a file path), or empty for STATE_DIR/screen-key"),
        ("http.screen_key_group", "a group that exists on this machine (the screen's user's), allowed to read the screen key; or empty for kioskd's user only"),
        ("handwriting.model", "a Zinnia handwriting model file, or empty to show no writing pad"),
        ("state_dir", "a directory path, e.g. /var/lib/kioskd"),
        ("log.level", "one of trace, debug, info, notice, warning, error, critical"),
        ("shutdown.grace_seconds", "a number of seconds from 0 to 300"),
        ("devices.idcard_reader.port", "a port string (serial:PATH, usb:VID:PID, tcp:HOST:PORT), auto or none"),
        ("devices.idcard_reader.model", "the reader's model name"),
        ("devices.idcard_reader.poll_ms", "milliseconds from 10 to 5000"),
        ("devices.receipt_printer.port", "a port string (serial:PATH, usb:VID:PID, tcp:HOST:PORT), auto or none"),
        ("devices.receipt_printer.model", "a receipt printer model: " + ESCPOSProfile.known.map(\.name).joined(separator: ", ")),
        ("devices.a4_printer.port", "cups:QUEUE (a CUPS queue `lpstat -p` lists) or none"),
        ("devices.a4_printer.model", "the printer's model name"),
        ("devices.scanner.port", "sane:DEVICE (a name `scanimage -L` lists) or none"),
        ("devices.scanner.model", "the scanner's model name"),
        ("devices.scanner.sane_config_dir", "a folder holding SANE's dll.conf, or empty for /etc/sane.d"),
        ("devices.probe_ports", "port strings separated by commas (serial:PATH, usb:VID:PID, tcp:HOST:PORT), or empty"),
        ("devices.reconnect.probe_ms", "milliseconds from 10 to 60000"),
        ("devices.reconnect.retry_max_ms", "milliseconds from 100 to 600000"),
        ("station.code", "the station's code in the province: 6 to 12 digits"),
        ("station.name", "the station's name, as printed on receipts"),
        ("station.phone", "the station's phone number, digits and dashes (said when the kiosk is out of service)"),
        ("platform.url", "https://HOST[:PORT], or http://127.0.0.1:PORT for a simulator"),
        ("platform.public_key", "the platform's public key file (PEM, X25519 or P-256)"),
        ("platform.client_certificate", "the station's TLS certificate (PEM file), or empty for http"),
        ("platform.client_key", "the station's TLS private key (PEM file), or empty for http"),
        ("platform.ca", "the platform's CA certificate (PEM file, the only CA trusted), or empty for http"),
        ("platform.pin_sha256", "base64 SHA-256 hashes of the platform's public key (SPKI), separated by commas, or empty"),
        ("platform.retry_base_seconds", "seconds from 0.1 to 3600"),
        ("platform.retry_cap_seconds", "seconds from 1 to 86400"),
        ("platform.status_sync_seconds", "seconds from 0.1 to 86400"),
        ("outbox.purge_after_hours", "hours from 0 to 8760"),
        ("outbox.retention_days", "days from 1 to 3650"),
        ("services.catalogue", "the service catalogue file (JSON, docs/catalogue.md)"),
        ("services.calendar", "the holiday calendar file (JSON, docs/catalogue.md)"),
        ("services.catalogue_refresh_hours", "hours from 0.1 to 168"),
        ("services.tracking_url", "the https:// address a receipt's QR code points to, at most 200 characters with no spaces or control characters; the tracking number is appended"),
        ("services.guide_url", "the https:// address of the platform's guides, at most 200 characters with no spaces or control characters, the item's code appended (the QR code of a printed guide or 一次性告知单), or empty for none"),
        ("session.idle_timeout_seconds", "seconds from 30 to 1800"),
        ("session.idle_warning_seconds", "seconds from 20 to 300, less than session.idle_timeout_seconds"),
        ("session.agent_idle_timeout_seconds", "seconds from 60 to 7200"),
        ("session.elderly_idle_timeout_seconds", "seconds from 30 to 3600, not less than session.idle_timeout_seconds"),
        ("session.card_removed", "end or pause"),
        ("session.agents_file", "the agents file (JSON, `kioskctl agent check`), or empty for no agents"),
        ("admin.socket", "the admin socket's path, or empty for STATE_DIR/admin.sock"),
        ("admin.group", "a group that exists on this machine (e.g. kiosk), allowed to use the admin socket; or empty for its owner only"),
        ("admin.heartbeat_seconds", "seconds from 10 to 86400"),
        ("admin.health_check_seconds", "seconds from 10 to 86400"),
    ]

    static let environmentPrefix = "KIOSKD_"

    /// Loads the configuration.
    /// - Parameters:
    ///   - file: A YAML file, or nil for the embedded default.
    ///   - environment: The process environment (injected by tests).
    ///   - stateDirectory: `--state-dir`, overriding everything else.
    ///   - listen: `--listen`, overriding everything else.
    public static func load(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        stateDirectory: String? = nil,
        listen: String? = nil
    ) async throws -> KioskConfig {
        var problems: [String] = []
        var lines: [String: Int] = [:]
        var fileProvider: FileProvider<YAMLSnapshot>?
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigError(problems: ["cannot read the configuration file \(file): \(reasonText(error)); check the path given to --config"])
            }
            do {
                lines = try checkKeys(yaml: text, file: file, problems: &problems)
            } catch {
                throw ConfigError(problems: ["\(file) is not valid YAML: \(yamlErrorText(error))"])
            }
            do {
                fileProvider = try await FileProvider<YAMLSnapshot>(filePath: .init(file))
            } catch {
                throw ConfigError(problems: ["\(file) cannot be read as configuration: \(error)"])
            }
        }
        checkEnvironment(environment, problems: &problems)

        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: environment.filter { $0.key.hasPrefix(environmentPrefix) })
                .prefixKeys(with: ["kioskd"])
        ]
        if let fileProvider { providers.append(fileProvider) }
        let values = Values(reader: ConfigReader(providers: providers), environment: environment, file: file, lines: lines)
        var config = build(values, stateDirectoryOverride: stateDirectory, listenOverride: listen)
        problems += values.problems
        if problems.isEmpty { config = try applyChecks(config, values: values) }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return config
    }

    // MARK: Building

    private static func build(_ values: Values, stateDirectoryOverride: String?, listenOverride: String?) -> KioskConfig {
        let stateDirectory = stateDirectoryOverride ?? values.value("state_dir", default: "./var") { $0.isEmpty ? nil : $0 }
        var config = KioskConfig(stateDirectory: stateDirectory)
        if let listenOverride {
            if let address = ListenAddress(parsing: listenOverride) {
                config.listen = address
            } else {
                values.problems.append("--listen \"\(listenOverride)\" is not HOST:PORT; expected e.g. 127.0.0.1:8080")
            }
        } else {
            config.listen = values.value("http.listen", default: config.listen) { ListenAddress(parsing: $0) }
        }
        config.allowRemote = values.value("http.allow_remote", default: false, parse: parseBool)
        config.maxConnections = values.value("http.max_connections", default: config.maxConnections) { Int($0).flatMap { (16...4096).contains($0) ? $0 : nil } }
        config.logLevel = values.value("log.level", default: .info) { Logger.Level(rawValue: $0.lowercased()) }
        config.shutdownGrace = values.value("shutdown.grace_seconds", default: .seconds(10)) { text in
            guard let seconds = Double(text), (0...300).contains(seconds) else { return nil }
            return .milliseconds(Int(seconds * 1000))
        }
        config.devices = config.devices.map { defaults in
            var device = defaults
            let prefix = "devices.\(defaults.kind.rawValue)"
            if values.isAuto("\(prefix).port") {
                if defaults.kind == .idCardReader || defaults.kind == .receiptPrinter {
                    device.port = nil
                    device.findsPort = true
                } else {
                    values.problems.append("\(prefix).port \"auto\"\(values.origin("\(prefix).port")) is not valid: only the ID-card reader's and the receipt printer's port can be found by what they answer; name this one")
                }
            } else {
                device.port = values.port("\(prefix).port", default: defaults.port)
            }
            device.model = values.value("\(prefix).model", default: defaults.model) { model in
                if defaults.kind == .receiptPrinter { return ESCPOSProfile.named(model)?.name }
                return model.isEmpty ? nil : model
            }
            return device
        }
        config.saneConfigDirectory = values.value("devices.scanner.sane_config_dir", default: nil) { $0.isEmpty ? nil : $0 }
        config.probePorts = values.value("devices.probe_ports", default: []) { text in
            var ports: [DevicePort] = []
            for part in text.split(separator: ",") {
                guard let port = try? DevicePort(parsing: part.trimmingCharacters(in: .whitespaces)) else { return nil }
                ports.append(port)
            }
            return ports
        }
        config.cardPollInterval = values.value("devices.idcard_reader.poll_ms", default: GA467Reader.Settings().pollInterval) { text in
            Int(text).flatMap { (10...5000).contains($0) ? .milliseconds($0) : nil }
        }
        config.reconnect.probeInterval = values.value("devices.reconnect.probe_ms", default: .milliseconds(500)) { text in
            Int(text).flatMap { (10...60_000).contains($0) ? .milliseconds($0) : nil }
        }
        config.reconnect.retryMax = values.value("devices.reconnect.retry_max_ms", default: .seconds(2)) { text in
            Int(text).flatMap { (100...600_000).contains($0) ? .milliseconds($0) : nil }
        }
        config.station.code = values.value("station.code", default: config.station.code) { code in
            (6...12).contains(code.count) && code.allSatisfy { ("0"..."9").contains($0) } ? code : nil
        }
        config.station.name = values.value("station.name", default: config.station.name) { $0.isEmpty ? nil : $0 }
        config.station.phone = values.value("station.phone", default: config.station.phone) { text in
            (3...20).contains(text.count) && text.allSatisfy { ("0"..."9").contains($0) || $0 == "-" } ? text : nil
        }
        config.platform.url = values.value("platform.url", default: config.platform.url) { text in
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else { return nil }
            return text
        }
        config.platform.publicKey = values.value("platform.public_key", default: config.platform.publicKey) { $0.isEmpty ? nil : $0 }
        config.platform.clientCertificate = values.value("platform.client_certificate", default: nil) { $0.isEmpty ? nil : $0 }
        config.platform.clientKey = values.value("platform.client_key", default: nil) { $0.isEmpty ? nil : $0 }
        config.platform.caCertificate = values.value("platform.ca", default: nil) { $0.isEmpty ? nil : $0 }
        config.platform.pins = values.value("platform.pin_sha256", default: []) { text in
            let pins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return pins.allSatisfy { Data(base64Encoded: $0)?.count == 32 } ? pins : nil
        }
        config.platform.retryBase = values.value("platform.retry_base_seconds", default: config.platform.retryBase) { seconds($0, in: 0.1...3600) }
        config.platform.retryCap = values.value("platform.retry_cap_seconds", default: config.platform.retryCap) { seconds($0, in: 1...86_400) }
        config.platform.statusSyncInterval = values.value("platform.status_sync_seconds", default: config.platform.statusSyncInterval) { seconds($0, in: 0.1...86_400) }
        config.outbox.purgeAfter = values.value("outbox.purge_after_hours", default: config.outbox.purgeAfter) { text in
            Double(text).flatMap { (0...8760).contains($0) ? .milliseconds(Int($0 * 3_600_000)) : nil }
        }
        config.outbox.retention = values.value("outbox.retention_days", default: config.outbox.retention) { text in
            Double(text).flatMap { (1...3650).contains($0) ? .seconds(Int($0 * 86_400)) : nil }
        }
        config.uiDirectory = values.value("http.ui_dir", default: config.uiDirectory) { $0.isEmpty ? nil : $0 }
        config.screenKeyFile = values.value("http.screen_key_file", default: nil) { Optional($0.isEmpty ? nil : $0) }
        config.screenKeyGroup = values.value("http.screen_key_group", default: nil) { text -> String?? in
            if text.isEmpty { return .some(nil) }
            return getgrnam(text) != nil ? text : nil
        }
        config.handwritingModel = values.value("handwriting.model", default: config.handwritingModel) { Optional($0.isEmpty ? nil : $0) }
        config.services.catalogue = values.value("services.catalogue", default: config.services.catalogue) { $0.isEmpty ? nil : $0 }
        config.services.calendar = values.value("services.calendar", default: config.services.calendar) { $0.isEmpty ? nil : $0 }
        config.services.catalogueRefresh = values.value("services.catalogue_refresh_hours", default: config.services.catalogueRefresh) { text in
            Double(text).flatMap { (0.1...168).contains($0) ? .milliseconds(Int($0 * 3_600_000)) : nil }
        }
        // Each goes into a QR code with a number appended: a receipt's code stays small enough to scan.
        config.services.trackingURL = values.value("services.tracking_url", default: config.services.trackingURL) { text in
            Self.isQRAddress(text) ? text : nil
        }
        config.services.guideURL = values.value("services.guide_url", default: config.services.guideURL) { text -> String? in
            if text.isEmpty { return "" }
            return Self.isQRAddress(text) ? text : nil
        }
        config.session.idleTimeout = values.value("session.idle_timeout_seconds", default: config.session.idleTimeout) { seconds($0, in: 30...1800) }
        config.session.idleWarning = values.value("session.idle_warning_seconds", default: config.session.idleWarning) { seconds($0, in: 20...300) }
        config.session.agentIdleTimeout = values.value("session.agent_idle_timeout_seconds", default: config.session.agentIdleTimeout) { seconds($0, in: 60...7200) }
        config.session.elderlyIdleTimeout = values.value("session.elderly_idle_timeout_seconds", default: config.session.elderlyIdleTimeout) { seconds($0, in: 30...3600) }
        config.session.cardRemoved = values.value("session.card_removed", default: config.session.cardRemoved) { SessionSettings.CardRemoval(rawValue: $0) }
        config.session.agentsFile = values.value("session.agents_file", default: nil) { $0.isEmpty ? nil : $0 }
        let defaultSocket = config.admin.socket
        config.admin.socket = values.value("admin.socket", default: defaultSocket) { $0.isEmpty ? defaultSocket : $0 }
        config.admin.group = values.value("admin.group", default: nil) { text -> String?? in
            if text.isEmpty { return .some(nil) }
            return getgrnam(text) != nil ? text : nil
        }
        config.admin.heartbeat = values.value("admin.heartbeat_seconds", default: config.admin.heartbeat) { seconds($0, in: 10...86_400) }
        config.admin.healthCheck = values.value("admin.health_check_seconds", default: config.admin.healthCheck) { seconds($0, in: 10...86_400) }
        return config
    }

    /// An https:// address a QR code can carry with a number after it: 11 to 200 characters, none a space or a control.
    static func isQRAddress(_ text: String) -> Bool {
        text.hasPrefix("https://") && (11...200).contains(text.count) && !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    private static func seconds(_ text: String, in range: ClosedRange<Double>) -> Duration? {
        Double(text).flatMap { range.contains($0) ? .milliseconds(Int($0 * 1000)) : nil }
    }

    /// Checks that involve more than one key.
    private static func applyChecks(_ config: KioskConfig, values: Values) throws -> KioskConfig {
        if !config.listen.isLoopback, !config.allowRemote {
            throw ConfigError(problems: [
                "http.listen \"\(config.listen)\"\(values.origin("http.listen")) is not a loopback address: the touchscreen UI must not be reachable from the network. Use 127.0.0.1:PORT, or set http.allow_remote: true if a remote screen is really wanted"
            ])
        }
        var problems: [String] = []
        if config.session.elderlyIdleTimeout < config.session.idleTimeout {
            problems.append("session.elderly_idle_timeout_seconds\(values.origin("session.elderly_idle_timeout_seconds")) is less than session.idle_timeout_seconds: an older resident gets at least as long as anyone, so raise it or lower the other")
        }
        if config.session.idleWarning >= config.session.idleTimeout {
            problems.append("session.idle_warning_seconds\(values.origin("session.idle_warning_seconds")) is not less than session.idle_timeout_seconds: the warning comes that long before the end, so it must be shorter than the timeout")
        }
        if config.platform.retryCap < config.platform.retryBase {
            problems.append("platform.retry_cap_seconds\(values.origin("platform.retry_cap_seconds")) is below platform.retry_base_seconds: the cap is the longest wait between attempts; make it at least the base")
        }
        if let url = URL(string: config.platform.url), let host = url.host {
            if url.scheme == "http", !isLoopbackHost(host) {
                problems.append("platform.url \"\(config.platform.url)\"\(values.origin("platform.url")) is plain http to another machine: residents' applications go to the platform only over https with the station's certificate. Use https://, and set platform.client_certificate, platform.client_key and platform.ca")
            }
            if url.scheme == "https" {
                let missing = [("platform.client_certificate", config.platform.clientCertificate), ("platform.client_key", config.platform.clientKey), ("platform.ca", config.platform.caCertificate)]
                    .filter { $0.1 == nil }.map(\.0)
                if !missing.isEmpty {
                    problems.append("platform.url is https but \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not set: the platform knows the station by its TLS certificate, and only its CA is trusted. Set them to the PEM files the platform operator issued")
                }
            }
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return config
    }
}
