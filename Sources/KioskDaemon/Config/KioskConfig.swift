import Drivers
import KioskCore
import Logging
import SystemIO

/// kioskd's settings. Every one has a default, so kioskd runs with no file
/// at all: every device simulated (the ports hardware-sim's `station`
/// command serves), state under `./var`, the UI on 127.0.0.1:8080.
///
/// `config/kioskd.example.yaml` lists every key with its default;
/// `docs/configuration.md` explains them. Precedence, highest first:
/// command-line flags, `KIOSKD_*` environment variables, the file, defaults.
public struct KioskConfig: Sendable, Equatable {
    /// Where the touchscreen UI, its WebSocket and `/healthz` are served.
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    /// Whether a non-loopback `listen` address is allowed.
    public var allowRemote = false
    /// The most connections the local API holds open at once (fewer if the
    /// descriptor limit does not allow them); beyond it the oldest without the
    /// screen's key are closed.
    public var maxConnections = 256
    /// The touchscreen page's files (index.html, app.js, style.css).
    public var uiDirectory = "./ui"
    /// Where the screen's key is written at each start; nil for STATE_DIR/screen-key.
    public var screenKeyFile: String?
    /// The group (the screen's user's) that may read the screen key; nil for kioskd's user only.
    public var screenKeyGroup: String?
    /// The Zinnia model the writing pad's strokes are read with; nil shows no pad.
    public var handwritingModel: String? = ZinniaReader.debianModel
    /// Where kioskd keeps its state (the lock, applications, simulator links).
    public var stateDirectory = "./var"
    /// The least severe log level written.
    public var logLevel = Logger.Level.info
    /// How long in-flight device commands may run on after SIGTERM.
    public var shutdownGrace = Duration.seconds(10)
    /// The station's devices, in the order `/healthz` lists them.
    public var devices: [DeviceSettings]
    /// How device ports are watched and reopened.
    public var reconnect = ReconnectSettings()
    /// How often the ID-card reader is asked for a card.
    public var cardPollInterval = GA467Reader.Settings().pollInterval
    /// SANE's configuration folder (its dll.conf chooses the backends); nil for the system's.
    public var saneConfigDirectory: String?
    /// Ports asked besides the machine's serial ports and USB interfaces when a device's port is
    /// `auto` (a network printer, which no listing finds).
    public var probePorts: [DevicePort] = []
    /// Which station this is.
    public var station = StationSettings()
    /// The provincial platform and the road to it.
    public var platform: PlatformSettings
    /// How long the outbox keeps what the platform has.
    public var outbox = OutboxSettings()
    /// The catalogue, the calendar and where receipts point.
    public var services = ServiceSettings()
    /// How resident and agent sessions behave.
    public var session = SessionConfig()
    /// The maintainer's socket and the platform heartbeat.
    public var admin: AdminSettings

    /// The embedded default, with device ports and the platform key under `stateDirectory`.
    public init(stateDirectory: String = "./var") {
        self.stateDirectory = stateDirectory
        devices = Self.defaultDevices(stateDirectory: stateDirectory)
        platform = PlatformSettings(publicKey: "\(stateDirectory)/sim/platform-public.pem")
        admin = AdminSettings(socket: "\(stateDirectory)/admin.sock")
    }

    /// The devices kioskd runs when the configuration names none: each at the
    /// port where `hardware-sim station --dir STATE_DIR/sim` serves its
    /// simulator, and the A4 printer on the cups-pdf queue `make demo` sets up.
    static func defaultDevices(stateDirectory: String) -> [DeviceSettings] {
        [
            DeviceSettings(kind: .idCardReader, port: try? DevicePort(parsing: "serial:\(stateDirectory)/sim/idcard?baud=115200"), model: "simulated"),
            DeviceSettings(kind: .receiptPrinter, port: .tcp(host: "127.0.0.1", port: 9100), model: ESCPOSProfile.generic80.name),
            DeviceSettings(kind: .documentPrinter, port: .cups(queue: "KioskPDF"), model: "cups-pdf"),
            DeviceSettings(kind: .scanner, port: .sane(device: "airscan:e0:Kiosk Scanner"), model: "simulated eSCL"),
        ]
    }
}

/// The admin socket `kioskctl` talks to, and the platform heartbeat.
public struct AdminSettings: Sendable, Equatable {
    /// The Unix socket (mode 0600, or 0660 with `group`).
    public var socket: String
    /// A group whose members may use the socket too (e.g. `kiosk`), or nil for the owner only.
    public var group: String?
    /// How often the station's health goes to the platform (POST /v1/heartbeat).
    public var heartbeat = Duration.seconds(300)
    /// How often each device is checked (the `external` level) while nobody uses the kiosk.
    public var healthCheck = Duration.seconds(120)
}

/// The station's identity.
public struct StationSettings: Sendable, Equatable {
    /// The station's code, unique in the province (6–12 digits): the prefix
    /// of every tracking number it mints. The default is a demo code.
    public var code = "340104001"
    /// The station's name, as printed on receipts.
    public var name = "示范村便民服务站"
    /// The number residents call about this station: said when the kiosk is
    /// out of service, printed on its notices. 12345 (the government hotline) until set.
    public var phone = "12345"
}

/// The provincial platform (docs/platform-api.yaml) and how applications reach it.
public struct PlatformSettings: Sendable, Equatable {
    /// Its base URL: https with the files below, or http to a loopback simulator.
    public var url = "http://127.0.0.1:8091"
    /// The platform's public key (PEM, X25519 or P-256) every application is sealed to.
    public var publicKey: String
    /// The station's TLS client certificate, its key, and the platform's CA (pinned); needed for https.
    public var clientCertificate: String?
    public var clientKey: String?
    public var caCertificate: String?
    /// Base64 SHA-256 hashes of the platform's public key (SPKI); empty: the CA alone decides.
    public var pins: [String] = []
    /// Full-jitter backoff for retryable failures: the first wait's ceiling, doubling up to the cap.
    public var retryBase = Duration.seconds(2)
    public var retryCap = Duration.seconds(600)
    /// How often the station's case events are asked for (one request, whatever the number of open cases).
    public var statusSyncInterval = Duration.seconds(60)
}

/// How long the outbox keeps what the platform has acknowledged.
public struct OutboxSettings: Sendable, Equatable {
    /// The sealed payload and scans go this long after acknowledgement.
    public var purgeAfter = Duration.seconds(24 * 3600)
    /// The row (tracking number, case number, status) goes this long after the application.
    public var retention = Duration.seconds(90 * 24 * 3600)
}

/// The data the station's services come from.
public struct ServiceSettings: Sendable, Equatable {
    /// The service catalogue kioskd starts with (a newer one from the platform replaces it).
    public var catalogue = "./data/catalogue.json"
    /// The national holiday schedule (工作日 counting).
    public var calendar = "./data/holidays-cn.json"
    /// How often the platform is asked for a newer catalogue.
    public var catalogueRefresh = Duration.seconds(6 * 3600)
    /// A receipt's QR code: this, followed by the tracking number.
    public var trackingURL = "https://zwfw.example.gov.cn/track/"
    /// A printed guide's or 一次性告知单's QR code: this, followed by the item's code; empty for none.
    public var guideURL = "https://zwfw.example.gov.cn/guide/"
}

/// How sessions behave at the screen.
public struct SessionConfig: Sendable, Equatable {
    /// A resident's session ends after this long without a touch.
    public var idleTimeout = Duration.seconds(120)
    /// The warning (shown and spoken, one touch extends) comes this long before the end; at least 20 s.
    public var idleWarning = Duration.seconds(30)
    /// An agent is logged out after this long without a touch.
    public var agentIdleTimeout = Duration.seconds(600)
    /// A resident in elderly mode (session.elderly_idle_timeout_seconds).
    public var elderlyIdleTimeout = Duration.seconds(300)
    /// What the card leaving the reader mid-journey does.
    public var cardRemoved = SessionSettings.CardRemoval.end
    /// The registered agents and their PIN hashes; nil: no agents.
    public var agentsFile: String?
}

/// One device's settings.
public struct DeviceSettings: Sendable, Equatable {
    /// What it is.
    public var kind: DeviceKind
    /// Where it is attached; nil when the station has none (`port: none`), or until kioskd has
    /// found it (`port: auto`).
    public var port: DevicePort?
    /// Its model, as shown to maintainers.
    public var model: String
    /// `port: auto`: kioskd asks the machine's ports at start which one it is on (``DeviceProbe``).
    public var findsPort = false
}

/// How device ports are watched and reopened.
public struct ReconnectSettings: Sendable, Equatable {
    /// How often an idle open port is checked for a hang-up.
    public var probeInterval = Duration.milliseconds(500)
    /// The longest wait between attempts to reopen a port.
    public var retryMax = Duration.seconds(2)

    var policy: ReconnectPolicy {
        ReconnectPolicy(probeInterval: probeInterval, retryInitial: .milliseconds(200), retryMax: retryMax)
    }
}

/// `HOST:PORT` of the HTTP listener.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IP address or `localhost`.
    public var host: String
    /// The TCP port; 0 lets the system choose (tests).
    public var port: Int

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether only this machine can reach it.
    public var isLoopback: Bool { isLoopbackHost(host) }

    /// Parses `127.0.0.1:8080`, `localhost:8080` or `[::1]:8080`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" "), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
