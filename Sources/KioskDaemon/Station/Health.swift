import Foundation
import KioskCore
import Outbox

/// One line of `/healthz`.
public struct ComponentHealth: Codable, Sendable, Equatable {
    /// The component: `http`, `state_dir`, `systemd`, or a device's config name.
    public var name: String
    /// `ok`, or a device state (`online`, `noDevice`, …), or `disabled`, or a problem word.
    public var status: String
    /// What was seen and, when something is wrong, what to do.
    public var detail: String?
    /// For devices: model, port and conditions.
    public var model: String?
    public var port: String?
    public var conditions: [String]?

    init(name: String, status: String, detail: String? = nil, model: String? = nil, port: String? = nil, conditions: [String]? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.model = model
        self.port = port
        self.conditions = conditions
    }

    /// Whether this component is as it should be.
    var isHealthy: Bool { ["ok", "online", "disabled"].contains(status) }
}

/// The body of `GET /healthz`.
public struct HealthSummary: Codable, Sendable {
    /// `ok` when every component is healthy, otherwise `degraded` (kioskd
    /// itself is up either way: the endpoint answers 200).
    public var status: String
    /// kioskd's version.
    public var version: String
    /// Seconds since start.
    public var uptimeSeconds: Int
    /// Every component, devices in configuration order.
    public var components: [ComponentHealth]

    enum CodingKeys: String, CodingKey {
        case status, version, components
        case uptimeSeconds = "uptime_seconds"
    }
}

/// Collects each component's health on request.
struct HealthSource: Sendable {
    let devices: [(name: String, device: (any Device)?, settings: DeviceSettings)]
    let stateDirectory: StateDirectory
    let services: StationServices
    let uplink: StationUplink
    let notifier: SystemdNotifier
    let aids: ScreenAids
    let startedAt: ContinuousClock.Instant
    let listening: @Sendable () -> String

    /// `queue`: the outbox's summary when the caller has just read it, so it is read once.
    func summary(queue: Result<Outbox.Summary, any Error>? = nil) -> HealthSummary {
        var components = [
            ComponentHealth(name: "http", status: "ok", detail: "serving the touchscreen UI on \(listening())"),
            stateDirectory.check(),
            ComponentHealth(
                name: "systemd", status: "ok",
                detail: notifier.isActive
                    ? "notifying systemd" + (notifier.watchdogInterval.map { ", watchdog keep-alive every \($0.formatted)" } ?? "")
                    : "not under systemd (no NOTIFY_SOCKET)"),
        ]
        components.append(services.health())
        components += uplink.health(queue: queue)
        components += aids.health()
        for entry in devices {
            guard let device = entry.device else {
                components.append(entry.settings.findsPort
                    ? ComponentHealth(name: entry.name, status: DeviceState.noDevice.rawValue,
                                      detail: "port: auto, and no single port answered as one at start: check its cable and power, then restart kioskd (`kioskctl devices --probe` lists what answered)",
                                      model: entry.settings.model)
                    : ComponentHealth(name: entry.name, status: "disabled", detail: "port: none in the configuration", model: entry.settings.model))
                continue
            }
            let status = device.status
            components.append(ComponentHealth(
                name: entry.name, status: status.state.rawValue, detail: status.message,
                model: device.identity.model, port: device.identity.port.description,
                conditions: status.conditions.isEmpty ? nil : status.conditions.map(\.rawValue).sorted()))
        }
        let uptime = Int((ContinuousClock.now - startedAt).components.seconds)
        return HealthSummary(
            status: components.allSatisfy(\.isHealthy) ? "ok" : "degraded",
            version: KioskVersion.current, uptimeSeconds: uptime, components: components)
    }
}
