import Drivers
import Foundation
import KioskCore
import Logging
import ServiceLifecycle
import Synchronization

/// One configured device as kioskd watches it: status changes are followed,
/// faults counted, and the last error and the last health check kept for
/// `kioskctl devices`.
final class DeviceWatch: Sendable {
    struct LastError: Codable, Sendable {
        var at: String
        var state: String
        var message: String
    }
    struct Check: Codable, Sendable {
        var at: String
        var level: String
        var outcome: String
        var items: [String]
    }

    let name: String
    let device: (any Device)?
    let settings: DeviceSettings
    private let record = Mutex<(error: LastError?, check: Check?)>((nil, nil))

    init(name: String, device: (any Device)?, settings: DeviceSettings) {
        self.name = name
        self.device = device
        self.settings = settings
    }

    var lastError: LastError? { record.withLock { $0.error } }
    var lastCheck: Check? { record.withLock { $0.check } }

    /// Follows the device's status until canceled: a state that needs someone
    /// (anything but online or busy) and each condition that appears is a fault.
    func follow(metrics: KioskMetrics) async {
        guard let device else { return }
        var previous: DeviceStatus?
        for await status in device.statusChanges() {
            defer { previous = status }
            let troubled = ![.online, .busy].contains(status.state)
            if troubled || !status.conditions.isEmpty {
                record.withLock { $0.error = LastError(at: Self.now(), state: status.state.rawValue, message: status.message ?? status.description) }
            }
            // The first status is where the device is at start, not something that happened.
            guard let previous else { continue }
            if troubled, previous.state != status.state { metrics.fault(device: name, kind: status.state.rawValue) }
            for condition in status.conditions.subtracting(previous.conditions) { metrics.fault(device: name, kind: condition.rawValue) }
        }
    }

    /// Runs a health check and keeps its outcome.
    func check(_ level: HealthCheckLevel) async -> HealthReport? {
        guard let device else { return nil }
        let report = await device.healthCheck(level)
        record.withLock {
            $0.check = Check(at: Self.now(), level: level.rawValue, outcome: report.outcome.rawValue,
                             items: report.items.map { "\($0.outcome.rawValue): \($0.name)" + ($0.detail.isEmpty ? "" : " — \($0.detail)") })
        }
        return report
    }

    static func now() -> String { Date().formatted(.iso8601) }
}

/// Follows every device's status for faults and the last error, and checks
/// each device every `interval` while nobody uses the kiosk: a printer's
/// paper is otherwise only asked about when something prints.
struct DeviceWatchService: KioskService {
    let watches: [DeviceWatch]
    let metrics: KioskMetrics
    let session: SessionRuntime
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for watch in watches { group.addTask { await watch.follow(metrics: metrics) } }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        for watch in watches where !Task.isCancelled {
                            // Never in the middle of a visit: the scanner's check opens it.
                            guard await !session.inUse else { break }
                            _ = await watch.check(.external)
                        }
                    }
                }
            }
        }
    }
}
