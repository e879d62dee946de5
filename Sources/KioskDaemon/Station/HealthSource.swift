import Foundation
import KioskCore
import Outbox

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
